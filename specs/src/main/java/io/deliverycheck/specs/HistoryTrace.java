package io.deliverycheck.specs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.history.HistoryFormatException;
import io.deliverycheck.checker.history.HistoryReader;
import io.deliverycheck.checker.history.Op;
import io.deliverycheck.checker.history.OpType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A recorded history (contract v2, JSON Lines, optionally gzipped) as the independent parts
 * that trace validation checks one by one ({@code DeliveryTrace.tla}; specs/README.md says why
 * the split is sound and what it cannot see).
 *
 * <p>The file is read with the checker's {@link HistoryReader} (format errors name the line),
 * plus the contract's reader errors: a second {@code roster}, {@code system} or
 * {@code drained}, a {@code system} or {@code send} out of place, a send to a user the roster
 * does not name, a retry whose key, sender or recipients differ from the first send of its id,
 * any op after {@code drained}.
 *
 * <p>Kept as events: {@code send} invoke/ok/info/fail, {@code receive}, {@code receipt} (every
 * state, per device or for a recipient), {@code read} ok. Read for their data: {@code roster},
 * {@code system} (guarantee and claims), {@code drained} (only a healed one counts). Left out:
 * acks, read invocations and failures, nemesis ops, harness {@code error} ops.
 *
 * <p>A part is one message and a group of devices: each owed device of the message (the roster
 * devices of its recipients) and each other device with events of it is a group of its own,
 * except that a receipt speaking for a recipient joins that recipient's devices in one group.
 * Each part holds the message's sender events and the events of its devices.
 *
 * @param file the history
 * @param parts the parts, by message (first appearance) then group
 * @param messages distinct message ids
 * @param unowned messages owed to no device and with no device event: nothing to validate
 * @param drained whether the history ends with a healed {@code drained}
 * @param guarantee the {@code system} op's guarantee, or null
 * @param receiptsClaimed whether the {@code system} op claims receipts
 * @param orderClaimed whether the {@code system} op claims per-sender order
 */
