package io.deliverycheck.checker.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;

/**
 * One streaming pass over a history (HISTORY.md) collecting what a report shows, in memory
 * bounded independently of the history's length:
 * <ul>
 *   <li>the full story (every op) of each example message id, capped per id;
 *   <li>every nemesis op (capped) and the fault windows they open and close;
 *   <li>the harness errors ({@code error} ops, nemesis ops with an error; capped), the
 *       {@code system} op and whether {@code drained} says healed;
 *   <li>accept and delivery latency points for a deterministic hash sample of message ids, whose
 *       rate halves whenever more than {@link #MAX_SAMPLED_IDS} ids would be tracked;
 *   <li>send completions per second by type.
 * </ul>
 * The report is not the checker: a malformed line is noted (file:line) and skipped.
 */
final class HistoryScan {
  static final int MAX_STORY_OPS = 400;
  static final int MAX_NEMESIS_OPS = 5000;
  static final int MAX_SAMPLED_IDS = 2500;
  static final int MAX_WARNINGS = 20;
  static final int MAX_HARNESS_ERRORS = 100;

  /** One op as the report shows it. */
  record Row(long index, long time, String process, String type, String f, JsonNode value, String node, String error) {}

  /** A fault active from {@code start} to {@code end} (ns); {@code end} is the history's end when never stopped. */
  record Window(String kind, long start, long end, String detail, boolean stopped) {}

  /** A latency point: x = when the message's send was invoked (ns), latency in ns, a series label. */
  record Point(long t, long latencyNs, String series, int hash) {}

  final Map<String, List<Row>> stories = new LinkedHashMap<>();
  final Map<String, Long> storyOverflow = new HashMap<>();
  final List<Row> nemesis = new ArrayList<>();
  final List<Window> windows = new ArrayList<>();
  final List<Point> acceptPoints = new ArrayList<>();
  final List<Point> deliveryPoints = new ArrayList<>();
  /** second -> {ok, info, fail} send completions. */
  final TreeMap<Long, long[]> throughput = new TreeMap<>();
  final List<String> warnings = new ArrayList<>();
  long ops;
  long endTime;
  /** Time of the first send invocation, or -1: where the workload (and the plots' x axis) begins. */
  long firstSendTime = -1;
  boolean drained;
  /** Whether drained says healed: true (false without drained). */
  boolean healed;
  /** The value of the system op, null when none. */
  JsonNode system;
  /** Error ops and nemesis ops with an error, in history order (capped). */
  final List<Row> harnessErrors = new ArrayList<>();
  long harnessErrorCount;
  /** The value of the first roster op (user -> devices), null when none. */
  JsonNode roster;
  int sampleMask; // a message id is sampled when (hash & sampleMask) == 0

  private final Set<String> exampleIds;
  private final Map<String, String> openStory = new HashMap<>(); // process -> example id of its open op
  private final Map<String, long[]> openSend = new HashMap<>(); // process -> {invoke time, hash} (sampled only)
  private final Map<String, String> openSendId = new HashMap<>();
  private final Map<String, Long> firstSend = new HashMap<>(); // sampled id -> first send invoke time
  private final Map<String, Integer> receives = new HashMap<>(); // sampled triple -> receives so far
  private final Map<String, Deque<long[]>> openWindows = new HashMap<>(); // kind -> start times (FIFO)
  private final Map<String, Deque<String>> openDetails = new HashMap<>();

  private HistoryScan(Set<String> exampleIds) {
    this.exampleIds = exampleIds;
    for (String id : exampleIds) stories.put(id, new ArrayList<>());
  }

