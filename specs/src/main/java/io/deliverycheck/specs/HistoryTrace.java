package io.deliverycheck.specs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.zip.GZIPInputStream;

/**
 * A recorded history (HISTORY.md JSON Lines, optionally gzipped) as the events of a TLA+
 * trace for {@code DeliveryTrace.tla}.
 *
 * <p>Kept: {@code send} invoke/ok/info/fail, {@code receive}, {@code receipt} naming a device
 * (accepted, delivered, read), {@code read} ok, {@code roster}, {@code drained}. Dropped:
 * acks, read invocations and failures, nemesis ops, receipts speaking for a whole recipient,
 * {@code failed} receipts. A message is owed to the roster devices ("user/device") of the
 * recipients of its send.
 *
 * @param events the trace, in index order
 * @param msgs every client message id seen
 * @param devices every device, "user/device"
 * @param owed per message, the devices of its recipients in the roster
 * @param maxAttempt the highest send attempt
 * @param drained whether the history ends with {@code drained}
 */
public record HistoryTrace(List<Event> events, Set<String> msgs, Set<String> devices, Map<String, Set<String>> owed,
    int maxAttempt, boolean drained) {

  /**
   * One event: kind, client id, device ("-" for none), send attempt (0 for none), receipt
   * state, and the line of the history file it comes from.
   */
  public record Event(String kind, String m, String d, int n, String s, int line) {
    String tla() {
      return "[k |-> " + q(kind) + ", m |-> " + q(m) + ", d |-> " + q(d) + ", n |-> " + n + ", s |-> " + q(s) + "]";
    }
  }

  /** The history cannot be turned into a trace; the message names the file, line and problem. */
  public static final class TraceException extends Exception {
    private static final long serialVersionUID = 1L;

    TraceException(String message) {
      super(message);
    }
  }

  /** Reads a history file. */
  public static HistoryTrace read(Path file) throws TraceException, IOException {
    ObjectMapper json = new ObjectMapper();
    List<Event> events = new ArrayList<>();
    Set<String> msgs = new LinkedHashSet<>();
    Map<String, List<String>> roster = new LinkedHashMap<>();
    Map<String, Set<String>> recipients = new LinkedHashMap<>();
    int maxAttempt = 1;
    boolean drained = false;
    try (InputStream raw = Files.newInputStream(file);
        InputStream in = file.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw;
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      int lineNo = 0;
      for (String line; (line = r.readLine()) != null; ) {
        lineNo++;
        if (line.isBlank()) continue;
        String where = file + ":" + lineNo;
        JsonNode op;
        try {
          op = json.readTree(line);
        } catch (JsonProcessingException e) {
          throw new TraceException(where + ": bad JSON: " + e.getOriginalMessage());
        }
        String type = field(op, "type", where);
        String f = field(op, "f", where);
        JsonNode v = op.path("value");
        drained = false;
        switch (f) {
          case "roster" -> v.fields().forEachRemaining(e -> {
            List<String> ds = new ArrayList<>();
            e.getValue().forEach(d -> ds.add(d.asText()));
            roster.put(e.getKey(), ds);
          });
          case "drained" -> drained = true;
          case "send" -> {
            String id = value(v, "id", where);
            msgs.add(id);
            switch (type) {
              case "invoke" -> {
                int n = v.path("attempt").asInt(1);
                maxAttempt = Math.max(maxAttempt, n);
                Set<String> to = new TreeSet<>();
                v.path("to").forEach(t -> to.add(t.asText()));
                Set<String> before = recipients.putIfAbsent(id, to);
                if (before != null && !before.equals(to)) {
                  throw new TraceException(where + ": message " + id + " goes to " + to + ", its earlier send to " + before);
                }
                events.add(new Event("send", id, "-", n, "", lineNo));
              }
              case "ok" -> events.add(new Event("ok", id, "-", 0, "", lineNo));
              case "info", "fail" -> events.add(new Event("info", id, "-", 0, "", lineNo));
              default -> throw new TraceException(where + ": unknown type " + type);
            }
          }
          case "receive" -> {
            String id = value(v, "id", where);
            msgs.add(id);
            events.add(new Event("receive", id, device(v, where), 0, "", lineNo));
          }
          case "receipt" -> {
            String state = value(v, "state", where);
            if (v.hasNonNull("device") && !state.equals("failed")) {
              String id = value(v, "id", where);
              msgs.add(id);
              events.add(new Event("receipt", id, device(v, where), 0, state, lineNo));
            }
          }
          case "read" -> {
            if (type.equals("ok")) {
              String id = value(v, "id", where);
              msgs.add(id);
              events.add(new Event("read", id, device(v, where), 0, "", lineNo));
            }
          }
          default -> { }
        }
      }
    }
    if (msgs.isEmpty()) throw new TraceException(file + ": no send, receive or receipt: nothing to validate");
    Set<String> devices = new LinkedHashSet<>();
    Map<String, Set<String>> owed = new LinkedHashMap<>();
    for (String m : msgs) {
      Set<String> ds = new LinkedHashSet<>();
      for (String u : recipients.getOrDefault(m, Set.of())) {
        for (String d : roster.getOrDefault(u, List.of())) ds.add(u + "/" + d);
      }
      owed.put(m, ds);
      devices.addAll(ds);
    }
    // Devices that received without being owed stay in the model: the spec never pushes to them.
    for (Event e : events) if (!e.d().equals("-")) devices.add(e.d());
    if (devices.isEmpty()) throw new TraceException(file + ": no device in the roster for any recipient, and no receive");
    return new HistoryTrace(List.copyOf(events), msgs, devices, owed, maxAttempt, drained);
  }

  /** The first {@code k} events, as a history that does not end with {@code drained}. */
  HistoryTrace prefix(int k) {
    return new HistoryTrace(events.subList(0, k), msgs, devices, owed, maxAttempt, false);
  }

  /** The TLA+ module binding the trace, extending DeliveryTrace. */
  String module(String name) {
    StringBuilder b = new StringBuilder();
    b.append("---- MODULE ").append(name).append(" ----\n");
    b.append("\\* Generated by `deliverycheck spec trace` from a recorded history; binds constants only.\n");
    b.append("EXTENDS DeliveryTrace\n\n");
    b.append("TraceEvents == <<\n");
    for (int i = 0; i < events.size(); i++) {
      b.append("  ").append(events.get(i).tla()).append(i + 1 < events.size() ? ",\n" : "\n");
    }
    b.append(">>\n\n");
    b.append("TraceOwed == [m \\in Msgs |->\n  CASE ");
    List<String> cases = new ArrayList<>();
    owed.forEach((m, ds) -> cases.add("m = " + q(m) + " -> " + set(ds)));
    b.append(String.join("\n    [] ", cases)).append("]\n====\n");
    return b.toString();
  }

  /** The TLC configuration for the module. */
  String config(String mode, int maxAttempts, int maxFaults) {
    return "CONSTANTS\n"
        + "  Msgs = " + set(msgs) + "\n"
        + "  Devices = " + set(devices) + "\n"
        + "  Owed <- TraceOwed\n"
        + "  Workers = {w1, w2}\n"
        + "  Mode = " + q(mode) + "\n"
        + "  Bugs = {}\n"
        + "  MaxSends = " + maxAttempt + "\n"
        + "  MaxAttempts = " + maxAttempts + "\n"
        + "  MaxFaults = " + maxFaults + "\n"
        + "  Drained = " + (drained ? "TRUE" : "FALSE") + "\n"
        + "  Trace <- TraceEvents\n"
        + "INIT TraceInit\n"
        + "NEXT TraceNext\n"
        + "INVARIANT HistoryNotExplained\n"
        + "CHECK_DEADLOCK FALSE\n";
  }

  private static String set(Set<String> s) {
    return "{" + String.join(", ", s.stream().map(HistoryTrace::q).toList()) + "}";
  }

  static String q(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  private static String device(JsonNode v, String where) throws TraceException {
    return value(v, "recipient", where) + "/" + value(v, "device", where);
  }

  private static String field(JsonNode op, String name, String where) throws TraceException {
    JsonNode n = op.get(name);
    if (n == null || !n.isTextual()) throw new TraceException(where + ": missing string field \"" + name + "\"");
    return n.asText();
  }

  private static String value(JsonNode v, String name, String where) throws TraceException {
    JsonNode n = v.get(name);
    if (n == null || n.isNull()) throw new TraceException(where + ": value has no \"" + name + "\"");
    return n.asText();
  }
}
