package io.deliverycheck.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.runner.RunFolder;
import io.deliverycheck.checker.runner.RunResult;
import io.deliverycheck.checker.runner.SetupException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code deliverycheck shrink RUN_FOLDER}: delta debugging over a failing run's fault plan
 * ({@link Shrinker}), each candidate replayed as a whole run; writes {@code RUN_FOLDER/repro.json}
 * (a fault plan {@code test --fault-plan} reads, with how sure it is and the command) and prints the
 * command and the shrunk run's story. Exit 0 when a shrunk plan that fails k of m was written, 1 when
 * the failure did not reproduce, 4 on bad input.
 */
@Command(
    name = "shrink",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    exitCodeOnInvalidInput = 4,
    exitCodeOnExecutionException = 4,
    description = {
      "Find a smaller fault plan (fewer faults, shorter windows, a shorter workload, a lower rate)",
      "that still fails k of m replays, by delta debugging over a failing run's faults.json.",
      "Writes RUN_FOLDER/repro.json and prints the one command that replays it."
    },
    footer = {
      "",
      "Examples:",
      "  deliverycheck shrink results/default/latest",
      "  deliverycheck shrink results/hunt/20261202T030000 --replays 3/5 --budget 30m"
    })
public final class ShrinkCommand implements Callable<Integer> {
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "RUN_FOLDER", description = "A stored failing run (results/<name>/<timestamp> or .../latest).")
  Path runFolder;

  @Option(names = "--replays", paramLabel = "K/M", defaultValue = "2/3",
      description = "A candidate holds when K of M replays fail with the run's violation (default: ${DEFAULT-VALUE}).")
  String replays;

  @Option(names = "--budget", paramLabel = "TIME", defaultValue = "20m",
      description = "Stop shrinking after this long (90s, 20m, 1h) and keep the smallest plan that held (default: ${DEFAULT-VALUE}).")
  String budget;

  @Option(names = "--max-replays", paramLabel = "N", defaultValue = "60",
      description = "Stop shrinking after this many replays (default: ${DEFAULT-VALUE}).")
  int maxReplays;

  @Option(names = "--results", paramLabel = "DIR", description = "Results folder of the replays (default: the run's own results folder).")
  Path results;

  @Override
  public Integer call() {
    Replay replay;
    int[] km;
    Duration b;
    try {
      km = parseReplays(replays);
      b = parseDuration("--budget", budget);
      replay = Replay.of(runFolder);
      if (replay.violations().isEmpty()) {
        throw new IllegalArgumentException(runFolder + ": the run is not invalid (results.json has no violation); nothing to shrink");
      }
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    Path root = results != null ? results : replay.runDir().getParent().getParent();
    return shrink(replay, km[0], km[1], b, maxReplays, root, System.out);
  }

  /** Shrinks {@code replay}'s failing run; the exit code of the command. Shared with {@code hunt}. */
  static int shrink(Replay replay, int k, int m, Duration budget, int maxReplays, Path resultsRoot, PrintStream out) {
    String name = replay.name().endsWith("-shrink") ? replay.name() : replay.name() + "-shrink";
    Shrinker.Candidate start = new Shrinker.Candidate(replay.plan(), replay.timeLimit(), replay.rate());
    out.printf("shrink %s: %s, violations %s; a plan holds when %d of %d replays fail (the stored run counts as the first replay of its own plan); budget %d s or %d replays%n",
        replay.runDir(), start.describe(), String.join(",", replay.violations()), k, m, budget.toSeconds(), maxReplays);
    Shrinker.Trial trial = (c, i) -> {
      RunResult r;
      try {
        r = replay.builder(name, c.plan(), c.timeLimit(), c.rate(), resultsRoot).build().run();
      } catch (SetupException e) {
        out.println("    replay could not be set up (counts as not failing): " + e.getMessage());
        throw e;
      }
      return Replay.outcome(r);
    };
    long t0 = System.nanoTime();
    Shrinker.Listener listener = new Shrinker.Listener() {
      @Override
      public void replay(String step, Shrinker.Candidate c, int i, int of) {
        out.printf("  [%4.0f s] %-45s replay %d of %d: %s ... ", (System.nanoTime() - t0) / 1e9, step, i + 1, of, c.describe());
        out.flush();
      }

      @Override
      public void replayed(String step, Shrinker.Outcome o) {
        out.println(o.violations().isEmpty() ? "valid" : "INVALID " + o.violations());
      }

      @Override
      public void kept(String step, Shrinker.Candidate c) {
        out.println("    kept: " + c.describe());
      }
    };
    Shrinker.Result r;
    try {
      long first = -1;
      try {
        first = Replay.firstViolationMs(replay.runDir());
      } catch (IOException e) {
        // no hint: the workload is not cut at the first violation
      }
      Shrinker.Outcome observed = new Shrinker.Outcome(replay.violations(), replay.runDir().toString(), first);
      r = new Shrinker(trial, k, m, replay.violations(), maxReplays, budget, System::nanoTime, listener).shrink(start, observed);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 4;
    }
    if (!r.reproduced()) {
      out.printf("the failure did not reproduce: fewer than %d of %d replays of the recorded plan failed with %s; nothing shrunk%n",
          k, m, String.join(",", replay.violations()));
      return 1;
    }
    Path repro = replay.runDir().resolve("repro.json");
    String command = replay.command(repro, r.best().timeLimit(), r.best().rate(), replay.name() + "-repro");
    try {
      ObjectNode doc = (ObjectNode) JSON.readTree(r.best().plan().toJson());
      doc.put("source_run", replay.runDir().toString());
      doc.put("time_limit_s", r.best().timeLimit().toSeconds());
      doc.put("rate", r.best().rate());
      ArrayNode v = doc.putArray("violations");
      replay.violations().forEach(v::add);
      doc.put("replays", r.replays());
      doc.put("failed", r.failed());
      doc.put("k", r.k());
      doc.put("confidence", r.confidence());
      doc.put("from", r.start().describe());
      doc.put("to", r.best().describe());
      doc.put("shrink_replays", r.trials());
      doc.put("budget_hit", r.budgetHit());
      ArrayNode steps = doc.putArray("steps");
      r.steps().forEach(steps::add);
      if (r.lastFailingRun() != null) {
        doc.put("failing_run", r.lastFailingRun());
      }
      doc.put("command", command);
      RunFolder.writeAtomically(repro, JSON.writeValueAsString(doc));
    } catch (IOException e) {
      out.println("shrink: cannot write " + repro + ": " + e.getMessage());
      return 3;
    }
    out.printf("shrunk: %s -> %s; %s%s%n", r.start().describe(), r.best().describe(), r.confidence(),
        r.budgetHit() ? " (the budget ended the search: a smaller plan may exist)" : "");
    for (var f : r.best().plan().faults()) {
      out.printf("  %6.1f s +%5.1f s  %s%s%n", f.atMs() / 1000.0, f.durationMs() / 1000.0, f.kind(),
          f.detail().has("node") ? " " + f.detail().path("node").asText() : f.shape() != null ? " " + f.shape() : "");
    }
    if (r.lastFailingRun() != null) {
      try {
        for (String line : Story.lines(Path.of(r.lastFailingRun()), 3, 30)) {
          out.println(line);
        }
        out.println("report: " + Path.of(r.lastFailingRun()).resolve("report.html"));
      } catch (IOException e) {
        out.println("(no story: " + e.getMessage() + ")");
      }
    }
    out.println("repro: " + repro);
    out.println("replay it: " + command);
    return 0;
  }

  static int[] parseReplays(String s) {
    String[] p = s.split("/");
    try {
      if (p.length == 2) {
        int k = Integer.parseInt(p[0].trim());
        int m = Integer.parseInt(p[1].trim());
        if (k >= 1 && m >= k && m <= 20) {
          return new int[] {k, m};
        }
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw new IllegalArgumentException("--replays " + s + ": write K/M with 1 <= K <= M <= 20, e.g. 2/3");
  }

  /** {@code 90s}, {@code 10m}, {@code 1h}, or plain seconds. */
  static Duration parseDuration(String option, String s) {
    String t = s.trim().toLowerCase(java.util.Locale.ROOT);
    try {
      long n;
      if (t.endsWith("h")) {
        n = Long.parseLong(t.substring(0, t.length() - 1)) * 3600;
      } else if (t.endsWith("m")) {
        n = Long.parseLong(t.substring(0, t.length() - 1)) * 60;
      } else if (t.endsWith("s")) {
        n = Long.parseLong(t.substring(0, t.length() - 1));
      } else {
        n = Long.parseLong(t);
      }
      if (n > 0) {
        return Duration.ofSeconds(n);
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw new IllegalArgumentException(option + " " + s + ": write a positive time such as 90s, 10m or 1h");
  }
}
