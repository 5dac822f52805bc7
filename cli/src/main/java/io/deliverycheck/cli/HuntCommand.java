package io.deliverycheck.cli;

import io.deliverycheck.checker.Validity;
import io.deliverycheck.checker.runner.RunResult;
import io.deliverycheck.checker.runner.SetupException;
import io.deliverycheck.environments.nemesis.NemesisConfig;
import io.deliverycheck.systems.Systems;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code deliverycheck hunt}: runs seed after seed (and fault mix after fault mix) until the time
 * budget is spent or a run is invalid, with a live line; then shrinks that run
 * ({@link ShrinkCommand#shrink}). Exit 1 when a failure was found (whether or not it shrank), 0 when
 * the budget ended with every run valid, 2 when some runs were unknown and none invalid, 4 on bad
 * options, when no run could be set up, or after three set-up failures in a row.
 */
@Command(
    name = "hunt",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    exitCodeOnInvalidInput = 4,
    exitCodeOnExecutionException = 4,
    description = {
      "Look for a bug nobody told you about: run seeds and fault mixes against a time budget,",
      "stop at the first invalid run and shrink it to a small repro (see `shrink`)."
    },
    footer = {
      "",
      "Fault mixes: every third run uses --nemesis as given; the others a seeded draw of 2 or 3 of",
      "its kinds, so a bug that one kind of fault hides behind another still shows.",
      "",
      "Examples:",
      "  deliverycheck hunt --budget 10m",
      "  deliverycheck hunt --bug ack-before-commit --budget 5m --seed 1",
      "  deliverycheck hunt --system rabbitmq --system-opt queue-type=classic --budget 30m"
    })
public final class HuntCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--budget", paramLabel = "TIME", defaultValue = "10m", description = "Start no run after this long: 90s, 10m, 1h (default: ${DEFAULT-VALUE}).")
  String budget;

  @Option(names = "--time-limit", paramLabel = "SECONDS", defaultValue = "30", description = "Seconds of workload and faults per run (default: ${DEFAULT-VALUE}).")
  int timeLimit;

  @Option(names = "--nemesis", paramLabel = "FAULT", defaultValue = "all", split = ",", description = "The fault kinds to mix (default: ${DEFAULT-VALUE}).")
  List<String> nemesis;

  @Option(names = "--no-mixes", description = "Every run uses --nemesis as given (no drawn mixes).")
  boolean noMixes;

  @Option(names = "--seed", paramLabel = "SEED", description = "The first seed; then seed+1, ... (default: from the clock, printed).")
  Long seed;

  @Option(names = "--system", paramLabel = "NAME", defaultValue = "reference", description = "The system under test (default: ${DEFAULT-VALUE}).")
  String system;

  @Option(names = "--system-opt", paramLabel = "K=V", description = "An option of the system under test (repeatable).")
  List<String> systemOptions = new ArrayList<>();

  @Option(names = "--guarantee", paramLabel = "G", description = "at-most-once, at-least-once or exactly-once (default: what the system claims).")
  String guarantee;

  @Option(names = "--bug", paramLabel = "NAME", description = "A planted bug passed to the nodes (repeatable).")
  List<String> bugs = new ArrayList<>();

  @Option(names = "--nodes", paramLabel = "N", defaultValue = "3", description = "Number of nodes (default: ${DEFAULT-VALUE}).")
  int nodes;

  @Option(names = "--workload", paramLabel = "W", defaultValue = "chat", description = "chat, payments or poison (default: ${DEFAULT-VALUE}).")
  String workload;

  @Option(names = "--rate", paramLabel = "PER_SECOND", defaultValue = "10", description = "Sends per second (default: ${DEFAULT-VALUE}).")
  double rate;

  @Option(names = "--env", paramLabel = "ENV", defaultValue = "local", description = "local, netns or fake (default: ${DEFAULT-VALUE}).")
  String env;

  @Option(names = "--quiet-period", paramLabel = "SECONDS", defaultValue = "5",
      description = "Drain ends after this many seconds without a receive, at least the system's retry horizon (default: ${DEFAULT-VALUE}).")
  int quietPeriod;

  @Option(names = "--request-timeout-ms", paramLabel = "MS", defaultValue = "2000",
      description = "Client timeout of a send, ack or read (default: ${DEFAULT-VALUE}).")
  long requestTimeoutMs;

  @Option(names = "--name", paramLabel = "NAME", defaultValue = "hunt", description = "Test name: results/<name>/ (default: ${DEFAULT-VALUE}).")
  String name;

  @Option(names = "--results", paramLabel = "DIR", description = "Results folder (default: results/ of the repository).")
  Path results;

  @Option(names = "--no-shrink", description = "Stop at the first invalid run without shrinking it.")
  boolean noShrink;

  @Option(names = "--replays", paramLabel = "K/M", defaultValue = "2/3", description = "Shrinking: a plan holds when K of M replays fail (default: ${DEFAULT-VALUE}).")
  String replays;

  @Option(names = "--shrink-budget", paramLabel = "TIME", defaultValue = "20m", description = "Shrinking stops after this long (default: ${DEFAULT-VALUE}).")
  String shrinkBudget;

  @Option(names = "--max-replays", paramLabel = "N", defaultValue = "60", description = "Shrinking stops after this many replays (default: ${DEFAULT-VALUE}).")
  int maxReplays;

  @Override
  public Integer call() {
    PrintStream out = System.out;
    long first = seed != null ? seed : System.currentTimeMillis() % 1_000_000;
    Duration b;
    Duration sb;
    int[] km;
    List<String> kinds;
    DeliveryTest.Builder base;
    try {
      b = ShrinkCommand.parseDuration("--budget", budget);
      sb = ShrinkCommand.parseDuration("--shrink-budget", shrinkBudget);
      km = ShrinkCommand.parseReplays(replays);
      base = DeliveryTest.builder().name(name).nodes(nodes).system(system).systemOptions(systemOptions)
          .workload(workload).timeLimit(Duration.ofSeconds(timeLimit)).rate(rate).bugs(bugs).env(env)
          .results(results).token(System.getenv("DELIVERYCHECK_TOKEN"))
          .quiet(Duration.ofSeconds(quietPeriod)).requestTimeout(Duration.ofMillis(requestTimeoutMs));
      if (guarantee != null) {
        base.guarantee(TestCommand.parseGuarantee(guarantee));
      }
      base.nemesis(nemesis).build();
      var chosen = Systems.choose(system, systemOptions, guarantee == null ? null : TestCommand.parseGuarantee(guarantee), bugs);
      kinds = NemesisConfig.parseFor(nemesis, chosen.system().faults(chosen.settings()));
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    out.printf("hunt %s: seeds from %d, %d s runs, nemesis %s%s, budget %d s%s%n", name, first, timeLimit,
        String.join(",", kinds), noMixes ? "" : " (and mixes of it)", b.toSeconds(),
        bugs.isEmpty() ? "" : ", bugs " + String.join(",", bugs));
    long t0 = System.nanoTime();
    int valid = 0;
    int unknown = 0;
    int setupFailures = 0; // in a row
    int failedSetups = 0;
    for (int i = 0; System.nanoTime() - t0 < b.toNanos(); i++) {
      long s = first + i;
      List<String> mix = mix(kinds, s, i);
      final int run = i + 1;
      final int ok = valid;
      HuntLine line = new HuntLine(out, () -> String.format("hunt run %d seed %d [%s] %s of %s, %d valid",
          run, s, String.join(",", mix), clock(System.nanoTime() - t0), clock(b.toNanos()), ok));
      RunResult r;
      try {
        r = base.nemesis(mix).seed(s).progress(line).build().run();
      } catch (SetupException e) {
        line.end();
        out.printf("hunt run %d seed %d: set-up failed: %s (logs: %s)%n", run, s, e.getMessage(), e.runDir().resolve("logs"));
        failedSetups++;
        if (++setupFailures == 3) {
          out.println("hunt: three set-ups in a row failed; stopping (the machine may be too loaded: see the logs)");
          return 4;
        }
        continue;
      } catch (IOException e) {
        line.end();
        out.println("hunt: " + e.getMessage());
        return 3;
      }
      line.end();
      setupFailures = 0;
      out.printf("hunt run %d seed %d [%s]: %s%n", run, s, String.join(",", mix), TestCommand.verdictLine(r));
      String storm = TestCommand.stormLine(r);
      if (storm != null) {
        out.println("  " + storm);
      }
      for (String h : TestCommand.harnessErrorLines(r)) {
        out.println(h);
      }
      if (r.result().valid() == Validity.INVALID) {
        out.printf("hunt: found after %d run%s, %s: %s%n", run, run == 1 ? "" : "s", clock(System.nanoTime() - t0), r.runDir());
        try {
          for (String l : Story.lines(r.runDir(), 3, 30)) {
            out.println(l);
          }
        } catch (IOException e) {
          out.println("(no story: " + e.getMessage() + ")");
        }
        if (!noShrink) {
          Replay replay = Replay.of(r.runDir());
          Path root = r.runDir().getParent().getParent();
          ShrinkCommand.shrink(replay, km[0], km[1], sb, maxReplays, root, out);
        } else {
          out.println("shrink it: bin/deliverycheck shrink " + r.runDir());
        }
        return 1;
      }
      if (r.result().valid() == Validity.VALID) {
        valid++;
      } else {
        unknown++;
      }
    }
    out.printf("hunt: budget spent, %d valid and %d unknown runs%s, nothing invalid found%n", valid, unknown,
        failedSetups > 0 ? " (and " + failedSetups + " failed set-ups)" : "");
    if (valid + unknown == 0) {
      return 4; // nothing was tested
    }
    return unknown > 0 ? 2 : 0;
  }

  /**
   * The fault kinds of run {@code i} (seed {@code s}): all of {@code kinds} every third run, else a
   * draw of 2 or 3 of them from the seed.
   */
  List<String> mix(List<String> kinds, long s, int i) {
    if (noMixes || i % 3 == 0 || kinds.size() <= 2) {
      return kinds;
    }
    List<String> k = new ArrayList<>(kinds);
    Collections.shuffle(k, new Random(s * 31 + 7));
    List<String> picked = new ArrayList<>(k.subList(0, Math.min(k.size(), 2 + (int) (Math.abs(s) % 2))));
    picked.sort((a, c) -> Integer.compare(kinds.indexOf(a), kinds.indexOf(c)));
    return picked;
  }

  static String clock(long nanos) {
    long s = nanos / 1_000_000_000L;
    return String.format("%d:%02d", s / 60, s % 60);
  }

  /** The live line: the hunt's position, then the run's own progress. */
  private static final class HuntLine implements io.deliverycheck.checker.runner.TestSpec.ProgressListener {
    private final PrintStream out;
    private final java.util.function.Supplier<String> head;
    private final boolean tty = System.console() != null;
    private long lastPrinted = -10_000;

    HuntLine(PrintStream out, java.util.function.Supplier<String> head) {
      this.out = out;
      this.head = head;
    }

    @Override
    public synchronized void onProgress(io.deliverycheck.checker.runner.Progress p) {
      if (tty) {
        out.print("\r" + head.get() + " | " + p.line() + "   ");
        out.flush();
      } else if (p.elapsedMillis() - lastPrinted >= 10_000) {
        lastPrinted = p.elapsedMillis();
        out.println(head.get() + " | " + p.line());
      }
    }

    void end() {
      if (tty) {
        out.println();
      }
    }
  }
}
