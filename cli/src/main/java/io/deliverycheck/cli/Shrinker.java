package io.deliverycheck.cli;

import io.deliverycheck.checker.runner.Fault;
import io.deliverycheck.checker.runner.FaultPlan;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * Delta debugging over a failing run's recorded fault plan (Zeller's ddmin, as Jepsen and
 * QuickCheck users shrink): a smaller {@link Candidate} (fewer faults, shorter windows, a shorter
 * workload, a lower rate) replaces the current one when it still fails in {@code k} of {@code m}
 * replays ({@link #holds}). Runs are nondeterministic, so a replay is evidence, not proof: the
 * result says how many of its replays failed.
 *
 * <p>Steps, cheapest first, each kept only when it holds: the recorded plan itself (the stored
 * failing run counts as its first replay); no faults at all; the workload cut to
 * just after the first violation seen; whole fault kinds dropped; ddmin over the remaining faults;
 * each window halved (down to {@link #MIN_WINDOW_MS}); the workload cut to just after the last
 * fault; the rate halved (down to 1/s). Every replay is one {@link Trial}; the shrinker stops
 * trying at its budget (replays or time) and keeps the smallest candidate that held. Pure: all
 * running happens in the trial, so it is tested with a fake.
 */
final class Shrinker {
  static final long MIN_WINDOW_MS = 250;
  static final long MIN_LIMIT_MS = 5_000;
  /** Time left after the first violation or the last fault when the workload is cut. */
  static final long TAIL_MS = 2_000;

  /** What one replay runs: a fault plan, a workload length and a rate. */
  record Candidate(FaultPlan plan, Duration timeLimit, double rate) {
    int faults() {
      return plan.faults().size();
    }

    long faultMillis() {
      return plan.faults().stream().mapToLong(Fault::durationMs).sum();
    }

    Candidate withFaults(List<Fault> f) {
      return new Candidate(new FaultPlan(plan.seed(), f), timeLimit, rate);
    }

    /**
     * The workload cut to {@code ms} rounded up to whole seconds (what {@code --time-limit} takes):
     * faults that start later are dropped, longer ones end at it.
     */
    Candidate cutAt(long cutMs) {
      long ms = (cutMs + 999) / 1000 * 1000;
      List<Fault> kept = new ArrayList<>();
      for (Fault f : plan.faults()) {
        if (f.atMs() < ms) {
          kept.add(f.endMs() <= ms ? f : new Fault(f.atMs(), ms - f.atMs(), f.kind(), f.shape(), f.detail()));
        }
      }
      return new Candidate(new FaultPlan(plan.seed(), kept), Duration.ofMillis(ms), rate);
    }

    String describe() {
      return String.format("%d fault%s (%.1f s of faults), %d s of workload at %s/s", faults(), faults() == 1 ? "" : "s",
          faultMillis() / 1000.0, timeLimit.toSeconds(), rate == Math.rint(rate) ? String.valueOf((long) rate) : String.valueOf(rate));
    }
  }

  /** What one replay showed: the violations found (empty: it did not fail), where it is stored, when the first violation happened. */
  record Outcome(Set<String> violations, String runDir, long firstViolationMs) {
    static Outcome passed(String runDir) {
      return new Outcome(Set.of(), runDir, -1);
    }
  }

  /** Runs candidate {@code c} once ({@code replay} counts from 0). */
  @FunctionalInterface
  interface Trial {
    Outcome run(Candidate c, int replay) throws Exception;
  }

  /** Hears each step: a replay started or ended, a candidate kept. */
  interface Listener {
    default void replay(String step, Candidate c, int replay, int of) {}

    default void replayed(String step, Outcome o) {}

    default void kept(String step, Candidate c) {}
  }

  /** How k of m replays went for the final candidate. */
  record Result(Candidate start, Candidate best, int failed, int replays, int k, boolean reproduced,
      int trials, boolean budgetHit, List<String> steps, String lastFailingRun) {

    /** How sure: "failed 3 of 3 replays" and what that means. */
    String confidence() {
      return String.format("failed %d of %d replays of the shrunk plan (the bar: %d of %d)", failed, replays, k, replays);
    }
  }

  private final Trial trial;
  private final int k;
  private final int m;
  private final Set<String> wanted;
  private final int maxTrials;
  private final long deadlineNanos;
  private final LongSupplier clock;
  private final Listener listener;
  private int trials;
  private boolean budgetHit;
  private String lastFailingRun;
  private long firstViolationMs = -1;
  private final List<String> steps = new ArrayList<>();

  /**
   * @param wanted the violations of the original run: a replay fails when it shows one of them
   *     (another failure is another bug, not this one); empty: any violation
   */
  Shrinker(Trial trial, int k, int m, Set<String> wanted, int maxTrials, Duration budget, LongSupplier clock, Listener listener) {
    if (k < 1 || m < k) {
      throw new IllegalArgumentException("--replays " + k + "/" + m + ": need 1 <= k <= m");
    }
    this.trial = trial;
    this.k = k;
    this.m = m;
    this.wanted = Set.copyOf(wanted);
    this.maxTrials = maxTrials;
    this.clock = clock;
    this.deadlineNanos = clock.getAsLong() + budget.toNanos();
    this.listener = listener == null ? new Listener() {} : listener;
  }

  Result shrink(Candidate start) throws InterruptedException {
    return shrink(start, null);
  }

  /**
   * Shrinks {@code start}; {@code observed}, when not null, is the stored failing run itself,
   * counted as the first of the {@code m} replays that must reproduce it.
   */
  Result shrink(Candidate start, Outcome observed) throws InterruptedException {
    int already = 0;
    if (observed != null && fails(observed)) {
      already = 1;
      lastFailingRun = observed.runDir();
      firstViolationMs = observed.firstViolationMs();
    }
    if (!holds("reproduce", start, already)) {
      return new Result(start, start, 0, m, k, false, trials, budgetHit, steps, lastFailingRun);
    }
    Candidate best = start;
    best = tryStep("no faults", best, best.withFaults(List.of()));
    if (firstViolationMs >= 0) {
      long cut = Math.max(MIN_LIMIT_MS, firstViolationMs + TAIL_MS);
      if (cut < best.timeLimit().toMillis()) {
        best = tryStep("workload cut after the first violation", best, best.cutAt(cut));
      }
    }
    best = dropKinds(best);
    best = ddmin(best);
    best = shortenWindows(best);
    long lastEnd = best.plan().faults().stream().mapToLong(Fault::endMs).max().orElse(0);
    long cut = Math.max(MIN_LIMIT_MS, lastEnd + TAIL_MS);
    if (cut < best.timeLimit().toMillis()) {
      best = tryStep("workload cut after the last fault", best, best.cutAt(cut));
    }
    while (best.rate() / 2 >= 1 && !over()) {
      Candidate lower = new Candidate(best.plan(), best.timeLimit(), best.rate() / 2);
      Candidate kept = tryStep("rate halved", best, lower);
      if (kept == best) {
        break;
      }
      best = kept;
    }
    // how sure: all m replays of the final candidate (its earlier replays may have stopped at k)
    int failed = 0;
    int ran = 0;
    for (int i = 0; i < m; i++) {
      Outcome o = replay("confirm", best, i);
      ran++;
      if (fails(o)) {
        failed++;
      }
    }
    return new Result(start, best, failed, ran, k, true, trials, budgetHit, steps, lastFailingRun);
  }

  /** Drops every fault of one kind at a time. */
  private Candidate dropKinds(Candidate best) throws InterruptedException {
    Set<String> kinds = new LinkedHashSet<>();
    best.plan().faults().forEach(f -> kinds.add(f.kind()));
    if (kinds.size() < 2) {
      return best;
    }
    for (String kind : kinds) {
      List<Fault> rest = best.plan().faults().stream().filter(f -> !f.kind().equals(kind)).toList();
      best = tryStep("without " + kind, best, best.withFaults(rest));
    }
    return best;
  }

  /** Zeller's ddmin: a 1-minimal list of faults (removing any one more makes it pass), as far as the budget allows. */
  private Candidate ddmin(Candidate best) throws InterruptedException {
    List<Fault> faults = best.plan().faults();
    int n = 2;
    while (faults.size() >= 2 && !over()) {
      List<List<Fault>> chunks = split(faults, n);
      boolean reduced = false;
      for (List<Fault> chunk : chunks) {
        Candidate c = best.withFaults(chunk);
        if (holds("ddmin: " + chunk.size() + " of " + faults.size() + " faults", c)) {
          best = keep("ddmin: " + chunk.size() + " of " + faults.size() + " faults", c);
          faults = chunk;
          n = 2;
          reduced = true;
          break;
        }
      }
      if (!reduced && n > 2) {
        for (List<Fault> chunk : chunks) {
          List<Fault> complement = new ArrayList<>(faults);
          complement.removeAll(chunk);
          Candidate c = best.withFaults(complement);
          if (holds("ddmin: " + complement.size() + " of " + faults.size() + " faults", c)) {
            best = keep("ddmin: " + complement.size() + " of " + faults.size() + " faults", c);
            faults = complement;
            n = Math.max(n - 1, 2);
            reduced = true;
            break;
          }
        }
      }
      if (!reduced) {
        if (n >= faults.size()) {
          break;
        }
        n = Math.min(faults.size(), 2 * n);
      }
    }
    if (faults.size() == 1 && !over()) {
      best = tryStep("no faults", best, best.withFaults(List.of()));
    }
    return best;
  }

  private Candidate shortenWindows(Candidate best) throws InterruptedException {
    for (int i = 0; i < best.faults() && !over(); i++) {
      while (!over()) {
        Fault f = best.plan().faults().get(i);
        long half = f.durationMs() / 2;
        if (half < MIN_WINDOW_MS) {
          break;
        }
        List<Fault> fs = new ArrayList<>(best.plan().faults());
        fs.set(i, new Fault(f.atMs(), half, f.kind(), f.shape(), f.detail()));
        Candidate kept = tryStep(f.kind() + " at " + f.atMs() + " ms: window halved to " + half + " ms", best, best.withFaults(fs));
        if (kept == best) {
          break;
        }
        best = kept;
      }
    }
    return best;
  }

  private static List<List<Fault>> split(List<Fault> faults, int n) {
    List<List<Fault>> out = new ArrayList<>();
    int size = faults.size();
    for (int i = 0; i < n; i++) {
      List<Fault> part = faults.subList(i * size / n, (i + 1) * size / n);
      if (!part.isEmpty()) {
        out.add(List.copyOf(part));
      }
    }
    return out;
  }

  /** {@code next} when it holds, else {@code best}. */
  private Candidate tryStep(String step, Candidate best, Candidate next) throws InterruptedException {
    if (over() || next.equals(best)) {
      return best;
    }
    return holds(step, next) ? keep(step, next) : best;
  }

  private Candidate keep(String step, Candidate c) {
    steps.add(step + " -> " + c.describe());
    listener.kept(step, c);
    return c;
  }

  /** True when {@code c} fails in {@code k} of {@code m} replays; stops as soon as the answer is known. */
  boolean holds(String step, Candidate c) throws InterruptedException {
    return holds(step, c, 0);
  }

  /** {@link #holds} with the first {@code failedAlready} replays already run, and failed. */
  private boolean holds(String step, Candidate c, int failedAlready) throws InterruptedException {
    int failed = failedAlready;
    for (int i = failedAlready; i < m; i++) {
      if (failed >= k || failed + (m - i) < k || over()) {
        break;
      }
      if (fails(replay(step, c, i))) {
        failed++;
      }
    }
    return failed >= k;
  }

  private Outcome replay(String step, Candidate c, int i) throws InterruptedException {
    trials++;
    listener.replay(step, c, i, m);
    Outcome o;
    try {
      o = trial.run(c, i);
    } catch (InterruptedException e) {
      throw e;
    } catch (Exception e) {
      o = Outcome.passed(null); // a replay that could not run shows nothing
    }
    listener.replayed(step, o);
    if (fails(o)) {
      lastFailingRun = o.runDir();
      if (firstViolationMs < 0 || (o.firstViolationMs() >= 0 && o.firstViolationMs() < firstViolationMs)) {
        firstViolationMs = o.firstViolationMs();
      }
    }
    return o;
  }

  private boolean fails(Outcome o) {
    return !o.violations().isEmpty() && (wanted.isEmpty() || o.violations().stream().anyMatch(wanted::contains));
  }

  private boolean over() {
    if (trials >= maxTrials || clock.getAsLong() - deadlineNanos >= 0) {
      budgetHit = true;
      return true;
    }
    return false;
  }
}
