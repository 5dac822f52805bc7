package io.deliverycheck.checker;

import static io.deliverycheck.checker.DeliveryChecker.ACK;
import static io.deliverycheck.checker.DeliveryChecker.DRAINED;
import static io.deliverycheck.checker.DeliveryChecker.ERROR;
import static io.deliverycheck.checker.DeliveryChecker.NEMESIS;
import static io.deliverycheck.checker.DeliveryChecker.READ;
import static io.deliverycheck.checker.DeliveryChecker.RECEIPT;
import static io.deliverycheck.checker.DeliveryChecker.RECEIVE;
import static io.deliverycheck.checker.DeliveryChecker.ROSTER;
import static io.deliverycheck.checker.DeliveryChecker.SEND;
import static io.deliverycheck.checker.DeliveryChecker.SYSTEM;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.history.HistoryFormatException;
import io.deliverycheck.checker.history.LineScanner;
import io.deliverycheck.checker.history.OpType;
import java.io.IOException;

/**
 * The Jackson reader of a history file, which {@link BytePath} (the file reader of
 * {@link DeliveryChecker#check(java.nio.file.Path, Guarantee)}) hands the lines it does not take:
 * one line alone, or the rest of the file. One streaming Jackson parser, the op's fields read token by token, ids interned straight
 * from the parser's buffer, no object per op. The line rules and their messages come from
 * {@link LineScanner}, the invoke/complete rules from the checker's
 * {@link io.deliverycheck.checker.history.Pairing}, the delivery rules from the checker's
 * {@link Judge}, so it rejects exactly the lines that
 * {@link io.deliverycheck.checker.history.HistoryReader} followed by
 * {@link DeliveryChecker#accept} rejects (ReadersAgreeTest, KeyOrderTest). The fields of an op
 * may come in any order: values of {@code receive} and {@code receipt}, and of a {@code send}
 * known to be an invocation, are scanned by tokens; a value the op does not need (a send
 * completion, {@code ack}, {@code read}, a nemesis fault) is skipped once its {@code f} (and for a
 * send its {@code type}) is known; anything else, a {@code roster}, {@code system}, {@code error}
 * or {@code drained} value, or a value that comes before the op says what it is, is read as a
 * tree and handled as {@code accept} handles it.
 */
final class FastPath {
  private final DeliveryChecker c;
  private LineScanner s;

  FastPath(DeliveryChecker c, LineScanner s) {
    this.c = c;
    this.s = s;
  }

  /** Reads the next ops through {@code next} (a scanner over one line, or over the rest of the file). */
  void use(LineScanner next) {
    this.s = next;
  }


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
  private int vFrom;
  private char[] vKey = new char[64];
  private int vKeyLen;
  private int vSeen;
  private static final int V_ID = 1;
  private static final int V_RECIPIENT = 2;
  private static final int V_DEVICE = 4;
  private static final int V_STATE = 8;
  private static final int V_TO = 16;

  // the current op
  private long index;
  private long time;
  private int proc;
  private OpType type;
  private int f;
  private boolean tokensValue;
  private ObjectNode tree;
  private String errorText;

  /** Reads the whole file (or the rest of it, for a resumed scanner) into the checker. */
  void run() throws HistoryFormatException {
    while (s.advance()) {
      parse();
      apply();
    }
  }

  /**
   * Reads one op (the parser is on its START_OBJECT) up to its END_OBJECT and checks its fields and
   * its index. The judge is not touched, except that names are interned.
   */
  void parse() throws HistoryFormatException {
    JsonParser p = s.parser();
    index = -1;
    time = -1;
    proc = -1;
    type = null;
    f = -1;
    int seen = 0;
    tokensValue = false;
    tree = null;
    errorText = null;
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
            proc = c.judge.processes.intern(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
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
            if (f == RECEIVE || f == RECEIPT || f == SEND && type == OpType.INVOKE) {
              scanValue(s, p, f);
              tokensValue = true;
            } else if (f >= 0 && f != ROSTER && f != SYSTEM && f != ERROR && f != DRAINED
                && (f != SEND || type != null)) {
              p.skipChildren(); // not needed to judge delivery
            } else {
              tree = p.readValueAsTree(); // a harness op, or not known yet what the op is
            }
            break;
          case F_NODE:
            if (t != JsonToken.VALUE_NULL) {
              requireString(s, t, name);
            }
            break;
          case F_ERROR:
            if (t != JsonToken.VALUE_NULL) {
              requireString(s, t, name);
              if (proc == -1 || proc == NEMESIS) {
                errorText = p.getText(); // a nemesis op with an error is a harness error
              }
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
  }

  /** Applies the op {@link #parse()} read: the invoke/complete rules, then the delivery rules. */
  void apply() throws HistoryFormatException {
    try {
      c.judge.beforeOp(f == DRAINED);
      c.pairing.apply(proc, type, f, DeliveryChecker.mustPair(f), s.line());
      c.nextIndex++;
      if (proc == NEMESIS && errorText != null && f != ERROR) {
        c.nemesisError(c.fs.name(f), errorText, index);
      }
      if (tokensValue) {
        applyTokens(proc, f, type, time, index);
      } else {
        c.applyTree(proc, f, type, tree, time, index); // tree is null when the value was skipped
      }
    } catch (IllegalArgumentException e) {
      throw s.error(e.getMessage());
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
    return f >= 0 ? f : c.fs.intern(b, o, n);
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
    vFrom = -1;
    vKeyLen = -1;
    JsonToken t;
    while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      t = p.nextToken();
      switch (name) {
        case "id":
          requireString(s, t, "value.id");
          vId = c.judge.msgs.intern(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
          vSeen |= V_ID;
          break;
        case "recipient":
          if (f == SEND) {
            p.skipChildren();
            break;
          }
          requireString(s, t, "value.recipient");
          vRecipient = c.judge.users.intern(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
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
          vDevice = c.judge.devices.intern(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
          break;
        case "state":
          if (f != RECEIPT) {
            p.skipChildren();
            break;
          }
          requireString(s, t, "value.state");
          try {
            vState = DeliveryChecker.state(p.getText());
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
            if (vTo == c.to.length) {
              c.to = java.util.Arrays.copyOf(c.to, vTo * 2);
            }
            c.to[vTo++] = c.judge.users.intern(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
          }
          vSeen |= V_TO;
          break;
        case "key":
          if (f != SEND) {
            p.skipChildren();
            break;
          }
          requireString(s, t, "value.key");
          vKeyLen = p.getTextLength();
          if (vKeyLen > vKey.length) {
            vKey = new char[Math.max(vKeyLen, vKey.length * 2)];
          }
          System.arraycopy(p.getTextCharacters(), p.getTextOffset(), vKey, 0, vKeyLen);
          break;
        case "from":
          if (f != SEND) {
            p.skipChildren();
            break;
          }
          requireString(s, t, "value.from");
          vFrom = c.judge.users.intern(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
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
      c.judge.sendInvoke(proc, vId, c.to, vTo, vFrom, vKey, 0, vKeyLen, time, index); // tokens: invocations only
    } else if (f == RECEIVE) {
      c.requireType(f, type, OpType.OK);
      c.judge.receive(vId, vRecipient, vDevice, time, index);
    } else {
      c.requireType(f, type, OpType.OK);
      c.judge.receipt(vId, vRecipient, vDevice, vState, index);
    }
  }
}
