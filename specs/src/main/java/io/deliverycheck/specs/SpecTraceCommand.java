package io.deliverycheck.specs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
 * the spec, part by part. Exit codes: 0 explained, 1 not explained, 2 bad input, 3 TLC cannot
 * be run or did not finish.
 */
@Command(
    name = "trace",
    mixinStandardHelpOptions = true,
    description = {
      "Check that a recorded history is a behaviour of the spec (trace validation).",
      "The history is split into one part per message and device (specs/README.md says why",
      "that is sound); TLC searches DeliveryTrace.tla for a run of the correct protocol, with",
      "at most --max-faults faults per part, that produces exactly what clients and devices saw."
    },
    footer = {
      "",
      "Guarantee: --guarantee, else the history's system op, else test.json beside it, else exactly-once.",
      "Examples:",
      "  deliverycheck spec trace results/default/latest/history.jsonl",
      "  deliverycheck spec trace specs/traces/ok-exactly-once.jsonl --message m1 --show-trace"
    })
public final class SpecTraceCommand implements Callable<Integer> {
  static final List<String> MODES = List.of("at-most-once", "at-least-once", "exactly-once");

  @Spec CommandSpec spec;

  @Mixin SpecsDirOption dir = new SpecsDirOption();

  @Parameters(paramLabel = "HISTORY", description = "The history (JSON Lines, optionally .gz).")
  Path history;

  @Option(names = "--guarantee", paramLabel = "MODE",
      description = "at-most-once, at-least-once or exactly-once (default: the history's claim, see below).")
  String guarantee;

  @Option(names = "--max-attempts", paramLabel = "N", defaultValue = "2",
      description = "Pushes per delivery row (default: ${DEFAULT-VALUE}).")
  int maxAttempts;

  @Option(names = "--max-faults", paramLabel = "N", defaultValue = "2",
      description = "Fault budget of each part (default: ${DEFAULT-VALUE}); parts are tried with 0 faults, then more.")
  int maxFaults;

  @Option(names = "--parallel", paramLabel = "N", defaultValue = "2",
      description = "TLC processes at a time (default: ${DEFAULT-VALUE}).")
  int parallel;

  @Option(names = "--message", paramLabel = "ID", description = "Validate only this message's parts.")
  String message;

