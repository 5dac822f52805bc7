package io.deliverycheck.checker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.history.HistoryFormatException;
import io.deliverycheck.checker.history.LineScanner;
import io.deliverycheck.checker.history.Op;
import io.deliverycheck.checker.history.OpType;
import io.deliverycheck.checker.history.Pairing;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Judges a history against a guarantee (HISTORY.md contract v2, "Verdicts"): a pure function of
 * the history. Streaming: feed ops in index order with {@link #accept}, then call {@link #finish}
 * once; or {@link #check(Path, Guarantee)} a file. Memory grows with the messages and triples it
 * must remember (docs/history-format.md, "Memory"), not with the number of ops.
 *
 * <p>Besides the file format (checked by the readers), it enforces the rules of the delivery
 * operations: {@code receive} and {@code receipt} are standalone {@code ok}s; {@code roster},
 * {@code system}, {@code error} and {@code drained} standalone {@code info}s; the roster comes
 * once and before any send, the system op at most once and before any send, drained once and
 * last; a send names only users of the roster, and a retry repeats the key, from and to of its
 * message's first send; the values carry their fields with the right types ({@code send}: string
 * {@code id}, array of strings {@code to}, optional strings {@code key} and {@code from}, integer
 * {@code attempt}; {@code receive}: strings {@code id}, {@code recipient}, {@code device};
 * {@code receipt}: the same with an optional device and a {@code state}; {@code drained}: boolean
 * {@code healed}; {@code system}: optional string {@code name}, {@code guarantee}, boolean
 * {@code receipts}, {@code order} none or per-sender).
 */
public final class DeliveryChecker {
  /** Example lists in results.json hold at most this many entries; counts are always exact. */
  public static final int EXAMPLE_CAP = 100;

  /** The outcome counts, in results.json order. */
  public static final List<String> OUTCOMES = List.of("lost", "undelivered", "duplicated",
      "unexpected", "recovered", "resurrected", "misrouted", "false_delivered",
      "read_before_delivered", "regressed", "unresolved", "reordered");

  // the operation names, interned first so their ids are these constants
  static final int SEND = 0;
  static final int RECEIVE = 1;
  static final int ACK = 2;
  static final int READ = 3;
  static final int RECEIPT = 4;
  static final int ROSTER = 5;
  static final int DRAINED = 6;
  static final int SYSTEM = 7;
  static final int ERROR = 8;
  /** The process id of {@code nemesis}, interned first. */
  static final int NEMESIS = 0;

  final Judge judge = new Judge();
  private final GuaranteeChoice choice;
  final IdTable fs = new IdTable();
  final Pairing pairing;
  long nextIndex;
  private boolean finished;
  int[] to = new int[16];

  /** Judges against {@code guarantee}, whatever the history's system op claims. */
  public DeliveryChecker(Guarantee guarantee) {
    this(GuaranteeChoice.explicit(guarantee, "explicit"));
  }

  /** Judges against the guarantee {@code choice} resolves (docs/history-format.md, "Which guarantee"). */
  public DeliveryChecker(GuaranteeChoice choice) {
    this.choice = choice;
    for (String f : List.of("send", "receive", "ack", "read", "receipt", "roster", "drained", "system", "error")) {
      fs.intern(f);
    }
    judge.processes.intern("nemesis");
    this.pairing = new Pairing(judge.processes::name, fs::name);
  }

  /**
   * Applies the next op (in index order, starting at 0).
   *
   * @throws IllegalArgumentException when the op breaks the history format or the rules of the
   *     delivery operations; the message starts with {@code index N:}
   */
  public void accept(Op op) {
    if (finished) {
      throw new IllegalStateException("finish() was called");
    }
    if (op.index() != nextIndex) {
      throw new IllegalArgumentException("index " + op.index() + ": expected index " + nextIndex
          + " (indexes count from 0 with no gaps)");
    }
    try {
      int proc = judge.processes.intern(op.process());
      int f = fs.intern(op.f());
      judge.beforeOp(f == DRAINED);
      pairing.apply(proc, op.type(), f, mustPair(f), op.index() + 1);
      nextIndex++;
      if (proc == NEMESIS && op.error() != null && f != ERROR) {
        nemesisError(op.f(), op.error(), op.index());
      }
      applyTree(proc, f, op.type(), op.value(), op.time(), op.index());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("index " + op.index() + ": " + e.getMessage(), e);
    }
  }

  /**
   * The verdict on the ops accepted so far, which must be the whole history. Call once.
   *
   * @throws MissingGuaranteeException when no guarantee was given, none is claimed by a system
   *     op and there is no fallback
   */
  public CheckResult finish() {
    if (finished) {
      throw new IllegalStateException("finish() was already called");
    }
    finished = true;
    return judge.finish(nextIndex, choice);
  }

  private String readerStats = "";

  /** How {@link #checkFile} read the lines: how many the byte scanner took (for the benchmark). */
  public String readerStats() {
    return readerStats;
  }

  /** Bytes of primitive state the checker holds now (for the benchmark; see docs). */
  public long stateBytes() {
    return judge.stateBytes();
  }

  /**
   * Names earlier ops in error messages by index instead of line, for readers whose lines are not
   * index + 1 (EDN). Call before the first op.
   */
  public void nameOpsByIndex() {
    judge.indexesAreLines = false;
  }

  /**
   * Reads and judges a whole history file (plain or .gz), with the same validation as
   * {@link io.deliverycheck.checker.history.HistoryReader} followed by {@link #accept}, on a fast
   * path that creates no object per op.
   *
   * @throws HistoryFormatException when the file is missing or malformed: FILE:LINE: problem
   */
  public static CheckResult check(Path history, Guarantee g) throws IOException, HistoryFormatException {
    return new DeliveryChecker(g).checkFile(history);
  }

  /** {@link #check(Path, Guarantee)} with the guarantee {@code choice} resolves. */
  public static CheckResult check(Path history, GuaranteeChoice choice) throws IOException, HistoryFormatException {
    return new DeliveryChecker(choice).checkFile(history);
  }

  /**
   * Like {@link #check(Path, Guarantee)}, on this (fresh) checker, which then still answers
   * {@link #stateBytes()}.
   */
  public CheckResult checkFile(Path history) throws IOException, HistoryFormatException {
    return checkFile(history, Runtime.getRuntime().availableProcessors() > 1);
  }

  /**
   * {@link #checkFile(Path)}, with a second thread that reads and scans while this one judges
   * ({@code threads}), or on this thread alone.
   */
  CheckResult checkFile(Path history, boolean threads) throws IOException, HistoryFormatException {
    if (nextIndex != 0 || finished) {
      throw new IllegalStateException("checkFile needs a fresh checker");
    }
    try (InputStream in = LineScanner.openStream(history, false)) {
      BytePath b = new BytePath(this, history, in);
      try {
        if (threads) {
          b.runThreaded();
        } else {
          b.run();
        }
      } finally {
        readerStats = String.format("%,d lines by the byte scanner, %,d parsed alone by Jackson%s", b.scanned,
            b.lineParsed, b.handedOver ? ", the rest of the file by Jackson" : "");
      }
    }
    return finish();
  }

  /**
   * {@link #checkFile} through Jackson alone (the reader the byte scanner hands unusual lines to),
   * for the tests that hold both to the same results and for the benchmark's comparison.
   */
  public CheckResult checkFileJackson(Path history) throws IOException, HistoryFormatException {
    if (nextIndex != 0 || finished) {
      throw new IllegalStateException("checkFile needs a fresh checker");
    }
    try (LineScanner s = LineScanner.open(history)) {
      new FastPath(this, s).run();
    }
    return finish();
  }

  static boolean mustPair(int f) {
    return f == SEND || f == ACK || f == READ;
  }

  /** A nemesis op with an {@code error}: a fault the harness could not apply or heal. */
  void nemesisError(String f, String error, long index) {
    ObjectNode x = JsonNodeFactory.instance.objectNode();
    x.put("index", index);
    x.put("process", "nemesis");
    x.put("f", f);
    x.put("error", error);
    judge.harnessError(x);
  }

  // ---- ops with their value as a tree ------------------------------------------------------

  /** Applies an op whose value is a tree; {@code v} is null only for ops whose value is not needed. */
  void applyTree(int proc, int f, OpType type, ObjectNode v, long time, long index) {
    switch (f) {
      case SEND:
        if (type == OpType.INVOKE) {
          String id = text(v, "id");
          JsonNode a = v.get("to");
          if (a == null) {
            throw missing("to");
          }
          if (!a.isArray()) {
            throw wrong("to", "an array of strings", a);
          }
          int n = 0;
          for (JsonNode x : a) {
            if (!x.isTextual()) {
              throw wrong("to", "an array of strings", x);
            }
            if (n == to.length) {
              to = java.util.Arrays.copyOf(to, n * 2);
            }
            to[n++] = judge.users.intern(x.asText());
          }
          String key = optionalText(v, "key");
          String from = optionalText(v, "from");
          optional(v, "attempt", JsonNode::isIntegralNumber, "an integer");
          char[] k = key == null ? null : key.toCharArray();
          judge.sendInvoke(proc, judge.msgs.intern(id), to, n, from == null ? -1 : judge.users.intern(from),
              k, 0, k == null ? -1 : k.length, time, index);
        } else {
          judge.sendComplete(proc, type, time, index);
        }
        break;
      case RECEIVE: {
        String id = text(v, "id");
        String r = text(v, "recipient");
        String d = text(v, "device");
        requireType(f, type, OpType.OK);
        judge.receive(judge.msgs.intern(id), judge.users.intern(r), judge.devices.intern(d), time, index);
        break;
      }
      case RECEIPT: {
        String id = text(v, "id");
        String r = text(v, "recipient");
        JsonNode dn = v.get("device");
        if (dn != null && !dn.isNull() && !dn.isTextual()) {
          throw wrong("device", "a string", dn);
        }
        int state = state(text(v, "state"));
        requireType(f, type, OpType.OK);
        int d = dn == null || dn.isNull() ? -1 : judge.devices.intern(dn.asText());
        judge.receipt(judge.msgs.intern(id), judge.users.intern(r), d, state, index);
        break;
      }
      case ROSTER: {
        requireType(f, type, OpType.INFO);
        int[] us = new int[v.size()];
        int[][] ds = new int[v.size()][];
        int i = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); i++) {
          Map.Entry<String, JsonNode> e = it.next();
          if (!e.getValue().isArray()) {
            throw wrong(e.getKey(), "an array of device names", e.getValue());
          }
          us[i] = judge.users.intern(e.getKey());
          List<Integer> devs = new ArrayList<>();
          for (JsonNode x : e.getValue()) {
            if (!x.isTextual()) {
              throw wrong(e.getKey(), "an array of device names", x);
            }
            devs.add(judge.devices.intern(x.asText()));
          }
          ds[i] = devs.stream().mapToInt(Integer::intValue).toArray();
        }
        judge.roster(us, ds, index);
        break;
      }
      case SYSTEM: {
        requireType(f, type, OpType.INFO);
        optionalText(v, "name");
        String g = optionalText(v, "guarantee");
        Guarantee guarantee = null;
        if (g != null) {
          guarantee = exactGuarantee(g);
          if (guarantee == null) {
            throw new IllegalArgumentException("field \"value.guarantee\" must be at-most-once, at-least-once or"
                + " exactly-once, found \"" + g + "\"");
          }
        }
        JsonNode r = v.get("receipts");
        if (r != null && !r.isBoolean()) {
          throw wrong("receipts", "a boolean", r);
        }
        String order = optionalText(v, "order");
        if (order != null && !order.equals("none") && !order.equals("per-sender")) {
          throw new IllegalArgumentException("field \"value.order\" must be none or per-sender, found \"" + order
              + "\"");
        }
        judge.system(v, guarantee, r == null ? null : r.booleanValue(), order, index);
        break;
      }
      case DRAINED: {
        requireType(f, type, OpType.INFO);
        JsonNode h = v.get("healed");
        if (h == null) {
          throw new IllegalArgumentException("missing field \"value.healed\" (true when every fault was healed"
              + " before the drain)");
        }
        if (!h.isBoolean()) {
          throw wrong("healed", "a boolean", h);
        }
        judge.drained(h.booleanValue(), index);
        break;
      }
      case ERROR: {
        requireType(f, type, OpType.INFO);
        ObjectNode x = JsonNodeFactory.instance.objectNode();
        x.put("index", index);
        x.put("process", judge.processes.name(proc));
        x.put("f", "error");
        v.fields().forEachRemaining(e -> {
          if (!x.has(e.getKey())) {
            x.set(e.getKey(), e.getValue());
          }
        });
        judge.harnessError(x);
        break;
      }
      default:
        break; // ack, read, nemesis faults: recorded for people, not needed for the verdict
    }
  }

  /** The guarantee of a wire name exactly as HISTORY.md spells it, or null. */
  private static Guarantee exactGuarantee(String s) {
    for (Guarantee g : Guarantee.values()) {
      if (g.wire().equals(s)) {
        return g;
      }
    }
    return null;
  }

  void requireType(int f, OpType type, OpType expected) {
    if (type != expected) {
      throw new IllegalArgumentException(fs.name(f) + " must be recorded as a standalone "
          + expected.wire() + ", found " + type.wire());
    }
  }

  static int state(String s) {
    switch (s) {
      case "accepted": return Judge.ACCEPTED;
      case "delivered": return Judge.DELIVERED;
      case "read": return Judge.READ;
      case "failed": return Judge.FAILED;
      default:
        throw new IllegalArgumentException("field \"value.state\" must be accepted, delivered, read or failed, found \""
            + s + "\"");
    }
  }

  private static String text(ObjectNode v, String field) {
    JsonNode x = v.get(field);
    if (x == null) {
      throw missing(field);
    }
    if (!x.isTextual()) {
      throw wrong(field, "a string", x);
    }
    return x.asText();
  }

  /** An optional string field: null when absent. */
  private static String optionalText(ObjectNode v, String field) {
    JsonNode x = v.get(field);
    if (x == null) {
      return null;
    }
    if (!x.isTextual()) {
      throw wrong(field, "a string", x);
    }
    return x.asText();
  }

  private static void optional(ObjectNode v, String field, java.util.function.Predicate<JsonNode> ok, String what) {
    JsonNode x = v.get(field);
    if (x != null && !ok.test(x)) {
      throw wrong(field, what, x);
    }
  }

  private static IllegalArgumentException missing(String field) {
    return new IllegalArgumentException("missing field \"value." + field + "\"");
  }

  private static IllegalArgumentException wrong(String field, String expected, JsonNode found) {
    return new IllegalArgumentException("field \"value." + field + "\" must be " + expected + ", found "
        + describe(found));
  }

  private static String describe(JsonNode n) {
    switch (n.getNodeType()) {
      case OBJECT: return "an object";
      case ARRAY: return "an array";
      case STRING: return "a string";
      case NUMBER: return n.isIntegralNumber() ? "an integer" : "a decimal number";
      case BOOLEAN: return "a boolean";
      case NULL: return "null";
      default: return n.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    }
  }
}
