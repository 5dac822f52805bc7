package io.deliverycheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.deliverycheck.checker.Guarantee;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How to verify a delivery guarantee from JUnit: build a {@link DeliveryTest}, run it, assert the
 * verdict. This one is also the default tier's smoke test: 3 reference nodes with their own
 * PostgreSQL, 10 s of the chat workload with one partition (one node isolated) then one kill,
 * heal, drain, check. About 45 s, most of it starting the nodes.
 */
class DeliveryTestExampleTest {
  @TempDir Path results;

  @Test
  void aShortRunWithOnePartitionAndOneKillDrainsAndIsValid() throws Exception {
    long seed = 11;
    System.out.println("seed " + seed);
    RunResult r = DeliveryTest.builder()
        .name("smoke")
        .seed(seed)
        .guarantee(Guarantee.EXACTLY_ONCE)
        .timeLimit(Duration.ofSeconds(10))
        .quiet(Duration.ofSeconds(3))
        .faultPlan((nodes, s) -> new FaultPlan(s, List.of(
            partitionIsolating(nodes, s, 1000, 3000),
            new Fault(5500, 3000, Fault.KILL, null, JsonNodeFactory.instance.objectNode().put("node", nodes.get(1))))))
        .results(results)
        .run();

    // Output of one run: VALID (exactly-once): sent_ok 100, owed 400, delivered 400, lost 0, duplicated 0; drain: all-delivered
    System.out.println(TestCommand.verdictLine(r));
    assertEquals(Validity.VALID, r.result().valid(), r.result().summary());
    assertEquals(List.of(), r.harnessErrors(), "every fault applied and undone, every node healthy again");
    assertEquals(0, r.exitCode(), "what deliverycheck test would exit with");
    assertTrue(r.result().counts().get("sent_ok") > 50, "most sends were accepted: " + r.result().counts());
    assertEquals("all-delivered", r.drainReason(), "every owed delivery arrived after healing");
    String history = Files.readString(r.history());
    assertTrue(history.contains("\"start-partition\"") && history.contains("\"kill\"") && history.contains("\"restart\""),
        "the faults were played and healed");
    assertTrue(Files.exists(r.runDir().resolve("metrics.jsonl")) && Files.exists(r.runDir().resolve("logs")));
  }

  static Fault partitionIsolating(List<String> nodes, long seed, long atMs, long durationMs) {
    Grudges.Shaped s = Grudges.isolateOne(nodes, new Random(seed));
    return new Fault(atMs, durationMs, Fault.PARTITION, s.shape(), s.detail());
  }
}
