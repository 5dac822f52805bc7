package io.deliverycheck.specs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.function.Consumer;

/**
 * Trace validation: checks with TLC whether a recorded history is a behaviour of the spec
 * ({@code DeliveryTrace.tla} over {@code DeliveryGuarantees.tla}, with no bug switched on).
 * The spec modules are copied with the generated trace module into a temporary folder,
 * deleted afterwards.
 */
public final class TraceValidator {
  /** The generated module's name. */
  static final String MODULE = "HistoryTrace";

  /** The verdict on one history. */
  public enum Verdict {
    /** Some behaviour of the spec produces every event of the history. */
    EXPLAINED,
    /** No behaviour of the spec (within the bounds) produces the history. */
    NOT_EXPLAINED,
    /** TLC did not finish. */
    ERROR
  }

  /**
   * The result.
   *
   * @param verdict the verdict
   * @param outcome TLC's outcome; for EXPLAINED its trace is the explaining behaviour
   * @param events how many events the trace has
   * @param explained for NOT_EXPLAINED, the longest explained prefix (events); equal to
   *     {@code events} when every event is explained but not the end (a loss after
   *     {@code drained}); -1 when not searched
   */
  public record Result(Verdict verdict, TlcOutcome outcome, int events, int explained) {}

  private final Tlc tlc;
  private final Path specsDir;

  public TraceValidator(Tlc tlc, Path specsDir) {
    this.tlc = tlc;
    this.specsDir = specsDir;
  }

  /**
   * Like {@link #validate}, and when the history is not explained, finds by binary search
   * the longest explained prefix (each probe is one more TLC run on a shorter trace;
   * explained prefixes are prefix-closed).
   */
  public Result diagnose(HistoryTrace trace, String mode, int maxAttempts, int maxFaults, int workers,
      Consumer<String> progress) throws IOException, Tlc.NotRunnableException, InterruptedException {
    Result full = validate(trace, mode, maxAttempts, maxFaults, workers, progress);
    if (full.verdict() != Verdict.NOT_EXPLAINED) return full;
    int n = trace.events().size();
    if (trace.drained()) {
      Result all = validate(trace.prefix(n), mode, maxAttempts, maxFaults, workers, progress);
      if (all.verdict() == Verdict.EXPLAINED) return new Result(full.verdict(), full.outcome(), n, n);
      if (all.verdict() == Verdict.ERROR) return full;
    }
    int lo = 0;   // explained (the empty history always is)
    int hi = n;   // not explained
    while (hi - lo > 1) {
      int mid = (lo + hi) >>> 1;
      Verdict v = validate(trace.prefix(mid), mode, maxAttempts, maxFaults, workers, progress).verdict();
      if (v == Verdict.EXPLAINED) {
        lo = mid;
      } else if (v == Verdict.NOT_EXPLAINED) {
        hi = mid;
      } else {
        return full;
      }
    }
    return new Result(full.verdict(), full.outcome(), n, lo);
  }

  /**
   * Validates a history against the spec in the given mode ("exactly-once", ...) with the
   * given bounds on push attempts and faults.
   */
  public Result validate(HistoryTrace trace, String mode, int maxAttempts, int maxFaults, int workers,
      Consumer<String> progress) throws IOException, Tlc.NotRunnableException, InterruptedException {
    Path dir = Files.createTempDirectory("deliverycheck-trace-");
    try {
      for (String m : new String[] {"DeliveryGuarantees.tla", "DeliveryTrace.tla"}) {
        Files.copy(specsDir.resolve(m), dir.resolve(m), StandardCopyOption.REPLACE_EXISTING);
      }
      Files.writeString(dir.resolve(MODULE + ".tla"), trace.module(MODULE));
      Files.writeString(dir.resolve(MODULE + ".cfg"), trace.config(mode, maxAttempts, maxFaults));
      TlcOutcome o = tlc.check(dir, MODULE + ".tla", MODULE + ".cfg", workers, null, progress);
      Verdict v = switch (o.kind()) {
        case INVARIANT -> "HistoryNotExplained".equals(o.property()) ? Verdict.EXPLAINED : Verdict.ERROR;
        case PASS -> Verdict.NOT_EXPLAINED;
        default -> Verdict.ERROR;
      };
      return new Result(v, o, trace.events().size(), -1);
    } finally {
      Tlc.deleteTree(dir);
    }
  }
}
