package io.deliverycheck.checker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.history.HistoryFormatException;
import io.deliverycheck.checker.history.LineScanner;
import io.deliverycheck.checker.history.Op;
import io.deliverycheck.checker.history.OpType;
import io.deliverycheck.checker.history.Pairing;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Judges a history against a guarantee (HISTORY.md, "Verdicts"): a pure function of the history.
 * Streaming: feed ops in index order with {@link #accept}, then call {@link #finish} once; or
 * {@link #check(Path, Guarantee)} a file. Memory grows with the messages and triples it must
 * remember (docs/history-format.md, "Memory"), not with the number of ops.
 *
 * <p>Besides the file format (checked by the readers), it enforces the rules of the delivery
 * operations: {@code receive} and {@code receipt} are standalone {@code ok}s, {@code roster} and
 * {@code drained} standalone {@code info}s, the roster comes once and before any send, and the
 * values carry their fields with the right types ({@code send}: string {@code id}, array of strings
 * {@code to}; {@code receive}: strings {@code id}, {@code recipient}, {@code device};
 * {@code receipt}: the same with an optional device and a {@code state}).
 */
public final class DeliveryChecker {
  /** Example lists in results.json hold at most this many entries; counts are always exact. */
  public static final int EXAMPLE_CAP = 100;

  /** The outcome counts, in results.json order. */
  public static final List<String> OUTCOMES = List.of("lost", "undelivered", "duplicated",
      "unexpected", "recovered", "resurrected", "misrouted", "false_delivered",
      "read_before_delivered", "regressed");

  // the operation names, interned first so their ids are these constants
  static final int SEND = 0;
  static final int RECEIVE = 1;
  static final int ACK = 2;
  static final int READ = 3;
  static final int RECEIPT = 4;
  static final int ROSTER = 5;
  static final int DRAINED = 6;

  final Judge judge;
  final IdTable fs = new IdTable();
  final Pairing pairing;
  long nextIndex;
  private boolean finished;
  int[] to = new int[16];

  public DeliveryChecker(Guarantee guarantee) {
    this.judge = new Judge(guarantee);
    for (String f : List.of("send", "receive", "ack", "read", "receipt", "roster", "drained")) {
      fs.intern(f);
    }
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
      pairing.apply(proc, op.type(), f, mustPair(f), op.index() + 1);
      nextIndex++;
      applyTree(proc, f, op.type(), op.value(), op.time(), op.index());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("index " + op.index() + ": " + e.getMessage(), e);
    }
  }

  /** The verdict on the ops accepted so far, which must be the whole history. Call once. */
  public CheckResult finish() {
    if (finished) {
      throw new IllegalStateException("finish() was already called");
    }
    finished = true;
    return judge.finish(nextIndex, List.of());
  }

  /** Bytes of primitive state the checker holds now (for the benchmark; see docs). */
  public long stateBytes() {
    return judge.stateBytes();
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

  /**
   * Like {@link #check(Path, Guarantee)}, on this (fresh) checker, which then still answers
   * {@link #stateBytes()}.
   */
  public CheckResult checkFile(Path history) throws IOException, HistoryFormatException {
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

  // ---- ops with their value as a tree ------------------------------------------------------

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
          optional(v, "key", JsonNode::isTextual, "a string");
          optional(v, "from", JsonNode::isTextual, "a string");
          optional(v, "attempt", JsonNode::isIntegralNumber, "an integer");
          judge.sendInvoke(proc, judge.msgs.intern(id), to, n, time);
        } else {
          judge.sendComplete(proc, type, time);
        }
        break;
      case RECEIVE: {
        String id = text(v, "id");
        String r = text(v, "recipient");
        String d = text(v, "device");
        requireType(f, type, OpType.OK);
        judge.receive(judge.msgs.intern(id), judge.users.intern(r), judge.devices.intern(d), time);
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
        judge.roster(us, ds);
        break;
      }
      case DRAINED:
        requireType(f, type, OpType.INFO);
        judge.drained();
        break;
      default:
        break; // ack, read, nemesis faults: recorded for people, not needed for the verdict
    }
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
