package io.deliverycheck.specs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Trace validation of a whole history: checks with TLC that every part of it
 * ({@link HistoryTrace.Part}) is a behaviour of the spec ({@code DeliveryTrace.tla} over
 * {@code DeliveryGuarantees.tla}, no bug, durable receipts).
 *
 * <p>Parts that differ only in names (the message id, the devices) are the same question:
 * each is renamed to message {@code "m"} and devices {@code "d1"}, {@code "d2"}, ... in the
 * order of their first event, and each distinct shape is checked once. Shapes with the same
 * devices and owed devices go to TLC together, in one run ({@code DeliveryTrace}'s part
 * variable {@code t}); TLC prints how many events of each shape it explained, so a shape
 * that is not explained names its first unexplained event without a second run. The spec
 * modules and the generated one are written to a temporary folder, deleted afterwards.
 */
public final class TraceValidator {
  /** The generated module's name. */
  static final String MODULE = "HistoryTrace";

  private static final Pattern PREFIX = Pattern.compile("^<<\"dc-prefix\", (\\d+), (\\d+)>>$");
  private static final Pattern EXPLAINED = Pattern.compile("^<<\"dc-explained\", (\\d+)>>$");

  /** The verdict on one history. */
  public enum Verdict {
    /** Some behaviour of the spec produces every part of the history. */
    EXPLAINED,
    /** Some part is produced by no behaviour of the spec (within the bounds). */
    NOT_EXPLAINED,
    /** TLC did not finish. */
    ERROR
  }

  /** The bounds and mode of a validation. */
  public record Bounds(String mode, int maxAttempts, int maxFaults, boolean resolve) {}

  /**
   * A part that is not explained.
   *
   * @param part the part
   * @param explained how many of its events are explained; equal to the number of events when
   *     only the end is not (a loss, or an unresolved delivery, after a healed {@code drained})
   */
  public record Failure(HistoryTrace.Part part, int explained) {
    /** The first event no behaviour explains, or null when it is the end. */
    public HistoryTrace.Event event() {
      return explained < part.events().size() ? part.events().get(explained) : null;
    }

    /** Where it fails: the line of that event, or (for the end) after the last line. */
    long line() {
      HistoryTrace.Event e = event();
      return e != null ? e.line() : Long.MAX_VALUE;
    }
  }

  /**
   * The result.
   *
   * @param verdict the verdict
   * @param parts parts validated
   * @param shapes distinct shapes among them (one TLC question each)
   * @param runs TLC runs
   * @param distinctStates distinct states of all runs
   * @param failures the parts not explained, the one failing earliest in the history first
   * @param errors TLC's errors, for ERROR
   */
  public record Result(Verdict verdict, int parts, int shapes, int runs, long distinctStates, List<Failure> failures,
      List<String> errors) {}

  /** One distinct part, renamed, and the parts of the history that have it. */
  static final class Shape {
    final List<HistoryTrace.Event> events;
    final int devices;
    final Set<String> owed;
    final boolean drained;
    final List<HistoryTrace.Part> parts = new ArrayList<>();
    int explainedPrefix;
    boolean explained;

    Shape(List<HistoryTrace.Event> events, int devices, Set<String> owed, boolean drained) {
      this.events = events;
      this.devices = devices;
      this.owed = owed;
      this.drained = drained;
    }

    /**
     * A lower bound on the faults a behaviour producing this shape needs: a "failed" receipt
     * means a dead-lettered row, which costs EffMax faults (the spec's DeadLetterNeedsFaults,
     * checked by the models that claim it).
     */
    int minFaults(String mode, int attempts) {
      boolean failed = events.stream().anyMatch(e -> e.kind().equals("receipt") && e.s().equals("failed"));
      return failed ? (mode.equals("at-most-once") ? 1 : attempts) : 0;
    }

    int sends() {
      return (int) events.stream().filter(e -> e.kind().equals("send")).count();
    }

