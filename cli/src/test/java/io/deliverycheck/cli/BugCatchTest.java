package io.deliverycheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.Guarantee;
import io.deliverycheck.checker.Validity;
import io.deliverycheck.checker.runner.Fault;
import io.deliverycheck.checker.runner.FaultPlan;
import io.deliverycheck.checker.runner.RunResult;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Proof that the harness is not vacuous: every planted bug of the reference node is found, with
 * the outcome it must produce, under a fixed fault plan that can expose it; the correct node under
 * the same plan and seed is valid. Each test is one short run with the bug (retried with the next
 * seeds, up to {@code attempts}, if a seed does not expose it) and one without. Runs are kept under
 * {@code cli/target/bug-catch/}.
 */
@Tag("slow")
class BugCatchTest {
  static final Path RESULTS = Path.of("target", "bug-catch");

  /** A short test of one bug: what to run and which violations may show it. */
  record Scenario(String bug, Guarantee guarantee, String workload, double rate, int seconds,
      BiFunction<List<String>, Long, FaultPlan> plan, Set<String> expected, int attempts, Duration requestTimeout) {

    Scenario(String bug, Guarantee guarantee, String workload, double rate, int seconds,
        BiFunction<List<String>, Long, FaultPlan> plan, Set<String> expected, int attempts) {
      // generous: a loaded machine must not turn every answer into a timeout
      this(bug, guarantee, workload, rate, seconds, plan, expected, attempts, Duration.ofSeconds(5));
    }
  }

  /**
   * Runs once. A set-up failure is a failure of the test, never retried (CI fails on what fails: a
   * node that does not start in time is a bug with a cause, its log is in the run folder).
   */
  static RunResult run(DeliveryTest.Builder b) throws Exception {
    return b.run();
  }

  static DeliveryTest.Builder builder(Scenario s, long seed, boolean withBug) {
    return DeliveryTest.builder()
        .name((withBug ? s.bug() : "correct-for-" + s.bug()))
        .seed(seed)
        .guarantee(s.guarantee())
        .workload(s.workload())
        .rate(s.rate())
        .timeLimit(Duration.ofSeconds(s.seconds()))
        .quiet(Duration.ofSeconds(5))
        // poison: a correct node tells the sender "failed" only when the last of 8 attempts times out,
        // up to about 48 s after the first push since the ack timeout adapts (cap 4 s) plus backoff;
        // the drain waits for those receipts, so its cap must outlast that horizon
        .drainCap(Duration.ofSeconds(s.workload().equals("poison") ? 90 : 40))
        .faultPlan(s.plan())
        .poisonFraction(s.workload().equals("poison") ? 0.1 : 0) // these plans were made for a plain chat
        .requestTimeout(s.requestTimeout())
        .bugs(withBug ? List.of(s.bug()) : List.of())
        .results(RESULTS);
  }

  /** Runs the bug until a seed exposes it, then the correct node with that seed. */
  static void catches(Scenario s, long firstSeed) throws Exception {
    List<String> seen = new ArrayList<>();
    RunResult caught = null;
    for (int i = 0; i < s.attempts() && caught == null; i++) {
      long seed = firstSeed + i;
      RunResult r = run(builder(s, seed, true));
      System.out.printf("%s seed %d: %s%n", s.bug(), seed, TestCommand.verdictLine(r));
      seen.add("seed " + seed + ": " + r.result().valid() + " " + r.result().violations() + " " + r.runDir());
      if (r.result().valid() == Validity.INVALID && r.result().violations().stream().anyMatch(s.expected()::contains)) {
        caught = r;
      }
    }
    if (caught == null) {
      fail(s.bug() + " was not found as any of " + s.expected() + " in " + s.attempts() + " runs: " + seen);
    }
    RunResult ok = run(builder(s, caught.seed(), false));
    System.out.printf("correct node, same plan, seed %d: %s%n", caught.seed(), TestCommand.verdictLine(ok));
    assertEquals(Validity.VALID, ok.result().valid(), "the correct node under the plan that caught "
        + s.bug() + ": " + ok.result().summary() + " " + ok.runDir());
  }

  static ObjectNode node(String n) {
    return JsonNodeFactory.instance.objectNode().put("node", n);
  }

  static ObjectNode empty() {
    return JsonNodeFactory.instance.objectNode();
  }

  @Test
  void ackBeforeCommitLosesAcceptedMessagesWhenTheDatabaseRestarts() throws Exception {
    // The node answers "accepted" before COMMIT; a database crash (or a node kill) in between
    // aborts the transaction: the client was told accepted, nothing was stored -> lost.
    // The window is the COMMIT round trip (milliseconds), so the plan crashes the database often
    // while sends arrive at 40/s: seven restarts, then a node kill.
    List<Long> restarts = List.of(2000L, 4500L, 7000L, 9500L, 12000L, 14500L, 17000L);
    catches(new Scenario("ack-before-commit", Guarantee.EXACTLY_ONCE, "chat", 40, 21,
        (nodes, seed) -> {
          List<Fault> faults = new ArrayList<>();
          restarts.forEach(at -> faults.add(new Fault(at, 500, Fault.DB_RESTART, null, empty())));
          faults.add(new Fault(19000, 1500, Fault.KILL, null, node(nodes.get(0))));
          return new FaultPlan(seed, faults);
        },
        Set.of("lost"), 3), 1);
  }

