package io.deliverycheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.Guarantee;
import io.deliverycheck.checker.Validity;
import io.deliverycheck.checker.runner.Fault;
import io.deliverycheck.checker.runner.FaultPlan;
import io.deliverycheck.checker.runner.RunResult;
import io.deliverycheck.specs.HistoryTrace;
import io.deliverycheck.specs.Manifest;
import io.deliverycheck.specs.Tlc;
import io.deliverycheck.specs.TraceValidator;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Trace validation of whole runs (specs/README.md): a fresh default run of the reference
 * cluster is a behaviour of the spec, part by part; a run with a planted bug is not, and the
 * first step the spec cannot explain is about the message the checker flags. It lives here,
 * not in specs/, because it needs the harness (cli depends on specs, not the other way).
 */
@Tag("slow")
class SpecTraceOfRunsTest {
  @TempDir Path results;

  static TraceValidator validator() throws Exception {
    Path specs = Manifest.find(Path.of(System.getProperty("deliverycheck.repo", "")).toAbsolutePath())
        .orElseThrow(() -> new IllegalStateException("no specs/models.json above the repository"));
    return new TraceValidator(Tlc.standard(), specs);
  }

  static TraceValidator.Result validate(RunResult r, String mode) throws Exception {
    HistoryTrace h = HistoryTrace.read(r.history());
    long start = System.nanoTime();
    TraceValidator.Result v = validator().validate(h, new TraceValidator.Bounds(mode, 2, 2, h.receiptsClaimed()), 2,
        System.out::println);
    System.out.printf("%s: %d messages, %d parts, %d shapes, %d TLC runs, %.1f s: %s %s%n", r.history(), h.messages(),
        v.parts(), v.shapes(), v.runs(), (System.nanoTime() - start) / 1e9, v.verdict(), v.errors());
    return v;
  }

  @Test
  void aFreshDefaultRunIsExplainedWhole() throws Exception {
    // what `bin/deliverycheck test` runs: 3 nodes, exactly-once chat, partitions, kills and pauses for 60 s
    RunResult r = DeliveryTest.builder().name("spec-trace-default").seed(21).results(results).run();
    System.out.println(TestCommand.verdictLine(r));
    // a loaded machine may answer many sends with timeouts (info); what was accepted must still be owed somewhere
    assertTrue(r.result().count("sent_ok") > 0 && r.result().count("owed") > 0, "a run that proves something: "
        + r.result().counts());
    TraceValidator.Result v = validate(r, "exactly-once");
    assertEquals(TraceValidator.Verdict.EXPLAINED, v.verdict(), () -> "first failures: "
        + v.failures().stream().limit(5).map(f -> f.part().message() + " " + f.part().devices() + " " + f.event()).toList());
    assertTrue(v.parts() >= r.result().count("owed"), "every owed delivery is a part: " + v.parts());
  }

  @Test
  void aGatewayWriteIsDeliveredRunIsRejectedAtTheMessageTheCheckerFlags() throws Exception {
    // BugCatchTest's plan for this bug: device disconnects make socket writes that never arrive
    RunResult r = null;
    for (long seed = 1; seed <= 3; seed++) {
      r = DeliveryTest.builder().name("spec-trace-bug").seed(seed).guarantee(Guarantee.EXACTLY_ONCE).rate(20)
          .timeLimit(Duration.ofSeconds(20)).quiet(Duration.ofSeconds(5)).drainCap(Duration.ofSeconds(40))
          .bugs("gateway-write-is-delivered")
          .faultPlan((nodes, s) -> new FaultPlan(s, List.of(
              new Fault(2000, 1000, Fault.DEVICE_DISCONNECT, null, BugCatchTest.node(nodes.get(0))),
              new Fault(6000, 1000, Fault.DEVICE_DISCONNECT, null, BugCatchTest.node(nodes.get(1 % nodes.size()))),
              new Fault(10000, 1000, Fault.DEVICE_DISCONNECT, null, BugCatchTest.node(nodes.get(2 % nodes.size()))))))
          .results(results).run();
      System.out.println("seed " + seed + ": " + TestCommand.verdictLine(r));
      if (r.result().valid() == Validity.INVALID && r.result().violations().contains("false_delivered")) break;
    }
    assertTrue(r.result().violations().contains("false_delivered"), "the bug was caught by the checker: " + r.result().summary());
    TraceValidator.Result v = validate(r, "exactly-once");
    assertEquals(TraceValidator.Verdict.NOT_EXPLAINED, v.verdict());
    TraceValidator.Failure first = v.failures().get(0);
    ObjectNode flagged = r.result().examples().get("false_delivered").get(0);
    String device = flagged.get("recipient").asText() + "/" + flagged.get("device").asText();
    System.out.println("checker: " + flagged + "; spec: " + first.part().message() + " " + first.part().devices() + " "
        + first.event());
    assertEquals(flagged.get("id").asText(), first.part().message(), "the same message");
    assertTrue(first.part().devices().contains(device), "the same device: " + first.part().devices());
    assertEquals("receipt delivered of " + flagged.get("id").asText() + " for " + device, first.event().describe());
  }
}