    String tla(boolean resolve) {
      StringBuilder b = new StringBuilder("<<");
      for (int k = 0; k < events.size(); k++) {
        HistoryTrace.Event e = events.get(k);
        b.append(k == 0 ? "\n    " : ",\n    ").append("[k |-> ").append(HistoryTrace.q(e.kind())).append(", m |-> \"m\", d |-> ")
            .append(HistoryTrace.q(e.d())).append(", ds |-> ").append(set(e.ds())).append(", n |-> ").append(e.n())
            .append(", s |-> ").append(HistoryTrace.q(e.s())).append("]");
      }
      return b.append(events.isEmpty() ? ">>" : "\n  >>").toString();
    }
  }

  private final Tlc tlc;
  private final Path specsDir;

  public TraceValidator(Tlc tlc, Path specsDir) {
    this.tlc = tlc;
    this.specsDir = specsDir;
  }

  /** The distinct shapes of a history's parts, in order of first appearance. */
  static List<Shape> shapes(HistoryTrace h) {
    Map<String, Shape> byKey = new LinkedHashMap<>();
    for (HistoryTrace.Part p : h.parts()) {
      Map<String, String> name = new LinkedHashMap<>();
      for (String d : p.devices()) name.put(d, "d" + (name.size() + 1));
      List<HistoryTrace.Event> events = new ArrayList<>();
      for (HistoryTrace.Event e : p.events()) {
        Set<String> ds = new java.util.LinkedHashSet<>();
        e.ds().forEach(d -> ds.add(name.get(d)));
        events.add(new HistoryTrace.Event(e.kind(), "m", e.d().equals("-") ? "-" : name.get(e.d()), ds, e.n(), e.s(), 0));
      }
      Set<String> owed = new java.util.LinkedHashSet<>();
      p.owed().forEach(d -> owed.add(name.get(d)));
      Shape s = new Shape(events, p.devices().size(), owed, h.drained());
      String key = s.devices + "|" + owed + "|" + s.tla(false);
      byKey.computeIfAbsent(key, k -> s).parts.add(p);
    }
    return new ArrayList<>(byKey.values());
  }

  /**
   * The rounds of bounds (push attempts, faults) tried in order, from (1, 0) up to the caps:
   * (1, 0), (1, 1), (2, 1), (2, 2), ... Explainability only grows with either bound, so a
   * shape explained in an early round is explained under the caps, and one not explained by
   * the last round (the caps themselves) is not explained under them.
   */
  static List<int[]> rounds(Bounds b) {
    List<int[]> out = new ArrayList<>();
    int a = 1;
    int f = 0;
    out.add(new int[] {a, f});
    while (a < b.maxAttempts() || f < b.maxFaults()) {
      if (f < b.maxFaults() && (f < a || a >= b.maxAttempts())) f++;
      else a++;
      out.add(new int[] {a, f});
    }
    return out;
  }

