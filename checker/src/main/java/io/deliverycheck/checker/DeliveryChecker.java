package io.deliverycheck.checker;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
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
  private static final int SEND = 0;
  private static final int RECEIVE = 1;
  private static final int ACK = 2;
  private static final int READ = 3;
  private static final int RECEIPT = 4;
  private static final int ROSTER = 5;
  private static final int DRAINED = 6;

  private final Judge judge;
  private final IdTable fs = new IdTable();
  private final Pairing pairing;
  private long nextIndex;
  private boolean finished;
  private int[] to = new int[16];

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
      scan(s);
    }
    return finish();
  }

  private static boolean mustPair(int f) {
    return f == SEND || f == ACK || f == READ;
  }

  // ---- the fast path -------------------------------------------------------------------------

  private static final int F_INDEX = 1;
  private static final int F_TIME = 2;
  private static final int F_PROCESS = 4;
  private static final int F_TYPE = 8;
  private static final int F_F = 16;
  private static final int F_VALUE = 32;
  private static final int F_NODE = 64;
  private static final int F_ERROR = 128;

  // the value of the current op, when scanned by tokens
  private int vId;
  private int vRecipient;
  private int vDevice;
  private int vState;
  private int vTo;
  private int vSeen;
  private static final int V_ID = 1;
  private static final int V_RECIPIENT = 2;
  private static final int V_DEVICE = 4;
  private static final int V_STATE = 8;
  private static final int V_TO = 16;

  private void scan(LineScanner s) throws HistoryFormatException {
    JsonParser p = s.parser();
    while (s.advance()) {
      long index = -1;
      long time = -1;
      int proc = -1;
      OpType type = null;
      int f = -1;
      int seen = 0;
      boolean tokensValue = false;
      ObjectNode tree = null;
      try {
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
          String name = p.currentName();
          t = p.nextToken();
          int bit = bit(name);
          if (bit != 0) {
            s.checkFirst((seen & bit) != 0, name);
            seen |= bit;
          }
          switch (bit) {
            case F_INDEX: index = s.longField(t, name); break;
            case F_TIME: time = s.longField(t, name); break;
            case F_PROCESS:
              requireString(s, t, name);
              proc = judge.processes.intern(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
              break;
            case F_TYPE:
              requireString(s, t, name);
              type = type(s, p);
              break;
            case F_F:
              requireString(s, t, name);
              f = knownF(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
              break;
            case F_VALUE:
              if (t != JsonToken.START_OBJECT) {
                throw s.error("field \"value\" must be an object, found " + LineScanner.describe(t));
              }
              if (type != null && (f == SEND && type == OpType.INVOKE || f == RECEIVE || f == RECEIPT)) {
                scanValue(s, p, f);
                tokensValue = true;
              } else if (f >= 0 && f != ROSTER && (f != SEND || type != null)) {
                p.skipChildren(); // not needed to judge delivery
              } else {
                tree = p.readValueAsTree(); // roster, or f not known yet
              }
              break;
            case F_NODE: case F_ERROR:
              if (t != JsonToken.VALUE_NULL) {
                requireString(s, t, name);
              }
              break;
            default: p.skipChildren(); break;
          }
        }
      } catch (IOException e) {
        throw s.jsonError(e);
      }
      s.endOfObject();
      s.require((seen & F_INDEX) != 0, "index");
      s.require((seen & F_TIME) != 0, "time");
      s.require((seen & F_PROCESS) != 0, "process");
      s.require((seen & F_TYPE) != 0, "type");
      s.require((seen & F_F) != 0, "f");
      s.require((seen & F_VALUE) != 0, "value");
      s.checkIndex(index);
      try {
        pairing.apply(proc, type, f, mustPair(f), s.line());
        nextIndex++;
        if (tokensValue) {
          applyTokens(proc, f, type, time, index);
        } else {
          applyTree(proc, f, type, tree, time, index); // tree is null when the value was skipped
        }
      } catch (IllegalArgumentException e) {
        throw s.error(e.getMessage());
      }
    }
  }

  /** The id of an operation name: the common ones by their characters, others through the table. */
  private int knownF(char[] b, int o, int n) {
    int f = -1;
    switch (n) {
      case 3: f = b[o] == 'a' && b[o + 1] == 'c' && b[o + 2] == 'k' ? ACK : -1; break;
      case 4:
        f = b[o] == 's' && b[o + 1] == 'e' && b[o + 2] == 'n' && b[o + 3] == 'd' ? SEND
            : b[o] == 'r' && b[o + 1] == 'e' && b[o + 2] == 'a' && b[o + 3] == 'd' ? READ : -1;
        break;
      case 7:
        if (b[o] == 'r' && b[o + 1] == 'e' && b[o + 2] == 'c' && b[o + 3] == 'e' && b[o + 4] == 'i') {
          f = b[o + 5] == 'v' && b[o + 6] == 'e' ? RECEIVE : b[o + 5] == 'p' && b[o + 6] == 't' ? RECEIPT : -1;
        }
        break;
      default: break;
    }
    return f >= 0 ? f : fs.intern(b, o, n);
  }

  private static int bit(String name) {
    switch (name) {
      case "index": return F_INDEX;
      case "time": return F_TIME;
      case "process": return F_PROCESS;
      case "type": return F_TYPE;
      case "f": return F_F;
      case "value": return F_VALUE;
      case "node": return F_NODE;
      case "error": return F_ERROR;
      default: return 0;
    }
  }

  private static void requireString(LineScanner s, JsonToken t, String name) throws HistoryFormatException {
    if (t != JsonToken.VALUE_STRING) {
      throw s.fieldError(name, "a string", t);
    }
  }

  private static OpType type(LineScanner s, JsonParser p) throws IOException, HistoryFormatException {
    char[] b = p.getTextCharacters();
    int o = p.getTextOffset();
    int n = p.getTextLength();
    if (n == 2 && b[o] == 'o' && b[o + 1] == 'k') {
      return OpType.OK;
    }
    if (n == 4 && b[o] == 'i' && b[o + 1] == 'n' && b[o + 2] == 'f' && b[o + 3] == 'o') {
      return OpType.INFO;
    }
    if (n == 4 && b[o] == 'f' && b[o + 1] == 'a' && b[o + 2] == 'i' && b[o + 3] == 'l') {
      return OpType.FAIL;
    }
    if (n == 6 && b[o] == 'i' && b[o + 1] == 'n' && b[o + 2] == 'v' && b[o + 3] == 'o' && b[o + 4] == 'k'
        && b[o + 5] == 'e') {
      return OpType.INVOKE;
    }
    return s.type(p.getText());
  }

  /** Scans a send, receive or receipt value into the v* fields (the parser is on its START_OBJECT). */
  private void scanValue(LineScanner s, JsonParser p, int f) throws IOException, HistoryFormatException {
    vSeen = 0;
    vTo = 0;
    vDevice = -1;
    JsonToken t;
    while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      t = p.nextToken();
      switch (name) {
        case "id":
          requireString(s, t, "value.id");
          vId = judge.msgs.intern(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
          vSeen |= V_ID;
          break;
        case "recipient":
          if (f == SEND) {
            p.skipChildren();
            break;
          }
          requireString(s, t, "value.recipient");
          vRecipient = judge.users.intern(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
          vSeen |= V_RECIPIENT;
          break;
        case "device":
          if (f == SEND) {
            p.skipChildren();
            break;
          }
          vSeen |= V_DEVICE;
          if (f == RECEIPT && t == JsonToken.VALUE_NULL) {
            vDevice = -1;
            break;
          }
          requireString(s, t, "value.device");
          vDevice = judge.devices.intern(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
          break;
        case "state":
          if (f != RECEIPT) {
            p.skipChildren();
            break;
          }
          requireString(s, t, "value.state");
          try {
            vState = state(p.getText());
          } catch (IllegalArgumentException e) {
            throw s.error(e.getMessage());
          }
          vSeen |= V_STATE;
          break;
        case "to":
          if (f != SEND) {
            p.skipChildren();
            break;
          }
          if (t != JsonToken.START_ARRAY) {
            throw s.fieldError("value.to", "an array of strings", t);
          }
          vTo = 0;
          while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t != JsonToken.VALUE_STRING) {
              throw s.fieldError("value.to", "an array of strings", t);
            }
            if (vTo == to.length) {
              to = java.util.Arrays.copyOf(to, vTo * 2);
            }
            to[vTo++] = judge.users.intern(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
          }
          vSeen |= V_TO;
          break;
        case "key": case "from":
          if (f == SEND && t != JsonToken.VALUE_STRING) {
            throw s.fieldError("value." + name, "a string", t);
          }
          p.skipChildren();
          break;
        case "attempt":
          if (f == SEND && t != JsonToken.VALUE_NUMBER_INT) {
            throw s.fieldError("value.attempt", "an integer", t);
          }
          p.skipChildren();
          break;
        default:
          p.skipChildren();
          break;
      }
    }
    requireValue(s, (vSeen & V_ID) != 0, "value.id");
    if (f == SEND) {
      requireValue(s, (vSeen & V_TO) != 0, "value.to");
    } else {
      requireValue(s, (vSeen & V_RECIPIENT) != 0, "value.recipient");
      if (f == RECEIVE) {
        requireValue(s, (vSeen & V_DEVICE) != 0, "value.device");
      } else {
        requireValue(s, (vSeen & V_STATE) != 0, "value.state");
      }
    }
  }

  private static void requireValue(LineScanner s, boolean present, String field) throws HistoryFormatException {
    if (!present) {
      throw s.error("missing field \"" + field + "\"");
    }
  }

  private void applyTokens(int proc, int f, OpType type, long time, long index) {
    if (f == SEND) {
      if (type == OpType.INVOKE) {
        judge.sendInvoke(proc, vId, to, vTo, time);
      } else {
        judge.sendComplete(proc, type, time);
      }
    } else if (f == RECEIVE) {
      requireType(f, type, OpType.OK);
      judge.receive(vId, vRecipient, vDevice, time);
    } else {
      requireType(f, type, OpType.OK);
      judge.receipt(vId, vRecipient, vDevice, vState, index);
    }
  }

  // ---- ops with their value as a tree ------------------------------------------------------

  private void applyTree(int proc, int f, OpType type, ObjectNode v, long time, long index) {
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

  private void requireType(int f, OpType type, OpType expected) {
    if (type != expected) {
      throw new IllegalArgumentException(fs.name(f) + " must be recorded as a standalone "
          + expected.wire() + ", found " + type.wire());
    }
  }

  private static int state(String s) {
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
