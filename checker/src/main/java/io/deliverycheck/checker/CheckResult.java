package io.deliverycheck.checker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The checker's verdict on one history: everything {@code results.json} holds (HISTORY.md,
 * "Result"). Immutable. Counts are exact; example lists are capped at
 * {@link DeliveryChecker#EXAMPLE_CAP}.
 */
public final class CheckResult {
  private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /**
   * The top-level keys the checker writes (besides the example lists, named after counts); when
   * {@code check} rewrites a run's results.json it keeps every other key (the runner's {@code run}).
   */
  public static final List<String> OWN_KEYS = List.of("valid", "guarantee", "guarantee_source", "system",
      "loss", "counts", "violations", "latency_ms", "notes");

  private final Validity valid;
  private final Guarantee guarantee;
  private final String guaranteeSource;
  private final ObjectNode system;
  private final String loss;
  private final Map<String, Long> counts;
  private final List<String> violations;
  private final Map<String, List<ObjectNode>> examples;
  private final ObjectNode latency;
  private final List<String> notes;

  CheckResult(Validity valid, Guarantee guarantee, String guaranteeSource, ObjectNode system, String loss,
      Map<String, Long> counts, List<String> violations, Map<String, List<ObjectNode>> examples,
      ObjectNode latency, List<String> notes) {
    this.valid = valid;
    this.guarantee = guarantee;
    this.guaranteeSource = guaranteeSource;
    this.system = system == null ? null : system.deepCopy();
    this.loss = loss;
    this.counts = Collections.unmodifiableMap(new LinkedHashMap<>(counts));
    this.violations = List.copyOf(violations);
    Map<String, List<ObjectNode>> ex = new LinkedHashMap<>();
    examples.forEach((k, v) -> ex.put(k, List.copyOf(v)));
    this.examples = Collections.unmodifiableMap(ex);
    this.latency = latency.deepCopy();
    this.notes = List.copyOf(notes);
  }

  public Validity valid() {
    return valid;
  }

  public Guarantee guarantee() {
    return guarantee;
  }

  /**
   * Where the guarantee came from: how an explicit one was given ({@code --guarantee},
   * {@code explicit}), {@code system op}, or the fallback's source ({@code test.json}).
   */
  public String guaranteeSource() {
    return guaranteeSource;
  }

  /** The value of the history's {@code system} op (what the system claims), or null without one. */
  public ObjectNode system() {
    return system == null ? null : system.deepCopy();
  }

  /**
   * {@code "judged"} when the history ends with a healed {@code drained} (owed triples never
   * received are {@code lost}, and {@code unresolved} is judged), {@code "unknown"} otherwise (they
   * are {@code undelivered}; no loss is claimed).
   */
  public String loss() {
    return loss;
  }

  /** Every count of HISTORY.md (and a few more), by its results.json name, e.g. {@code sent_ok}. */
  public Map<String, Long> counts() {
    return counts;
  }

  /** One count, 0 when absent. */
  public long count(String name) {
    return counts.getOrDefault(name, 0L);
  }

  /** The forbidden outcomes found (their count names, e.g. {@code lost}, {@code false_delivered}). */
  public List<String> violations() {
    return violations;
  }

  /** Example lists by outcome count name (only outcomes with examples), each capped. */
  public Map<String, List<ObjectNode>> examples() {
    return examples;
  }

  /** {@code {"accept": {...}, "deliver": {...}}} in milliseconds. */
  public ObjectNode latency() {
    return latency.deepCopy();
  }

  /** Human remarks: why the verdict is unknown, invocations left open at the end, ... */
  public List<String> notes() {
    return notes;
  }

  /** The results.json document. */
  public ObjectNode toJson() {
    JsonNodeFactory nf = JsonNodeFactory.instance;
    ObjectNode o = nf.objectNode();
    o.set("valid", valid.toJson());
    o.put("guarantee", guarantee.wire());
    o.put("guarantee_source", guaranteeSource);
    if (system != null) {
      o.set("system", system.deepCopy());
    }
    o.put("loss", loss);
    ObjectNode c = o.putObject("counts");
    counts.forEach(c::put);
    ArrayNode v = o.putArray("violations");
    violations.forEach(v::add);
    examples.forEach((k, list) -> {
      ArrayNode a = o.putArray(k);
      list.forEach(a::add);
    });
    o.set("latency_ms", latency.deepCopy());
    ArrayNode n = o.putArray("notes");
    notes.forEach(n::add);
    return o;
  }

  /**
   * {@link #toJson()}, followed by every key of {@code previous} (an earlier results.json, may be
   * null) that the checker does not write itself: what the runner added, such as {@code run}.
   */
  public ObjectNode toJson(JsonNode previous) {
    ObjectNode o = toJson();
    if (previous != null && previous.isObject()) {
      previous.fields().forEachRemaining(e -> {
        if (!ownKey(e.getKey())) {
          o.set(e.getKey(), e.getValue().deepCopy());
        }
      });
    }
    return o;
  }

  /** True for a results.json key the checker writes: {@link #OWN_KEYS}, a count's example list. */
  public static boolean ownKey(String key) {
    return OWN_KEYS.contains(key) || DeliveryChecker.OUTCOMES.contains(key) || key.equals("harness_errors");
  }

  /** Writes {@link #toJson()} to {@code file} atomically (a temp file in the same folder, then a move). */
  public void writeJson(Path file) throws IOException {
    writeJson(file, toJson());
  }

  /** Writes {@code json} to {@code file} atomically (a temp file in the same folder, then a move). */
  public static void writeJson(Path file, JsonNode json) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
    try {
      MAPPER.writeValue(tmp.toFile(), json);
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** 0 valid, 1 invalid, 2 unknown (the exit code of {@code deliverycheck check}). */
  public int exitCode() {
    return valid.exitCode();
  }

  /** A short human summary: verdict, counts, a few examples with their ids, latencies. */
  public String summary() {
    StringBuilder b = new StringBuilder();
    b.append(guarantee.wire()).append(": ").append(valid == Validity.VALID ? "VALID"
        : valid == Validity.INVALID ? "INVALID" : "UNKNOWN");
    if (!violations.isEmpty()) {
      b.append(" (").append(String.join(", ", violations)).append(')');
    }
    b.append('\n');
    b.append("  guarantee from ").append(guaranteeSource);
    if (system != null) {
      b.append("; system: ").append(describeSystem(system));
    }
    b.append('\n');
    b.append(String.format("  sent %d messages (ok %d, fail %d, info %d); owed %d triples, delivered %d; loss %s%n",
        count("sent"), count("sent_ok"), count("sent_fail"), count("sent_info"), count("owed"),
        count("delivered"), loss.equals("judged") ? "judged (drained)" : "not judged (no healed drained)"));
    List<String> nz = new ArrayList<>();
    for (String k : DeliveryChecker.OUTCOMES) {
      if (count(k) > 0) {
        nz.add(k + " " + count(k) + (violations.contains(k) ? " (forbidden)" : ""));
      }
    }
    b.append("  outcomes: ").append(nz.isEmpty() ? "none" : String.join(", ", nz)).append('\n');
    if (count("harness_errors") > 0) {
      b.append("  harness errors: ").append(count("harness_errors")).append(" (the verdict is on what was observed)\n");
    }
    for (Map.Entry<String, List<ObjectNode>> e : examples.entrySet()) {
      List<String> few = new ArrayList<>();
      for (ObjectNode x : e.getValue().subList(0, Math.min(3, e.getValue().size()))) {
        few.add(describe(x));
      }
      b.append("  ").append(e.getKey()).append(": ").append(String.join("; ", few))
          .append(count(e.getKey()) > few.size() ? "; ..." : "").append('\n');
    }
    b.append("  latency ms: accept ").append(describeLatency(latency.get("accept")))
        .append("; deliver ").append(describeLatency(latency.get("deliver"))).append('\n');
    for (String n : notes) {
      b.append("  note: ").append(n).append('\n');
    }
    return b.toString();
  }

  /** The system op in one line: its name, version, claims and other fields. */
  public static String describeSystem(JsonNode system) {
    List<String> parts = new ArrayList<>();
    String name = system.path("name").asText(null);
    String version = system.path("version").isValueNode() ? system.path("version").asText() : null;
    if (name != null) {
      parts.add(name + (version == null ? "" : " " + version));
    }
    parts.add("claims " + system.path("guarantee").asText("no guarantee"));
    parts.add("receipts " + (system.path("receipts").isBoolean() ? system.path("receipts").asText() : "not claimed"));
    parts.add("order " + system.path("order").asText("not claimed"));
    system.fields().forEachRemaining(e -> {
      String k = e.getKey();
      if (!List.of("name", "version", "guarantee", "receipts", "order").contains(k)) {
        parts.add(k + " " + (e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString()));
      }
    });
    return String.join(", ", parts);
  }

  private static String describe(ObjectNode x) {
    StringBuilder s = new StringBuilder();
    if (!x.has("id")) { // a harness error
      StringBuilder h = new StringBuilder();
      x.fields().forEachRemaining(e -> h.append(h.length() == 0 ? "" : " ").append(e.getKey()).append('=')
          .append(e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString()));
      return h.toString();
    }
    s.append(x.path("id").asText());
    if (x.has("recipient")) {
      s.append(' ').append(x.get("recipient").asText());
      if (x.hasNonNull("device")) {
        s.append('/').append(x.get("device").asText());
      }
    }
    x.fields().forEachRemaining(e -> {
      String k = e.getKey();
      if (!k.equals("id") && !k.equals("recipient") && !k.equals("device")) {
        s.append(' ').append(k).append('=').append(e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString());
      }
    });
    return s.toString();
  }

  private static String describeLatency(JsonNode l) {
    if (l == null || l.path("count").asLong() == 0) {
      return "none";
    }
    return "p50 " + l.path("p50").asText() + " p90 " + l.path("p90").asText() + " p99 "
        + l.path("p99").asText() + " max " + l.path("max").asText() + " (n=" + l.path("count").asText() + ")";
  }
}