  @Option(names = "--show-trace", description = "Print a behaviour that explains each part validated (use with --message).")
  boolean showTrace;

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    String me = "deliverycheck spec trace: ";
    if (guarantee != null && !MODES.contains(guarantee)) {
      err.println(me + "--guarantee " + guarantee + ": choose at-most-once, at-least-once or exactly-once");
      return SpecCheckCommand.EXIT_USAGE;
    }
    if (maxAttempts < 1 || maxFaults < 0 || parallel < 1) {
      err.println(me + "--max-attempts and --parallel must be >= 1, --max-faults >= 0");
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
    String mode = guarantee;
    String from = "--guarantee";
    if (mode == null && trace.guarantee() != null) {
      mode = trace.guarantee();
      from = "the history's system op";
    }
    if (mode == null) {
      mode = testJsonGuarantee(history);
      from = "test.json";
    }
    if (mode == null) {
      mode = "exactly-once";
      from = "the default";
    }
    if (!MODES.contains(mode)) {
      err.println(me + from + ": guarantee " + mode + " is none of at-most-once, at-least-once, exactly-once");
      return SpecCheckCommand.EXIT_USAGE;
    }
    if (message != null) {
      String m = message;
      List<HistoryTrace.Part> mine = trace.parts().stream().filter(p -> p.message().equals(m)).toList();
      if (mine.isEmpty()) {
        err.println(me + "--message " + message + ": no part of " + history + " is about that message");
        return SpecCheckCommand.EXIT_USAGE;
      }
      trace = new HistoryTrace(trace.file(), mine, 1, 0, trace.drained(), trace.guarantee(), trace.receiptsClaimed(),
          trace.orderClaimed());
    }
    if (showTrace && trace.parts().size() > 5) {
      err.println(me + "--show-trace prints one behaviour per part: choose a message with --message");
      return SpecCheckCommand.EXIT_USAGE;
    }
    TraceValidator.Bounds bounds = new TraceValidator.Bounds(mode, maxAttempts, maxFaults, trace.receiptsClaimed());
    long start = System.nanoTime();
    TraceValidator.Result r;
    try {
      Tlc tlc = Tlc.standard();
      out.printf("%s: %d message(s) in %d part(s) (%d event(s)); %s (from %s), %d attempts, %d fault(s) per part%s%n",
          history, trace.messages(), trace.parts().size(), trace.events(), mode, from, maxAttempts, maxFaults,
          trace.drained() ? ", ends with a healed drained" : ", no healed drained (loss is not judged)");
      if (trace.unowned() > 0) out.printf("  %d message(s) owed to no device: nothing to validate%n", trace.unowned());
      out.flush();
      TraceValidator v = new TraceValidator(tlc, manifest.dir());
      r = v.validate(trace, bounds, parallel, line -> {
        if (!line.startsWith("Progress")) out.println("  " + line);
        out.flush();
      });
      if (showTrace && r.verdict() != TraceValidator.Verdict.ERROR) {
        for (HistoryTrace.Part p : trace.parts()) {
          TlcOutcome o = v.explain(trace, p, bounds, line -> { });
          List<String> names = new java.util.ArrayList<>();
          for (int k = 0; k < p.devices().size(); k++) names.add(p.devices().get(k) + " is \"d" + (k + 1) + "\"");
          out.println("  message " + p.message() + " on " + String.join(", ", p.devices()) + " (in the spec's names: "
              + p.message() + " is \"m\", " + String.join(", ", names) + "; ObservedStep matches the next event,"
              + " ReportStep a receipt or read, SilentStep is unobserved):");
          out.print(o.trace().isEmpty() ? "    (no behaviour explains it)\n" : Counterexample.format(o.trace(), "    "));
        }
      }
    } catch (Tlc.NotRunnableException e) {
      err.println(me + e.getMessage());
      return SpecCheckCommand.EXIT_TLC;
    } catch (IOException e) {
      err.println(me + "cannot prepare the trace module: " + e.getMessage());
      return SpecCheckCommand.EXIT_TLC;
    }
    double secs = (System.nanoTime() - start) / 1e9;
    String stats = String.format(Locale.ROOT, "%,d part(s) as %d shape(s), %d TLC run(s), %,d states, %.1f s", r.parts(),
        r.shapes(), r.runs(), r.distinctStates(), secs);
    switch (r.verdict()) {
      case EXPLAINED -> {
        out.println("EXPLAINED: a behaviour of the spec produces every part of this history (" + stats + ")");
        out.flush();
        return 0;
      }
      case NOT_EXPLAINED -> {
        out.println("NOT EXPLAINED: " + r.failures().size() + " part(s) are produced by no behaviour of the spec in " + mode
            + " mode, with at most " + maxFaults + " fault(s) per part (" + stats + ")");
        TraceValidator.Failure f = r.failures().get(0);
        HistoryTrace.Event e = f.event();
        String part = "message " + f.part().message() + " on " + String.join(", ", f.part().devices());
        if (e != null) {
          out.printf("  the first step the spec cannot explain: line %d of %s: %s (%s; its %d earlier event(s) are explained)%n",
              e.line(), history, e.describe(), part, f.explained());
        } else {
          out.printf("  %s: every event is explained, but not the end: after a healed `drained` it was %s%n", part,
              trace.receiptsClaimed() ? "never applied on an owed device (lost) or its sender never told (unresolved)"
                  : "never applied on an owed device (lost)");
        }
        if (r.failures().size() > 1) {
          out.println("  other parts not explained (first " + Math.min(9, r.failures().size() - 1) + "):");
          for (TraceValidator.Failure g : r.failures().subList(1, Math.min(10, r.failures().size()))) {
            HistoryTrace.Event ge = g.event();
            out.println("    message " + g.part().message() + " on " + String.join(", ", g.part().devices()) + ": "
                + (ge == null ? "the end" : "line " + ge.line() + ": " + ge.describe()));
          }
        }
        out.flush();
        return 1;
      }
      default -> {
        err.println(me + "TLC did not finish: " + String.join(" / ", r.errors()));
        return SpecCheckCommand.EXIT_TLC;
      }
    }
  }

  /** The guarantee of test.json beside the history, or null. */
  static String testJsonGuarantee(Path history) {
    Path abs = history.toAbsolutePath();
    Path json = abs.getParent() == null ? null : abs.getParent().resolve("test.json");
    if (json == null || !Files.isRegularFile(json)) return null;
    try {
      JsonNode g = new ObjectMapper().readTree(json.toFile()).get("guarantee");
      return g == null || !g.isTextual() ? null : g.asText();
    } catch (IOException e) {
      return null;
    }
  }
}