  /**
   * Validates every part of a history. Each distinct shape is tried in the {@link #rounds} of
   * bounds until it is explained (most parts need one attempt and no fault); each round's
   * batches (same devices, owed devices and number of sends) run as {@code parallel} TLC
   * processes at a time.
   *
   * @param progress receives a line per round and per TLC run
   */
  public Result validate(HistoryTrace h, Bounds b, int parallel, Consumer<String> progress)
      throws IOException, Tlc.NotRunnableException, InterruptedException {
    List<Shape> shapes = shapes(h);
    long states = 0;
    int runs = 0;
    for (int[] round : rounds(b)) {
      int attempts = round[0];
      int faults = round[1];
      Map<String, List<Shape>> batches = new TreeMap<>();
      for (Shape s : shapes) {
        if (!s.explained && s.minFaults(b.mode(), attempts) <= faults) {
          batches.computeIfAbsent(s.devices + " " + s.owed + " " + s.sends(), k -> new ArrayList<>()).add(s);
        }
      }
      if (batches.isEmpty()) continue;
      int pending = batches.values().stream().mapToInt(List::size).sum();
      progress.accept(attempts + " attempt(s), " + faults + " fault(s): " + pending + " shape(s) in " + batches.size()
          + " TLC run(s)");
      List<List<Shape>> list = new ArrayList<>(batches.values());
      List<TlcOutcome> outcomes = runAll(list, b, attempts, faults, Math.max(1, parallel), progress);
      runs += list.size();
      for (int k = 0; k < list.size(); k++) {
        TlcOutcome o = outcomes.get(k);
        List<Shape> batch = list.get(k);
        if (o.kind() != TlcOutcome.Kind.PASS) {
          List<String> errors = new ArrayList<>(o.errors());
          if (errors.isEmpty()) errors.add("TLC found " + o.result() + " (exit code " + o.exitCode() + ")");
          return new Result(Verdict.ERROR, h.parts().size(), shapes.size(), runs, states, List.of(), errors);
        }
        states += Math.max(0, o.distinctStates());
        for (String line : o.prints()) {
          Matcher p = PREFIX.matcher(line);
          Matcher e = EXPLAINED.matcher(line);
          if (p.matches()) {
            Shape s = batch.get(Integer.parseInt(p.group(1)) - 1);
            s.explainedPrefix = Math.max(s.explainedPrefix, Integer.parseInt(p.group(2)));
          } else if (e.matches()) {
            batch.get(Integer.parseInt(e.group(1)) - 1).explained = true;
          }
        }
      }
    }
    List<Failure> failures = new ArrayList<>();
    for (Shape s : shapes) {
      if (s.explained) continue;
      for (HistoryTrace.Part p : s.parts) failures.add(new Failure(p, s.explainedPrefix));
    }
    failures.sort(java.util.Comparator.comparingLong(Failure::line));
    return new Result(failures.isEmpty() ? Verdict.EXPLAINED : Verdict.NOT_EXPLAINED, h.parts().size(), shapes.size(),
        runs, states, List.copyOf(failures), List.of());
  }

