package io.deliverycheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.deliverycheck.checker.Validity;
import io.deliverycheck.checker.runner.Fault;
import io.deliverycheck.checker.runner.FaultPlan;
import io.deliverycheck.checker.runner.RunResult;
import io.deliverycheck.environments.nemesis.Grudges;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code examples/reference-node.system.json} passes the same verification as
 * {@code --system reference}: both run under the same fixed fault plan (kill, pause, a partition
 * isolating one node, a database restart, a device disconnect) and the same seed; both have no
 * harness error, are both VALID (nothing lost, duplicated or left unresolved: the node's receipts
 * are durable and replayed to a sender that reconnects, docs/protocol.md), and their {@code system}
 * ops make the same claims. Runs are kept under {@code cli/target/system-file/}.
 */
@Tag("slow")
class SystemFileEquivalenceTest {
  static final Path RESULTS = Path.of("target", "system-file");
  static final long SEED = 314;

  static final BiFunction<List<String>, Long, FaultPlan> PLAN = (nodes, s) -> {
    Grudges.Shaped iso = Grudges.shape("isolate-one", nodes, new Random(s));
    return new FaultPlan(s, List.of(
        new Fault(2000, 3000, Fault.KILL, null, JsonNodeFactory.instance.objectNode().put("node", nodes.get(1))),
        new Fault(6500, 2000, Fault.PAUSE, null, JsonNodeFactory.instance.objectNode().put("node", nodes.get(2))),
        new Fault(10000, 3000, Fault.PARTITION, iso.shape(), iso.detail()),
        new Fault(14500, 2000, Fault.DB_RESTART, null, null),
        new Fault(17500, 500, Fault.DEVICE_DISCONNECT, null, JsonNodeFactory.instance.objectNode().put("node", nodes.get(0)))));
  };

  private static DeliveryTest.Builder base(String name) {
    return DeliveryTest.builder().name(name).seed(SEED).timeLimit(Duration.ofSeconds(20)).faultPlan(PLAN).results(RESULTS);
  }

  @Test
  void theReferenceNodeDescribedByAFileVerifiesLikeTheReferenceSystem() throws Exception {
    String repo = System.getProperty("deliverycheck.repo", "..");
    Path file = Path.of(repo, "examples", "reference-node.system.json");
    RunResult byFile = base("system-file-reference-node").systemFile(file).run();
    RunResult builtIn = base("system-reference").run();
    for (RunResult r : List.of(byFile, builtIn)) {
      System.out.println(r.runDir() + ": " + TestCommand.verdictLine(r));
      assertEquals(Validity.VALID, r.result().valid(), r.runDir() + ": " + r.result().summary());
      assertEquals(0L, r.result().counts().get("lost"), r.runDir() + ": " + r.result().summary());
      assertEquals(0L, r.result().counts().get("duplicated"), r.runDir() + ": " + r.result().summary());
      assertEquals(List.of(), r.harnessErrors(), r.runDir() + ": every fault applied and undone, every node healthy again");
      assertTrue(r.result().counts().get("sent_ok") > 50, r.runDir() + ": most sends accepted: " + r.result().counts());
      String faults = Files.readString(r.runDir().resolve("faults.json"));
      assertTrue(faults.contains("db-restart") && faults.contains("isolate-one"), faults);
    }
    JsonNode a = systemOp(byFile);
    JsonNode b = systemOp(builtIn);
    assertEquals("reference-node", a.get("name").asText());
    assertEquals("reference", b.get("name").asText());
    for (String claim : List.of("guarantee", "receipts", "order")) {
      assertEquals(b.get(claim), a.get(claim), "the same claim " + claim);
    }
    assertEquals(Files.readString(builtIn.runDir().resolve("faults.json")), Files.readString(byFile.runDir().resolve("faults.json")),
        "the same fault plan");
  }

  /** The history's {@code system} op value (HISTORY.md). */
  static JsonNode systemOp(RunResult r) throws Exception {
    ObjectMapper m = new ObjectMapper();
    for (String line : Files.readAllLines(r.history())) {
      JsonNode op = m.readTree(line);
      if ("system".equals(op.path("f").asText())) {
        return op.get("value");
      }
    }
    throw new AssertionError("no system op in " + r.history());
  }
}
