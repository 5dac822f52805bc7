package io.deliverycheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.deliverycheck.checker.runner.FaultPlan;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code hunt} then {@code shrink}, end to end: it stops at the first invalid run, shrinks it and
 * writes a repro.json that {@code test --fault-plan} replays. Runs are kept under
 * {@code cli/target/hunt/}.
 */
@Tag("slow")
class HuntShrinkTest {
  static final Path RESULTS = Path.of("target", "hunt").toAbsolutePath();

  private static TestCommandTest.Out run(String... args) {
    return new TestCommandTest().run(args);
  }

  private static Path shrunkRun(String name) throws Exception {
    try (var s = Files.list(RESULTS.resolve(name))) {
      return s.filter(p -> !Files.isSymbolicLink(p) && Files.exists(p.resolve("repro.json")))
          .max(java.util.Comparator.naturalOrder()).orElseThrow();
    }
  }

  @Test
  void aHuntOfTheFakeClustersPlantedLossShrinksToNoFaultAndTheReproReplays() throws Exception {
    TestCommandTest.Out o = run("hunt", "--env", "fake", "--bug", "lose-accepted", "--workload", "payments",
        "--time-limit", "3", "--nemesis", "kill,pause", "--seed", "5", "--budget", "3m", "--quiet-period", "1",
        "--request-timeout-ms", "5000", "--replays", "1/1", "--max-replays", "2", "--name", "hunt-fake",
        "--results", RESULTS.toString());
    System.out.println(o.out());
    assertEquals(1, o.code(), o.out() + o.err());
    assertTrue(o.out().contains("hunt: found after"), o.out());
    assertTrue(o.out().contains("story: lost"), o.out());
    assertTrue(o.out().contains("replay it: bin/deliverycheck test --bug lose-accepted"), o.out());
    Path run = shrunkRun("hunt-fake");
    JsonNode repro = new ObjectMapper().readTree(run.resolve("repro.json").toFile());
    assertEquals(0, repro.get("faults").size(), "the loss needs no fault: " + repro.toPrettyString());
    assertEquals("failed 1 of 1 replays of the shrunk plan (the bar: 1 of 1)", repro.get("confidence").asText());
    assertTrue(repro.get("command").asText().contains("--fault-plan " + run.resolve("repro.json")), repro.toPrettyString());
    TestCommandTest.Out replay = run("test", "--env", "fake", "--bug", "lose-accepted", "--workload", "payments",
        "--time-limit", "3", "--seed", String.valueOf(repro.get("seed").asLong()), "--quiet-period", "1",
        "--fault-plan", run.resolve("repro.json").toString(), "--results", RESULTS.toString(), "--quiet");
    assertEquals(1, replay.code(), "the repro replays: " + replay.out() + replay.err());
  }

  /**
   * A planted bug of the real reference node, found with the default nemesis (every kind,
   * composed): a gateway write counted as delivered shows at the first device disconnect, so the
   * shrinker can cut the workload after it and drop the faults that come later. About 3 minutes
   * on an idle 2-core machine (a hunt run, two replays, one confirming replay); the budget leaves
   * room for a set-up that fails on a loaded one.
   */
  @Test
  void aHuntOfAPlantedBugOfTheReferenceNodeFindsItAndShrinksThePlan() throws Exception {
    TestCommandTest.Out o = run("hunt", "--bug", "gateway-write-is-delivered", "--time-limit", "12", "--seed", "1",
        "--rate", "20", "--budget", "5m", "--request-timeout-ms", "5000", "--replays", "1/1", "--max-replays", "2",
        "--name", "hunt-gateway", "--results", RESULTS.toString());
    System.out.println(o.out());
    assertEquals(1, o.code(), o.out() + o.err());
    assertTrue(o.out().contains("hunt: found after"), o.out());
    Path run = shrunkRun("hunt-gateway");
    FaultPlan recorded = FaultPlan.read(run.resolve("faults.json"));
    JsonNode repro = new ObjectMapper().readTree(run.resolve("repro.json").toFile());
    FaultPlan shrunk = FaultPlan.read(run.resolve("repro.json"));
    assertTrue(shrunk.faults().size() < recorded.faults().size() || repro.get("time_limit_s").asLong() < 12,
        "smaller: " + repro.toPrettyString());
    assertTrue(repro.get("confidence").asText().startsWith("failed "), repro.toPrettyString());
    assertTrue(o.out().contains("replay it: bin/deliverycheck test --bug gateway-write-is-delivered"), o.out());
  }
}