  /** Runs the batches, {@code parallel} TLC processes at a time; outcomes in batch order. */
  private List<TlcOutcome> runAll(List<List<Shape>> batches, Bounds b, int attempts, int faults, int parallel,
      Consumer<String> progress)
      throws IOException, Tlc.NotRunnableException, InterruptedException {
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(parallel, r -> {
      Thread t = new Thread(r, "trace-tlc");
      t.setDaemon(true);
      return t;
    });
    try {
      List<java.util.concurrent.Future<TlcOutcome>> futures = new ArrayList<>();
      for (List<Shape> batch : batches) {
        futures.add(pool.submit(() -> {
          TlcOutcome o = run(batch, b, attempts, faults, 1, false, line -> { });
          synchronized (progress) {
            progress.accept(String.format(java.util.Locale.ROOT, "  %d shape(s), %d device(s), %d send(s): %,d states",
                batch.size(), batch.get(0).devices, batch.get(0).sends(), o.distinctStates()));
          }
          return o;
        }));
      }
      List<TlcOutcome> out = new ArrayList<>();
      for (var f : futures) {
        try {
          out.add(f.get());
        } catch (java.util.concurrent.ExecutionException e) {
          Throwable c = e.getCause();
          if (c instanceof IOException io) throw io;
          if (c instanceof Tlc.NotRunnableException nr) throw nr;
          if (c instanceof InterruptedException ie) throw ie;
          throw new IllegalStateException(c);
        }
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * One behaviour of the spec that explains the part, found with {@code HistoryNotExplained}
   * as an invariant: the outcome's trace, empty when the part is not explained.
   */
  public TlcOutcome explain(HistoryTrace h, HistoryTrace.Part part, Bounds b, Consumer<String> progress)
      throws IOException, Tlc.NotRunnableException, InterruptedException {
    HistoryTrace one = new HistoryTrace(h.file(), List.of(part), 1, 0, h.drained(), h.guarantee(), h.receiptsClaimed(),
        h.orderClaimed());
    return run(shapes(one), b, b.maxAttempts(), b.maxFaults(), 1, true, progress);
  }

  private TlcOutcome run(List<Shape> batch, Bounds b, int attempts, int faults, int workers, boolean invariant,
      Consumer<String> progress)
      throws IOException, Tlc.NotRunnableException, InterruptedException {
    Path dir = Files.createTempDirectory("deliverycheck-trace-");
    try {
      for (String m : new String[] {"DeliveryGuarantees.tla", "DeliveryTrace.tla"}) {
        Files.copy(specsDir.resolve(m), dir.resolve(m), StandardCopyOption.REPLACE_EXISTING);
      }
      Files.writeString(dir.resolve(MODULE + ".tla"), module(batch, b));
      Files.writeString(dir.resolve(MODULE + ".cfg"), config(batch, b, attempts, faults, invariant));
      return tlc.check(dir, MODULE + ".tla", MODULE + ".cfg", workers, null, progress);
    } finally {
      Tlc.deleteTree(dir);
    }
  }

  /** The TLA+ module binding the shapes of one batch, extending DeliveryTrace. */
  static String module(List<Shape> batch, Bounds b) {
    StringBuilder m = new StringBuilder();
    m.append("---- MODULE ").append(MODULE).append(" ----\n");
    m.append("\\* Generated by `deliverycheck spec trace` from a recorded history; binds constants only.\n");
    m.append("EXTENDS DeliveryTrace\n\n");
    m.append("TraceParts == <<\n");
    for (int k = 0; k < batch.size(); k++) {
      Shape s = batch.get(k);
      m.append("  \\* ").append(s.parts.size()).append(" part(s), e.g. message ").append(s.parts.get(0).message())
          .append(" on ").append(String.join(", ", s.parts.get(0).devices())).append("\n");
      m.append("  ").append(s.tla(b.resolve())).append(k + 1 < batch.size() ? ",\n" : "\n");
    }
    m.append(">>\n\n");
    m.append("TraceEnds == <<");
    for (int k = 0; k < batch.size(); k++) {
      Shape s = batch.get(k);
      boolean resolve = b.resolve() && s.drained && !b.mode().equals("at-most-once");
      m.append(k == 0 ? "" : ", ").append("[drained |-> ").append(s.drained ? "TRUE" : "FALSE").append(", resolve |-> ")
          .append(resolve ? "TRUE" : "FALSE").append("]");
    }
    m.append(">>\n\n");
    m.append("TraceOwed == [x \\in Msgs |-> ").append(set(batch.get(0).owed)).append("]\n====\n");
    return m.toString();
  }

  /** The TLC configuration for a batch. */
  static String config(List<Shape> batch, Bounds b, int attempts, int faults, boolean invariant) {
    int sends = 1;
    for (Shape s : batch) for (HistoryTrace.Event e : s.events) sends = Math.max(sends, e.n());
    List<String> devices = new ArrayList<>();
    for (int k = 1; k <= batch.get(0).devices; k++) devices.add("d" + k);
    return "CONSTANTS\n"
        + "  Msgs = {\"m\"}\n"
        + "  Devices = " + set(devices) + "\n"
        + "  Owed <- TraceOwed\n"
        + "  Workers = {w1}\n"
        + "  Mode = " + HistoryTrace.q(b.mode()) + "\n"
        + "  Bugs = {}\n"
        + "  Receipts = \"durable\"\n"
        + "  Order = \"none\"\n"
        + "  MaxSends = " + sends + "\n"
        + "  MaxAttempts = " + attempts + "\n"
        + "  MaxFaults = " + faults + "\n"
        + "  Traces <- TraceParts\n"
        + "  Ends <- TraceEnds\n"
        + "INIT TraceInit\n"
        + "NEXT TraceNext\n"
        + "VIEW TraceView\n"
        + (invariant ? "INVARIANT HistoryNotExplained\n" : "CONSTRAINT Note\n")
        + "CHECK_DEADLOCK FALSE\n";
  }

  private static String set(java.util.Collection<String> s) {
    return "{" + String.join(", ", s.stream().map(HistoryTrace::q).toList()) + "}";
  }
}
