package io.deliverycheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.deliverycheck.checker.runner.Fault;
import io.deliverycheck.checker.runner.FaultPlan;
import io.deliverycheck.environments.nemesis.FaultPlans;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Delta debugging over a synthetic failing run: a fake trial stands for the runner. */
class ShrinkerTest {
  private static final List<String> NODES = List.of("n1", "n2", "n3");

  private static Shrinker.Candidate recorded(long seed) {
    FaultPlan plan = FaultPlans.generate(seed, NODES, DeliveryTest.composed(List.of("all"), Duration.ofSeconds(30)));
    return new Shrinker.Candidate(plan, Duration.ofSeconds(30), 40);
  }

  /**
   * The synthetic bug: a message is lost when a db-restart happens while n1 is killed (any window
   * that covers the restart), at 10 sends/s or more, and only in 80% of replays (nondeterminism).
   */
  private static boolean bug(Shrinker.Candidate c) {
    for (Fault kill : c.plan().faults()) {
      if (kill.kind().equals(Fault.KILL) && kill.detail().path("node").asText().equals("n1")) {
        for (Fault db : c.plan().faults()) {
          if (db.kind().equals(Fault.DB_RESTART) && db.atMs() >= kill.atMs() && db.atMs() < kill.endMs()) {
            return c.rate() >= 10;
          }
        }
      }
    }
    return false;
  }

  /** A plan of the composing nemesis with the bug's two faults placed in it. */
  private static Shrinker.Candidate failing(long seed) {
    Shrinker.Candidate r = recorded(seed);
    List<Fault> fs = new java.util.ArrayList<>(r.plan().faults());
    fs.add(new Fault(12_000, 6_000, Fault.KILL, null, JsonNodeFactory.instance.objectNode().put("node", "n1")));
    fs.add(new Fault(15_000, 2_000, Fault.DB_RESTART, null, null));
    return r.withFaults(fs);
  }

  @Test
  void shrinksToTheTwoFaultsThatMatterWithShortWindowsAShortWorkloadAndALowerRate() throws Exception {
    long seed = 11;
    System.out.println("seed " + seed);
    Random noise = new Random(seed);
    int[] runs = {0};
    Shrinker.Trial trial = (c, replay) -> {
      runs[0]++;
      boolean fails = bug(c) && noise.nextDouble() < 0.8;
      return fails ? new Shrinker.Outcome(Set.of("lost"), "run" + runs[0], 15_500) : Shrinker.Outcome.passed("run" + runs[0]);
    };
    Shrinker.Candidate start = failing(seed);
    assertTrue(start.faults() > 10, "a composed plan: " + start.describe());
    Shrinker.Result r = new Shrinker(trial, 2, 3, Set.of("lost"), 400, Duration.ofHours(1), System::nanoTime, null).shrink(start);
    System.out.println(r.best().describe() + "; " + r.confidence() + "; " + r.trials() + " replays\n  " + String.join("\n  ", r.steps()));
    assertTrue(r.reproduced());
    List<Fault> left = r.best().plan().faults();
    assertEquals(2, left.size(), "just the kill and the db-restart: " + left);
    assertTrue(bug(r.best()), "the shrunk plan still has the bug");
    Fault db = left.stream().filter(f -> f.kind().equals(Fault.DB_RESTART)).findFirst().orElseThrow();
    assertTrue(db.durationMs() < 2_000, "the db-restart's window was shortened: " + db);
    assertTrue(r.best().faultMillis() < 8_000, "shorter windows: " + r.best().describe());
    assertTrue(r.best().timeLimit().toMillis() < 30_000, "a shorter workload: " + r.best().timeLimit());
    assertTrue(r.best().rate() < 40 && r.best().rate() >= 10, "a lower rate that still fails: " + r.best().rate());
    assertEquals(3, r.replays());
    assertTrue(r.failed() >= 1 && r.failed() <= 3, r.confidence());
    assertTrue(r.confidence().contains("of 3 replays"), r.confidence());
    assertEquals(r.trials(), runs[0]);
  }

  @Test
  void aFailureThatDoesNotReproduceIsSaidSoAndNothingIsShrunk() throws Exception {
    Shrinker.Candidate start = failing(3);
    int[] runs = {0};
    Shrinker.Trial never = (c, replay) -> {
      runs[0]++;
      return Shrinker.Outcome.passed(null);
    };
    Shrinker.Result r = new Shrinker(never, 2, 3, Set.of("lost"), 100, Duration.ofHours(1), System::nanoTime, null).shrink(start);
    assertFalse(r.reproduced());
    assertEquals(start, r.best());
    assertEquals(2, runs[0], "stops once 2 of 3 can no longer fail");
  }

  @Test
  void anotherViolationIsAnotherBugAndTheBudgetIsKept() throws Exception {
    Shrinker.Candidate start = failing(5);
    // everything fails, but only the full plan fails with the wanted violation
    Shrinker.Trial other = (c, replay) -> new Shrinker.Outcome(
        c.equals(start) ? Set.of("lost") : Set.of("duplicated"), null, -1);
    Shrinker.Result r = new Shrinker(other, 1, 1, Set.of("lost"), 100, Duration.ofHours(1), System::nanoTime, null).shrink(start);
    assertEquals(start, r.best(), "no smaller plan shows the loss");

    Shrinker.Trial always = (c, replay) -> new Shrinker.Outcome(Set.of("lost"), null, -1);
    Shrinker.Result capped = new Shrinker(always, 1, 2, Set.of(), 7, Duration.ofHours(1), System::nanoTime, null).shrink(start);
    assertTrue(capped.budgetHit());
    assertTrue(capped.trials() <= 7 + 2, "the budget plus the confirming replays: " + capped.trials());
  }
}