public record HistoryTrace(Path file, List<Part> parts, int messages, int unowned, boolean drained, String guarantee,
    boolean receiptsClaimed, boolean orderClaimed) {

  /**
   * One event: kind, client id, device ("-" for none), devices a receipt speaks for, send
   * attempt (0 for none), state (receipts), and the line of the history file.
   */
  public record Event(String kind, String m, String d, Set<String> ds, int n, String s, long line) {
    /** The event in words, for messages to the user. */
    public String describe() {
      return switch (kind) {
        case "send" -> "send of " + m + " attempt " + n;
        case "ok" -> "send of " + m + " ok (accepted)";
        case "info" -> "send of " + m + " info/fail";
        case "receive" -> "receive of " + m + " by " + d;
        case "receipt" -> "receipt " + s + " of " + m + " for " + String.join(", ", ds);
        case "read" -> "read of " + m + " on " + d;
        default -> kind + " of " + m;
      };
    }
  }

  /**
   * One independent part.
   *
   * @param message the client id
   * @param devices the part's devices ("user/device"), in the order of their first event, then the rest
   * @param owed those of them the message is owed to
   * @param events the events, in index order
   */
  public record Part(String message, List<String> devices, Set<String> owed, List<Event> events) {}

  /** The history cannot be turned into a trace; the message names the file, line and problem. */
  public static final class TraceException extends Exception {
    private static final long serialVersionUID = 1L;

    TraceException(String message) {
      super(message);
    }
  }

  private record First(long line, String key, String from, Set<String> to) {}

  /** Reads a history file. */
  public static HistoryTrace read(Path file) throws TraceException, IOException {
    Map<String, List<String>> roster = null;
    boolean system = false;
    String guarantee = null;
    boolean receipts = false;
    boolean order = false;
    long drainedLine = 0;
    boolean healed = false;
    boolean anySend = false;
    Map<String, First> firsts = new LinkedHashMap<>();
    Map<String, List<Event>> senderEvents = new HashMap<>();
    Map<String, List<Event>> deviceEvents = new HashMap<>();   // message -> device events
    Set<String> ids = new LinkedHashSet<>();
    try (HistoryReader r = HistoryReader.open(file)) {
      for (Op op; (op = r.next()) != null; ) {
        long line = r.line();
        String where = file + ":" + line + ": ";
        if (drainedLine > 0) {
          throw new TraceException(where + op.f() + " after `drained` (line " + drainedLine + "): drained is the last op");
        }
        ObjectNode v = op.value();
        switch (op.f()) {
          case "roster" -> {
            if (roster != null) throw new TraceException(where + "a second roster (the roster is recorded once)");
            roster = new LinkedHashMap<>();
            for (var e : (Iterable<Map.Entry<String, JsonNode>>) v::fields) {
              List<String> ds = new ArrayList<>();
              e.getValue().forEach(d -> ds.add(d.asText()));
              roster.put(e.getKey(), ds);
            }
          }
          case "system" -> {
            if (system) throw new TraceException(where + "a second system op (it is recorded at most once)");
            if (anySend) throw new TraceException(where + "system op after a send (it comes before any send)");
            system = true;
            guarantee = v.hasNonNull("guarantee") ? v.get("guarantee").asText() : null;
            receipts = v.path("receipts").asBoolean(false);
            order = "per-sender".equals(v.path("order").asText("none"));
          }
          case "drained" -> {
            drainedLine = line;
            healed = v.path("healed").asBoolean(true);
          }
          case "send" -> {
            String id = text(v, "id", where);
            ids.add(id);
            List<Event> se = senderEvents.computeIfAbsent(id, k -> new ArrayList<>());
            if (op.type() == OpType.INVOKE) {
              if (roster == null) {
                throw new TraceException(where + "send before the roster (the harness records the roster before any send)");
              }
              anySend = true;
              Set<String> to = new TreeSet<>();
              v.path("to").forEach(x -> to.add(x.asText()));
              for (String u : to) {
                if (!roster.containsKey(u)) throw new TraceException(where + "send of " + id + " to " + u + ", a user the roster does not name");
              }
              First now = new First(line, v.path("key").asText(null), v.path("from").asText(null), to);
              First before = firsts.putIfAbsent(id, now);
              if (before != null) {
                String diff = !java.util.Objects.equals(before.key(), now.key()) ? "key"
                    : !java.util.Objects.equals(before.from(), now.from()) ? "from" : !before.to().equals(to) ? "to" : null;
                if (diff != null) {
                  throw new TraceException(where + "send of " + id + ": its " + diff + " differs from its first send on line "
                      + before.line());
                }
              }
              // the spec numbers a message's sends 1, 2, ...: the n-th invoke is attempt n
              int n = 1 + (int) se.stream().filter(e -> e.kind().equals("send")).count();
              se.add(new Event("send", id, "-", Set.of(), n, "", line));
            } else {
              se.add(new Event(op.type() == OpType.OK ? "ok" : "info", id, "-", Set.of(), 0, "", line));
            }
          }
          case "receive" -> {
            String id = text(v, "id", where);
            ids.add(id);
            String d = text(v, "recipient", where) + "/" + text(v, "device", where);
            deviceEvents.computeIfAbsent(id, k -> new ArrayList<>()).add(new Event("receive", id, d, Set.of(d), 0, "", line));
          }
          case "receipt" -> {
            String id = text(v, "id", where);
            ids.add(id);
            String u = text(v, "recipient", where);
            String state = text(v, "state", where);
            Set<String> ds = new LinkedHashSet<>();
            String d = "-";
            if (v.hasNonNull("device")) {
              d = u + "/" + v.get("device").asText();
              ds.add(d);
            } else {
              List<String> of = roster == null ? null : roster.get(u);
              if (of != null) of.forEach(x -> ds.add(u + "/" + x));
              if (ds.isEmpty()) ds.add(u + "/-");   // a recipient without devices: no behaviour tells it anything
            }
            deviceEvents.computeIfAbsent(id, k -> new ArrayList<>()).add(new Event("receipt", id, d, ds, 0, state, line));
          }
          case "read" -> {
            if (op.type() == OpType.OK) {
              String id = text(v, "id", where);
              ids.add(id);
              String d = text(v, "recipient", where) + "/" + text(v, "device", where);
              deviceEvents.computeIfAbsent(id, k -> new ArrayList<>()).add(new Event("read", id, d, Set.of(d), 0, "", line));
            }
          }
          default -> { }
        }
      }
    } catch (HistoryFormatException e) {
      throw new TraceException(e.getMessage());
    }
    if (ids.isEmpty()) throw new TraceException(file + ": no send, receive or receipt: nothing to validate");
    List<Part> parts = new ArrayList<>();
    int unowned = 0;
    for (String m : ids) {
      Set<String> owed = new LinkedHashSet<>();
      First f = firsts.get(m);
      if (f != null) {
        for (String u : f.to()) for (String d : roster.get(u)) owed.add(u + "/" + d);
      }
      List<Event> dev = deviceEvents.getOrDefault(m, List.of());
      List<Part> mine = split(m, owed, senderEvents.getOrDefault(m, List.of()), dev);
      if (mine.isEmpty()) unowned++;
      parts.addAll(mine);
    }
    return new HistoryTrace(file, List.copyOf(parts), ids.size(), unowned, drainedLine > 0 && healed, guarantee,
        receipts, order);
  }

  /** The parts of one message: device groups joined by receipts that speak for several devices. */
  static List<Part> split(String m, Set<String> owed, List<Event> sender, List<Event> device) {
    Map<String, String> parent = new LinkedHashMap<>();
    for (String d : owed) parent.put(d, d);
    for (Event e : device) for (String d : e.ds()) parent.putIfAbsent(d, d);
    for (Event e : device) {
      String first = null;
      for (String d : e.ds()) {
        if (first == null) first = find(parent, d);
        else parent.put(find(parent, d), first);
      }
    }
    Map<String, List<String>> groups = new LinkedHashMap<>();
    for (String d : parent.keySet()) groups.computeIfAbsent(find(parent, d), k -> new ArrayList<>()).add(d);
    List<Part> out = new ArrayList<>();
    for (List<String> g : groups.values()) {
      Set<String> in = new LinkedHashSet<>(g);
      List<Event> events = new ArrayList<>(sender);
      for (Event e : device) if (in.containsAll(e.ds())) events.add(e);
      events.sort(Comparator.comparingLong(Event::line));
      List<String> order = new ArrayList<>();
      for (Event e : events) for (String d : e.ds()) if (!order.contains(d)) order.add(d);
      for (String d : g) if (!order.contains(d)) order.add(d);
      Set<String> o = new LinkedHashSet<>();
      for (String d : order) if (owed.contains(d)) o.add(d);
      out.add(new Part(m, List.copyOf(order), o, List.copyOf(events)));
    }
    return out;
  }

  private static String find(Map<String, String> parent, String d) {
    String p = parent.get(d);
    while (!p.equals(parent.get(p))) p = parent.get(p);
    parent.put(d, p);
    return p;
  }

  /** Events in all parts (a sender event counts once per part it is in). */
  public int events() {
    return parts.stream().mapToInt(p -> p.events().size()).sum();
  }

  private static String text(JsonNode v, String name, String where) throws TraceException {
    JsonNode n = v.get(name);
    if (n == null || n.isNull()) throw new TraceException(where + "value has no \"" + name + "\"");
    return n.asText();
  }

  static String q(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