  static HistoryScan scan(Path history, Set<String> exampleIds) throws IOException {
    HistoryScan s = new HistoryScan(exampleIds);
    try (InputStream raw = Files.newInputStream(history);
        InputStream in = history.getFileName().toString().endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw;
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16)) {
      String line;
      long lineNo = 0;
      while ((line = r.readLine()) != null) {
        lineNo++;
        if (line.isBlank()) continue;
        JsonNode op;
        try {
          op = RunFolder.JSON.readTree(line);
        } catch (IOException e) {
          s.warn(history.getFileName() + ":" + lineNo + ": not JSON, skipped");
          continue;
        }
        if (!op.isObject() || !op.path("type").isTextual() || !op.path("f").isTextual()) {
          s.warn(history.getFileName() + ":" + lineNo + ": not an op (needs type and f), skipped");
          continue;
        }
        s.accept(op);
      }
    }
    s.finish();
    return s;
  }

  private void warn(String w) {
    if (warnings.size() < MAX_WARNINGS) warnings.add(w);
  }

  /** The same pass over a Jepsen-style EDN history (docs/reports.md); stops with a warning at a bad op. */
  static HistoryScan scanEdn(Path history, Set<String> exampleIds) throws IOException {
    HistoryScan s = new HistoryScan(exampleIds);
    try (io.deliverycheck.checker.edn.EdnHistoryReader r = io.deliverycheck.checker.edn.EdnHistoryReader.open(history)) {
      for (io.deliverycheck.checker.history.Op op; (op = r.next()) != null; ) {
        s.accept(new Row(op.index(), op.time(), op.process(), op.type().wire(), op.f(), op.value(), op.node(), op.error()));
      }
    } catch (io.deliverycheck.checker.history.HistoryFormatException e) {
      s.warn(e.getMessage() + " (the history is shown up to there)");
    }
    s.finish();
    return s;
  }

  private void accept(JsonNode j) {
    JsonNode value = j.path("value");
    accept(
        new Row(
            j.path("index").asLong(ops),
            j.path("time").asLong(0),
            j.path("process").asText(""),
            j.path("type").asText(),
            j.path("f").asText(),
            value.isMissingNode() ? null : value,
            j.hasNonNull("node") ? j.get("node").asText() : null,
            j.hasNonNull("error") ? j.get("error").asText() : null));
  }

  private void accept(Row op) {
    ops++;
    endTime = Math.max(endTime, op.time());
    if (op.f().equals("drained")) {
      drained = true;
      healed = op.value() != null && op.value().path("healed").asBoolean(false);
    }
    if (op.f().equals("roster") && roster == null) roster = op.value();
    if (op.f().equals("system") && system == null) system = op.value();
    if (op.f().equals("error") || op.process().equals("nemesis") && op.error() != null) {
      harnessErrorCount++;
      if (harnessErrors.size() < MAX_HARNESS_ERRORS) harnessErrors.add(op);
    }
    story(op);
    if (op.process().equals("nemesis")) nemesis(op);
    if (op.f().equals("send")) send(op);
    if (op.f().equals("receive") && op.type().equals("ok")) receive(op);
  }

  private static String id(Row op) {
    return op.value() != null && op.value().path("id").isTextual() ? op.value().get("id").asText() : null;
  }

  private void story(Row op) {
    String id = id(op);
    boolean invoke = op.type().equals("invoke");
    if (id == null && !invoke) id = openStory.get(op.process()); // a completion without the id in its value
    if (!invoke) openStory.remove(op.process());
    if (id == null || !exampleIds.contains(id)) return;
    if (invoke) openStory.put(op.process(), id);
    List<Row> rows = stories.get(id);
    if (rows.size() < MAX_STORY_OPS) rows.add(op);
    else storyOverflow.merge(id, 1L, Long::sum);
  }

  // --- faults -----------------------------------------------------------------------------------

  /** The fault kind a nemesis f starts, or null. */
  static String startsKind(String f) {
    if (f.startsWith("start-")) return f.substring("start-".length());
    if (f.equals("kill") || f.equals("pause")) return f;
    return null;
  }

  /** The fault kind a nemesis f stops, or null. */
  static String stopsKind(String f) {
    if (f.startsWith("stop-")) return f.substring("stop-".length());
    if (f.equals("restart")) return "kill";
    if (f.equals("resume")) return "pause";
    return null;
  }

  private void nemesis(Row op) {
    if (op.type().equals("invoke")) return; // Jepsen-style invoke/info pairs: the completion says it happened
    if (nemesis.size() < MAX_NEMESIS_OPS) nemesis.add(op);
    if (op.error() != null) return; // a fault not applied opens no window; one not healed does not close it
    String start = startsKind(op.f());
    String stop = stopsKind(op.f());
    if (start != null) {
      openWindows.computeIfAbsent(start, k -> new ArrayDeque<>()).addLast(new long[] {op.time()});
      openDetails.computeIfAbsent(start, k -> new ArrayDeque<>()).addLast(Html.compact(op.value()));
    } else if (stop != null) {
      Deque<long[]> open = openWindows.get(stop);
      if (open != null && !open.isEmpty()) {
        windows.add(new Window(stop, open.removeFirst()[0], op.time(), openDetails.get(stop).removeFirst(), true));
      }
    }
  }

  private void finish() {
    openWindows.forEach(
        (kind, starts) -> {
          Deque<String> details = openDetails.get(kind);
          for (long[] s : starts) windows.add(new Window(kind, s[0], endTime, details.removeFirst(), false));
        });
    windows.sort((a, b) -> Long.compare(a.start(), b.start()));
  }

  // --- latency sampling -------------------------------------------------------------------------

  static int hash(String id) {
    int h = id.hashCode(); // murmur3 finalizer: spread the bits of String.hashCode
    h ^= h >>> 16;
    h *= 0x85ebca6b;
    h ^= h >>> 13;
    h *= 0xc2b2ae35;
    h ^= h >>> 16;
    return h;
  }

  private boolean sampled(int hash) {
    return (hash & sampleMask) == 0;
  }

  private void send(Row op) {
    if (op.type().equals("invoke")) {
      if (firstSendTime < 0) firstSendTime = op.time();
      String id = id(op);
      if (id == null) return;
      int h = hash(id);
      if (!sampled(h)) return;
      openSend.put(op.process(), new long[] {op.time(), h});
      openSendId.put(op.process(), id);
      if (!firstSend.containsKey(id)) {
        firstSend.put(id, op.time());
        if (firstSend.size() > MAX_SAMPLED_IDS) halveSample();
      }
      return;
    }
    long sec = op.time() / 1_000_000_000L;
    long[] counts = throughput.computeIfAbsent(sec, k -> new long[3]);
    switch (op.type()) {
      case "ok" -> counts[0]++;
      case "info" -> counts[1]++;
      case "fail" -> counts[2]++;
      default -> {}
    }
    long[] open = openSend.remove(op.process());
    openSendId.remove(op.process());
    if (open != null && sampled((int) open[1])) {
      acceptPoints.add(new Point(open[0], op.time() - open[0], op.type(), (int) open[1]));
    }
  }

  private void receive(Row op) {
    String id = id(op);
    if (id == null) return;
    int h = hash(id);
    Long sent = firstSend.get(id);
    if (sent == null || !sampled(h)) return;
    String triple = id + "\u0000" + op.value().path("recipient").asText() + "\u0000" + op.value().path("device").asText();
    int n = receives.merge(triple, 1, Integer::sum);
    deliveryPoints.add(new Point(sent, op.time() - sent, n == 1 ? "first receive" : "extra receive", h));
  }

  private void halveSample() {
    sampleMask = sampleMask * 2 + 1;
    firstSend.keySet().removeIf(id -> !sampled(hash(id)));
    receives.keySet().removeIf(t -> !sampled(hash(t.substring(0, t.indexOf('\u0000')))));
    acceptPoints.removeIf(p -> !sampled(p.hash()));
    deliveryPoints.removeIf(p -> !sampled(p.hash()));
  }

  /** The fraction of message ids whose latencies are plotted, e.g. 1/4. */
  String sampleRate() {
    return sampleMask == 0 ? "all messages" : "1 in " + (sampleMask + 1L) + " messages (by id hash)";
  }

  /** Fault kinds active at time t. */
  List<String> activeAt(long t) {
    List<String> out = new ArrayList<>();
    for (Window w : windows) if (w.start() <= t && t <= w.end() && !out.contains(w.kind())) out.add(w.kind());
    return out;
  }
}
