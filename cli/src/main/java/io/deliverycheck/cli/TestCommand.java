package io.deliverycheck.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.Guarantee;
import io.deliverycheck.checker.Validity;
import io.deliverycheck.checker.runner.FaultPlan;
import io.deliverycheck.checker.runner.Progress;
import io.deliverycheck.checker.runner.RunResult;
import io.deliverycheck.checker.runner.SetupException;
import io.deliverycheck.checker.runner.TestSpec;
import io.deliverycheck.checker.report.JUnitXml;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code deliverycheck test}: runs a whole verification (set up, workload + faults, heal, drain,
 * check, report) and exits as {@code check} does: 0 valid, 1 invalid, 2 unknown, 3 the history
 * could not be read; 4 when an option is wrong, the set-up failed (the message names what failed
 * and where the logs are), or the harness failed at something during the run (a fault not applied
 * or not healed, a node not healthy again: one line per failed step) and the verdict is not
 * invalid.
 */
@Command(
    name = "test",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    exitCodeOnInvalidInput = 4,
    exitCodeOnExecutionException = 4,
    description = {
      "Run a verification end to end and store it under results/<name>/<timestamp>/.",
      "Starts a reference cluster with its own PostgreSQL (or, with --system, another",
      "system under test as private instances), runs a workload while injecting faults,",
      "heals, drains, checks the history and writes the report."
    },
    footer = {
      "",
      "Exit codes: 0 valid, 1 invalid, 2 unknown, 3 unreadable history,",
      "4 bad options, set-up failed, or a harness error (a fault not applied",
      "or not healed, a node not healthy again) in a run that is not invalid.",
      "",
      "Examples:",
      "  deliverycheck test                  3 nodes, exactly-once, 60 s of faults",
      "  deliverycheck test --bug ack-before-commit --nemesis kill,db-restart \\",
      "      --rate 40 --time-limit 30",
      "  deliverycheck test --guarantee at-least-once --runs 5 --seed 100",
      "  deliverycheck test --system rabbitmq --system-opt queue-type=classic",
      "  deliverycheck test --system-file examples/reference-node.system.json",
      "  deliverycheck test --bug ack-before-commit \\",
      "      --fault-plan results/x/latest/faults.json"
    })
