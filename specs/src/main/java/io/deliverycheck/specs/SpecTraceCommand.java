package io.deliverycheck.specs;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code deliverycheck spec trace HISTORY}: trace validation of a recorded history against
 * the spec. Exit codes: 0 explained, 1 not explained, 2 bad input, 3 TLC cannot be run or
 * did not finish.
 */
@Command(
    name = "trace",
    mixinStandardHelpOptions = true,
    description = {
      "Check that a recorded history is a behaviour of the spec (trace validation).",
      "TLC searches DeliveryTrace.tla for a run of the correct protocol, with at most",
      "--max-faults faults, that produces exactly what the clients and devices observed."
    },
    footer = {
      "",
      "Small histories only (a few messages): TLC explores every interleaving between events.",
      "Example: deliverycheck spec trace specs/traces/ok-exactly-once.jsonl --guarantee exactly-once"
    })
public final class SpecTraceCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin SpecsDirOption dir = new SpecsDirOption();

  @Parameters(paramLabel = "HISTORY", description = "The history (JSON Lines, optionally .gz).")
  Path history;

  @Option(names = "--guarantee", paramLabel = "MODE", defaultValue = "exactly-once",
      description = "at-most-once, at-least-once or exactly-once (default: ${DEFAULT-VALUE}).")
  String guarantee;

  @Option(names = "--max-attempts", paramLabel = "N", defaultValue = "2", description = "Pushes per row (default: ${DEFAULT-VALUE}).")
  int maxAttempts;

  @Option(names = "--max-faults", paramLabel = "N", defaultValue = "1", description = "Fault budget (default: ${DEFAULT-VALUE}).")
  int maxFaults;

  @Option(names = "--workers", paramLabel = "N", defaultValue = "1", description = "TLC workers (default: ${DEFAULT-VALUE}).")
  int workers;

  @Option(names = "--show-trace", description = "Print the behaviour that explains the history.")
  boolean showTrace;

  private static String describe(HistoryTrace.Event e) {
    return switch (e.kind()) {
      case "send" -> "send " + e.m() + " attempt " + e.n();
      case "ok" -> "send " + e.m() + " ok (accepted)";
      case "info" -> "send " + e.m() + " info/fail";
      case "receive" -> "receive of " + e.m() + " by " + e.d();
      case "receipt" -> "receipt " + e.s() + " of " + e.m() + " for " + e.d();
      case "read" -> "read of " + e.m() + " on " + e.d();
      default -> e.toString();
    };
  }

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    String me = "deliverycheck spec trace: ";
    if (!List.of("at-most-once", "at-least-once", "exactly-once").contains(guarantee)) {
      err.println(me + "--guarantee " + guarantee + ": choose at-most-once, at-least-once or exactly-once");
      return SpecCheckCommand.EXIT_USAGE;
    }
    if (maxAttempts < 1 || maxFaults < 0 || workers < 1) {
      err.println(me + "--max-attempts and --workers must be >= 1, --max-faults >= 0");
      return SpecCheckCommand.EXIT_USAGE;
    }
    if (!Files.isRegularFile(history)) {
      err.println(me + history + ": no such file");
      return SpecCheckCommand.EXIT_USAGE;
    }
    Manifest manifest;
    HistoryTrace trace;
    try {
      manifest = dir.load();
      trace = HistoryTrace.read(history);
    } catch (Manifest.ManifestException | HistoryTrace.TraceException e) {
      err.println(me + e.getMessage());
      return SpecCheckCommand.EXIT_USAGE;
    } catch (IOException e) {
      err.println(me + history + ": cannot read: " + e.getMessage());
      return SpecCheckCommand.EXIT_USAGE;
    }
    TraceValidator.Result r;
    long start = System.nanoTime();
    try {
      Tlc tlc = Tlc.standard();
      out.printf("%s: %d events, %d message(s), devices %s; %s, %d attempts, %d fault(s)%n", history,
          trace.events().size(), trace.msgs().size(), trace.devices(), guarantee, maxAttempts, maxFaults);
      out.flush();
      r = new TraceValidator(tlc, manifest.dir()).diagnose(trace, guarantee, maxAttempts, maxFaults, workers,
          line -> out.println("  " + line));
    } catch (Tlc.NotRunnableException e) {
      err.println(me + e.getMessage());
      return SpecCheckCommand.EXIT_TLC;
    } catch (IOException e) {
      err.println(me + "cannot prepare the trace module: " + e.getMessage());
      return SpecCheckCommand.EXIT_TLC;
    }
    double secs = (System.nanoTime() - start) / 1e9;
    String states = String.format(Locale.ROOT, "%,d states, %.1f s", r.outcome().distinctStates(), secs);
    switch (r.verdict()) {
      case EXPLAINED -> {
        out.println("EXPLAINED: a behaviour of the spec produces this history (" + states + ")");
        if (showTrace) out.print(Counterexample.format(r.outcome().trace(), "  "));
        out.flush();
        return 0;
      }
      case NOT_EXPLAINED -> {
        out.println("NOT EXPLAINED: no behaviour of the spec in " + guarantee + " mode, with at most "
            + maxFaults + " fault(s), produces this history (searched " + states + ")");
        int k = r.explained();
        if (k == r.events()) {
          out.println("  every event is explained, but not the end: after `drained` an accepted message"
              + " was never applied on an owed device (lost)");
        } else if (k >= 0) {
          HistoryTrace.Event e = trace.events().get(k);
          out.printf("  the first %d event(s) are explained; event %d is not: line %d of %s: %s%n", k, k + 1,
              e.line(), history, describe(e));
        }
        out.flush();
        return 1;
      }
      default -> {
        err.println(me + "TLC did not finish: " + String.join(" / ", r.outcome().errors()));
        return SpecCheckCommand.EXIT_TLC;
      }
    }
  }
}