  @Test
  void noIdempotencyKeyDuplicatesRetriedSendsWhenTheDatabaseLinkIsSlow() throws Exception {
    // With 800 ms on the node-to-database link a send takes longer than the client's 2 s timeout:
    // the client records info and retries with the same key at another node. Without the key
    // check both attempts create a message: two server ids, the device applies both -> duplicated.
    ObjectNode delay = JsonNodeFactory.instance.objectNode().put("delay_ms", 800);
    catches(new Scenario("no-idempotency-key", Guarantee.EXACTLY_ONCE, "chat", 10, 20,
        (nodes, seed) -> new FaultPlan(seed, List.of(
            new Fault(2000, 6000, Fault.LINK_DELAY, null, delay),
            new Fault(11000, 6000, Fault.LINK_DELAY, null, delay))),
        Set.of("duplicated"), 3, Duration.ofSeconds(2)), 1);
  }

  @Test
  void gatewayWriteIsDeliveredClaimsDeliveriesNoDeviceApplied() throws Exception {
    // The node marks a row delivered when the WebSocket write succeeds. A write into a socket that
    // is being closed succeeds but never reaches the device: the sender is told "delivered"
    // (false-delivered) and the row is never retried (lost).
    catches(new Scenario("gateway-write-is-delivered", Guarantee.EXACTLY_ONCE, "chat", 20, 20,
        (nodes, seed) -> new FaultPlan(seed, List.of(
            new Fault(2000, 1000, Fault.DEVICE_DISCONNECT, null, node(nodes.get(0))),
            new Fault(6000, 1000, Fault.DEVICE_DISCONNECT, null, node(nodes.get(1 % nodes.size()))),
            new Fault(10000, 1000, Fault.DEVICE_DISCONNECT, null, node(nodes.get(2 % nodes.size()))),
            new Fault(14000, 1000, Fault.DEVICE_DISCONNECT, null, node(nodes.get(0))))),
        Set.of("false_delivered", "lost"), 3), 1);
  }

  @Test
  void noBackoffBurnsEveryAttemptWhileADeviceRestartsAndLosesTheMessage() throws Exception {
    // Poison mix: the first push of a crashing message (ids x..) crashes the device's app, which
    // drops every push for 1.5 s. With backoff the next attempt comes after the 1 s ack timeout
    // plus backoff, a later one after the restart: delivered. Without backoff the node re-pushes
    // every 100 ms poll, all 8 attempts fall inside the restart and the row is dead-lettered:
    // accepted, never applied -> lost.
    catches(new Scenario("no-backoff", Guarantee.EXACTLY_ONCE, "poison", 10, 20,
        (nodes, seed) -> FaultPlan.empty(seed), Set.of("lost"), 3), 1);
  }

  @Test
  void noLeaseMakesTwoWorkersPushTheSameRowAtMostOnceDuplicates() throws Exception {
    // At-most-once pushes a row once. Rows of a disconnected device wait (attempts 0); when it
    // reconnects, the connect-time claim and the periodic workers select the same due rows; with
    // no lease both push: the device applies the message twice -> duplicated, which at-most-once
    // forbids. (At-least-once allows duplicates and exactly-once devices dedup by server id, so
    // this bug is only visible as a violation in at-most-once mode.)
    catches(new Scenario("no-lease", Guarantee.AT_MOST_ONCE, "chat", 30, 20,
        (nodes, seed) -> {
          List<Fault> faults = new ArrayList<>();
          for (int i = 0; i < 8; i++) {
            faults.add(new Fault(2000 + 2000L * i, 1000, Fault.DEVICE_DISCONNECT, null, node(nodes.get(i % nodes.size()))));
          }
          return new FaultPlan(seed, faults);
        },
        Set.of("duplicated"), 3), 1);
  }

  @Test
  void noDeadLetterLeavesSendersOfPoisonMessagesUnresolved() throws Exception {
    // Poison messages (ids p..) are applied once and never acked. A correct node dead-letters them
    // after 8 attempts (about 25 s after the first push, backoff included) and tells the sender
    // "failed"; with no-dead-letter they are retried forever and the sender is never told a final
    // state: unresolved, which exactly-once forbids since the reference node claims receipts
    // (HISTORY.md). The drain waits, up to its cap, until every sender was told a final state (the
    // system claims receipts), so the correct node's failed receipts for the last poison sent arrive
    // in time; the bug's never do.
    Scenario s = new Scenario("no-dead-letter", Guarantee.EXACTLY_ONCE, "poison", 10, 15,
        (nodes, seed) -> FaultPlan.empty(seed), Set.of("unresolved"), 1);
    RunResult bug = run(builder(s, 1, true).poisonFraction(0.2).drainCap(Duration.ofSeconds(60)));
    RunResult ok = run(builder(s, 1, false).poisonFraction(0.2).drainCap(Duration.ofSeconds(60)));
    System.out.println("no-dead-letter: " + TestCommand.verdictLine(bug) + " failed receipts "
        + bug.result().counts().get("receipts_failed"));
    System.out.println("correct: " + TestCommand.verdictLine(ok) + " failed receipts "
        + ok.result().counts().get("receipts_failed"));
    assertEquals(Validity.INVALID, bug.result().valid(), bug.result().summary() + " " + bug.runDir());
    assertTrue(bug.result().violations().contains("unresolved"), bug.result().summary());
    assertEquals(0L, bug.result().counts().get("receipts_failed"), "nothing is ever dead-lettered");
    assertEquals(Validity.VALID, ok.result().valid(), ok.result().summary() + " " + ok.runDir());
    assertTrue(ok.result().counts().get("receipts_failed") > 0, "a correct node dead-letters poison");
  }

}