public final class TestCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--nodes", paramLabel = "N", defaultValue = "3", description = "Number of nodes (default: ${DEFAULT-VALUE}).")
  int nodes;

  @Option(names = "--system", paramLabel = "NAME", defaultValue = "reference",
      description = "The system under test: reference, rabbitmq, ... (default: ${DEFAULT-VALUE}; `deliverycheck systems` lists them).")
  String system;

  @Option(names = "--system-file", paramLabel = "FILE",
      description = "A system described by a file: how its nodes start, are checked and stop, its protocol, claims and faults (docs/systems.md; `deliverycheck init` writes a template).")
  Path systemFile;

  @Option(names = "--system-opt", paramLabel = "K=V",
      description = "An option of the system under test (repeatable), e.g. queue-type=classic.")
  List<String> systemOptions = new ArrayList<>();

  @Option(names = "--guarantee", paramLabel = "G",
      description = "at-most-once, at-least-once or exactly-once: what the checker judges, and the reference nodes' mode (default: what the system claims; exactly-once for the reference).")
  String guarantee;

  @Option(names = "--workload", paramLabel = "W", defaultValue = "chat", description = "chat, payments or poison (default: ${DEFAULT-VALUE}).")
  String workload;

  @Option(names = "--nemesis", paramLabel = "FAULT", defaultValue = "partition,kill,pause", split = ",",
      description = "Faults, any of partition,kill,pause,db-restart,link-delay,device-disconnect,power-loss,clock-skew,corrupt-file (or partition-<shape>, partition-refuse, partition-drop), all (every kind the system offers but power-loss, clock-skew, corrupt-file, drawn only when named), or none; up to 3 at once, overlapping, each named kind at least once (default: ${DEFAULT-VALUE}).")
  List<String> nemesis;

  @Option(names = "--time-limit", paramLabel = "SECONDS", defaultValue = "60", description = "Seconds of workload and faults (default: ${DEFAULT-VALUE}).")
  int timeLimit;

  @Option(names = "--rate", paramLabel = "PER_SECOND", defaultValue = "10", description = "Sends per second (default: ${DEFAULT-VALUE}).")
  double rate;

  @Option(names = "--users", paramLabel = "N", defaultValue = "10", description = "Users (default: ${DEFAULT-VALUE}).")
  int users;

  @Option(names = "--devices-per-user", paramLabel = "N", defaultValue = "2", description = "Devices per user (default: ${DEFAULT-VALUE}).")
  int devicesPerUser;

  @Option(names = "--seed", paramLabel = "SEED", description = "Seed of the workload and the fault plan (default: from the clock, printed).")
  Long seed;

  @Option(names = "--bug", paramLabel = "NAME", description = "A planted bug passed to the nodes (repeatable): ack-before-commit, no-idempotency-key, gateway-write-is-delivered, no-lease, no-dead-letter, no-backoff.")
  List<String> bugs = new ArrayList<>();

  @Option(names = "--env", paramLabel = "ENV", defaultValue = "local", description = "local, netns, ssh (with --hosts) or fake (default: ${DEFAULT-VALUE}).")
  String env;

  @Option(names = "--hosts", paramLabel = "FILE", description = "The hosts of --env ssh: addresses, users, keys, which host runs which node, where the database runs (docs/real-hosts.md).")
  Path hosts;

  @Option(names = "--runs", paramLabel = "N", defaultValue = "1", description = "Repeat with seeds seed..seed+N-1 and summarise (default: ${DEFAULT-VALUE}).")
  int runs;

  @Option(names = "--name", paramLabel = "NAME", defaultValue = "default", description = "Test name: results/<name>/ (default: ${DEFAULT-VALUE}).")
  String name;

  @Option(names = "--results", paramLabel = "DIR", description = "Results folder (default: results/ of the repository, else ./results).")
  Path results;

  @Option(names = "--quiet-period", paramLabel = "SECONDS", defaultValue = "5",
      description = "Drain ends after this many seconds without a receive, at least the system's retry horizon (default: ${DEFAULT-VALUE}).")
  int quietPeriod;

  @Option(names = "--drain-cap", paramLabel = "SECONDS", defaultValue = "60", description = "The drain never lasts longer than this many seconds (default: ${DEFAULT-VALUE}).")
  int drainCap;

  @Option(names = "--fault-plan", paramLabel = "FILE",
      description = "Replay this fault plan (a faults.json of an earlier run) instead of generating one from --nemesis.")
  Path faultPlan;

  @Option(names = "--poison-fraction", paramLabel = "F",
      description = "Share of poison messages in the poison workload (default: the workload's).")
  Double poisonFraction;

  @Option(names = "--request-timeout-ms", paramLabel = "MS", defaultValue = "2000",
      description = "Client timeout of a send, ack or read; then the op is recorded as info (default: ${DEFAULT-VALUE}).")
  long requestTimeoutMs;

  @Option(names = "--junit-xml", paramLabel = "FILE",
      description = "Also write one JUnit XML test case per run (failures name the violated outcomes and the report).")
  Path junitXml;

  @Option(names = "--quiet", description = "Print only the verdict and the results folder.")
  boolean quiet;

  @Option(names = "--json", description = "Print the results as JSON on stdout (human text goes to stderr).")
  boolean json;

  @Override
  public Integer call() {
    PrintStream human = json ? System.err : System.out;
    long firstSeed = seed != null ? seed : System.currentTimeMillis() % 1_000_000;
    DeliveryTest test;
    try {
      if (runs < 1) {
        throw new IllegalArgumentException("--runs " + runs + ": must be >= 1");
      }
      DeliveryTest.Builder b = DeliveryTest.builder().name(name).nodes(nodes)
          .system(system).systemOptions(systemOptions)
          .workload(workload).nemesis(nemesis).nemesisDefaulted(!spec.commandLine().getParseResult().hasMatchedOption("--nemesis"))
          .timeLimit(Duration.ofSeconds(timeLimit)).rate(rate)
          .users(users).devicesPerUser(devicesPerUser).seed(firstSeed).bugs(bugs).env(env).hosts(hosts)
          .results(results).quiet(Duration.ofSeconds(quietPeriod)).drainCap(Duration.ofSeconds(drainCap))
          .requestTimeout(Duration.ofMillis(requestTimeoutMs))
          .token(System.getenv("DELIVERYCHECK_TOKEN"))
          .progress(quiet ? null : new ProgressPrinter(human));
      if (systemFile != null) {
        b.systemFile(systemFile);
      }
      if (guarantee != null) {
        b.guarantee(parseGuarantee(guarantee));
      }
      if (requestTimeoutMs <= 0) {
        throw new IllegalArgumentException("--request-timeout-ms " + requestTimeoutMs + ": must be positive");
      }
      if (poisonFraction != null) {
        if (poisonFraction < 0 || poisonFraction > 1) {
          throw new IllegalArgumentException("--poison-fraction " + poisonFraction + ": must be between 0 and 1");
        }
        b.poisonFraction(poisonFraction);
      }
      if (faultPlan != null) {
        FaultPlan plan;
        try {
          plan = FaultPlan.read(faultPlan);
        } catch (IOException e) {
          throw new IllegalArgumentException("--fault-plan " + e.getMessage());
        }
        b.faultPlan((nodeNames, seed) -> plan);
      }
      test = b.build();
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    TestSpec s = test.spec();
    List<RunResult> done = new ArrayList<>();
    List<Double> seconds = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      TestSpec run = s.withSeed(firstSeed + i);
      if (!quiet) {
        human.printf("deliverycheck test %s: seed %d%s, %s%d nodes (%s), %s, %s workload at %s/s, nemesis %s, %d s%s%n",
            name, run.seed(), runs > 1 ? " (run " + (i + 1) + " of " + runs + ")" : "",
            systemFile == null && system.equals("reference") ? "" : test.system() + (systemOptions.isEmpty() ? "" : " " + String.join(" ", systemOptions)) + ", ",
            nodes, env, test.guarantee().wire(), workload, fmt(rate), faultPlan != null ? "from " + faultPlan : test.nemesis().isEmpty() ? "none" : String.join(",", test.nemesis()), timeLimit,
            bugs.isEmpty() ? "" : ", bugs " + String.join(",", bugs));
      }
      RunResult r;
      long runStarted = System.nanoTime();
      try {
        r = io.deliverycheck.checker.runner.Runner.run(run);
      } catch (SetupException e) {
        System.err.printf("deliverycheck test: %s%n  logs: %s%n  details: %s%n", e.getMessage(),
            e.runDir().resolve("logs"), e.runDir().resolve("error.txt"));
        return 4;
      } catch (IOException e) {
        System.err.println("deliverycheck test: " + e.getMessage());
        return 3;
      }
      done.add(r);
      seconds.add((System.nanoTime() - runStarted) / 1e9);
      if (!quiet) {
        ProgressPrinter.endLine(human);
      }
      human.println(verdictLine(r));
      String storm = stormLine(r);
      if (storm != null) {
        human.println(storm);
      }
      for (String step : harnessErrorLines(r)) {
        human.println(step);
      }
      human.println("results: " + r.runDir());
    }
    if (runs > 1) {
      human.println(summary(done));
    }
    if (junitXml != null) {
      List<JUnitXml.Case> cases = new ArrayList<>();
      for (int i = 0; i < done.size(); i++) {
        RunResult r = done.get(i);
        cases.add(JUnitXml.Case.fromRun(name + "-seed" + r.seed(), r.runDir(), seconds.get(i)));
      }
      try {
        JUnitXml.write(junitXml, "deliverycheck.test", cases);
      } catch (IOException e) {
        System.err.println("deliverycheck test: cannot write --junit-xml " + junitXml + ": " + e.getMessage());
        return 3;
      }
    }
    if (json) {
      System.out.println(json(done).toPrettyString());
    }
    return exitCode(done);
  }

  static Guarantee parseGuarantee(String g) {
    for (Guarantee x : Guarantee.values()) {
      if (x.wire().equals(g)) {
        return x;
      }
    }
    throw new IllegalArgumentException("--guarantee " + g + ": choose at-most-once, at-least-once or exactly-once");
  }

  /** Any invalid run: 1; else any run with a harness error: 4; else any unknown: 2; else 0. */
  static int exitCode(List<RunResult> rs) {
    if (rs.stream().anyMatch(r -> r.result().valid() == Validity.INVALID)) {
      return 1;
    }
    if (rs.stream().anyMatch(r -> r.harnessErrorCount() > 0)) {
      return 4;
    }
    if (rs.stream().anyMatch(r -> r.result().valid() == Validity.UNKNOWN)) {
      return 2;
    }
    return 0;
  }

  /**
   * One line per step of the harness that failed, headed by what it means for the exit code; none
   * when nothing failed.
   */
  static List<String> harnessErrorLines(RunResult r) {
    long n = r.harnessErrorCount();
    if (n == 0) {
      return List.of();
    }
    List<String> lines = new ArrayList<>();
    lines.add("HARNESS ERRORS (" + n + ")" + (r.result().valid() == Validity.INVALID
        ? ": the violations above were observed all the same"
        : ": this run did not test what it claims (exit 4); failed steps:"));
    for (String step : r.harnessErrors()) {
      lines.add("  " + step);
    }
    if (r.harnessErrors().size() < n) {
      lines.add("  (" + (n - r.harnessErrors().size()) + " more in " + r.runDir().resolve("results.json") + ")");
    }
    return lines;
  }

  static String verdictLine(RunResult r) {
    var c = r.result().counts();
    String v = switch (r.result().valid()) {
      case VALID -> "VALID";
      case INVALID -> "INVALID " + r.result().violations();
      default -> "UNKNOWN";
    };
    return String.format("%s (%s): sent_ok %d, owed %d, delivered %d, lost %d, duplicated %d; drain: %s; achieved %.1f sends/s, missed slots %d",
        v, r.result().guarantee().wire(), c.getOrDefault("sent_ok", 0L), c.getOrDefault("owed", 0L),
        c.getOrDefault("delivered", 0L), c.getOrDefault("lost", 0L), c.getOrDefault("duplicated", 0L),
        r.drainReason(), r.stats().achievedRate(), r.stats().missedSlots());
  }

  /** The storm signals of results.json's {@code run.storm} as one line; null when the run has none. */
  static String stormLine(RunResult r) {
    try {
      com.fasterxml.jackson.databind.JsonNode results = new com.fasterxml.jackson.databind.ObjectMapper()
          .readTree(r.runDir().resolve("results.json").toFile());
      return io.deliverycheck.checker.runner.StormSignals.line(results.path("run").get("storm"));
    } catch (IOException e) {
      return null;
    }
  }

  static String summary(List<RunResult> rs) {
    StringBuilder sb = new StringBuilder("summary of " + rs.size() + " runs:\n");
    for (RunResult r : rs) {
      sb.append(String.format("  seed %-8d %-8s %-30s %s%s%n", r.seed(), r.result().valid(),
          r.result().violations(), r.runDir(),
          r.harnessErrorCount() > 0 ? "  harness errors: " + r.harnessErrorCount() : ""));
    }
    long valid = rs.stream().filter(r -> r.result().valid() == Validity.VALID).count();
    long invalid = rs.stream().filter(r -> r.result().valid() == Validity.INVALID).count();
    sb.append(String.format("  %d valid, %d invalid, %d unknown", valid, invalid, rs.size() - valid - invalid));
    return sb.toString();
  }

  static ObjectNode json(List<RunResult> rs) {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("exit_code", exitCode(rs));
    ArrayNode a = o.putArray("runs");
    for (RunResult r : rs) {
      ObjectNode x = r.result().toJson();
      x.put("seed", r.seed());
      x.put("run_dir", r.runDir().toString());
      x.put("exit_code", r.exitCode());
      x.put("harness_error_count", r.harnessErrorCount());
      ArrayNode steps = x.putArray("harness_error_steps");
      r.harnessErrors().forEach(steps::add);
      a.add(x);
    }
    return o;
  }

  private static String fmt(double d) {
    return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
  }

  /** The live progress line: \r-updated on a terminal, one line every 5 s otherwise. */
  static final class ProgressPrinter implements TestSpec.ProgressListener {
    private final PrintStream out;
    private final boolean tty = System.console() != null;
    private long lastPrinted = -5000;

    ProgressPrinter(PrintStream out) {
      this.out = out;
    }

    @Override
    public synchronized void onProgress(Progress p) {
      if (tty) {
        out.print("\r" + p.line() + "   ");
        out.flush();
      } else if (p.elapsedMillis() - lastPrinted >= 5000) {
        lastPrinted = p.elapsedMillis();
        out.println(p.line());
      }
    }

    static void endLine(PrintStream out) {
      if (System.console() != null) {
        out.println();
      }
    }
  }
}
