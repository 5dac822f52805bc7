package io.deliverycheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.deliverycheck.checker.Validity;
import io.deliverycheck.checker.runner.Fault;
import io.deliverycheck.checker.runner.FaultPlan;
import io.deliverycheck.checker.runner.RunResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The second implementation of the protocol, {@code examples/node-service} (Node.js and {@code ws}),
 * through its own system file, one node, under a fixed plan of kills, a pause and a device
 * disconnect: valid in its honest mode; in {@code mode=buggy} (sends answered before they are on
 * disk) the kills lose accepted messages and the checker says {@code lost}. Needs {@code node} and
 * {@code npm ci} in examples/node-service (.ci/run does both). Runs under {@code cli/target/node-service/}.
 */
@Tag("slow")
class NodeServiceTest {
  static final Path RESULTS = Path.of("target", "node-service");
  static final Path DIR = Path.of(System.getProperty("deliverycheck.repo", ".."), "examples", "node-service");

  static final BiFunction<List<String>, Long, FaultPlan> PLAN = (nodes, s) -> new FaultPlan(s, List.of(
      new Fault(3000, 1500, Fault.KILL, null, JsonNodeFactory.instance.objectNode().put("node", "n1")),
      new Fault(7000, 1000, Fault.PAUSE, null, JsonNodeFactory.instance.objectNode().put("node", "n1")),
      new Fault(10000, 1500, Fault.KILL, null, JsonNodeFactory.instance.objectNode().put("node", "n1")),
      new Fault(14000, 300, Fault.DEVICE_DISCONNECT, null, JsonNodeFactory.instance.objectNode().put("node", "n1")),
      new Fault(16000, 1500, Fault.KILL, null, JsonNodeFactory.instance.objectNode().put("node", "n1"))));

  /** Three power cuts of the one node: its {data_dir} is a power-loss file system (root, /dev/fuse, fuse3: CI has them). */
  static final BiFunction<List<String>, Long, FaultPlan> POWER = (nodes, s) -> new FaultPlan(s, List.of(
      new Fault(3000, 1500, Fault.POWER_LOSS, null, power("n1")),
      new Fault(9000, 1500, Fault.POWER_LOSS, null, power("n1")),
      new Fault(15000, 1500, Fault.POWER_LOSS, null, power("n1"))));

  static com.fasterxml.jackson.databind.node.ObjectNode power(String node) {
    com.fasterxml.jackson.databind.node.ObjectNode d = JsonNodeFactory.instance.objectNode().put("db", false);
    d.putArray("nodes").add(node);
    return d;
  }

  @BeforeAll
  static void installed() {
    assertTrue(Files.isDirectory(DIR.resolve("node_modules").resolve("ws")),
        "examples/node-service needs its package: apt-get install -y nodejs npm && npm ci --prefix examples/node-service");
  }

  private static RunResult run(String mode) throws Exception {
    return run(mode, "", PLAN);
  }

  private static RunResult run(String mode, String name, BiFunction<List<String>, Long, FaultPlan> plan) throws Exception {
    return DeliveryTest.builder().name("node-service-" + mode + name).seed(27).nodes(1)
        .systemFile(DIR.resolve("node-service.system.json")).systemOptions("mode=" + mode)
        .timeLimit(Duration.ofSeconds(20)).rate(20).faultPlan(plan).results(RESULTS).run();
  }

  /**
   * Power loss of a system file's node: the honest service fsyncs before it answers (and fsyncs its
   * data directory once its log exists), so three power cuts lose nothing it accepted. Before the
   * directory fsync this failed: each cut took back the log file's creation, and with it every
   * fsynced append (lost 1,060 of 1,298 owed), which no kill had ever shown.
   */
  @Test
  void honestSurvivesPowerLossOfItsDataDirectory() throws Exception {
    RunResult honest = run("honest", "-power-loss", POWER);
    System.out.println(honest.runDir() + ": " + TestCommand.verdictLine(honest));
    assertEquals(List.of(), honest.harnessErrors(), honest.runDir() + ": every power cut applied and undone");
    assertEquals(Validity.VALID, honest.result().valid(), honest.runDir() + ": " + honest.result().summary());
    assertTrue(honest.result().counts().get("sent_ok") > 20, "not vacuous: " + honest.result().counts());
    String history = Files.readString(honest.history());
    assertEquals(3, history.lines().filter(l -> l.contains("\"start-power-loss\"")).count(), "the three power cuts are in the history");
  }

  @Test
  void honestIsValidAndBuggyIsCaughtLosingMessages() throws Exception {
    RunResult honest = run("honest");
    System.out.println(honest.runDir() + ": " + TestCommand.verdictLine(honest));
    assertEquals(Validity.VALID, honest.result().valid(), honest.runDir() + ": " + honest.result().summary());
    assertEquals(List.of(), honest.harnessErrors(), honest.runDir().toString());
    assertTrue(honest.result().counts().get("sent_ok") > 20, "not vacuous: " + honest.result().counts());

    RunResult buggy = run("buggy");
    System.out.println(buggy.runDir() + ": " + TestCommand.verdictLine(buggy));
    assertEquals(Validity.INVALID, buggy.result().valid(), buggy.runDir() + ": " + buggy.result().summary());
    assertTrue(buggy.result().violations().contains("lost"), buggy.result().violations().toString());
    assertEquals(List.of(), buggy.harnessErrors(), buggy.runDir().toString());
  }
}
