package io.deliverycheck.checker;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.history.OpType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.HdrHistogram.Histogram;

/**
 * The verdict engine behind {@link DeliveryChecker}, on interned ints: messages, users, devices
 * and processes are numbered by {@link IdTable}s, per-message and per-triple state lives in
 * primitive arrays (see docs/history-format.md, "Memory"), and only anomalies (which are rare and
 * reported anyway) use ordinary collections. Callers validate the file format and the value
 * fields; this class checks the delivery rules of HISTORY.md (contract v2) and throws
 * {@link IllegalArgumentException} for an op that breaks them: a send before the roster or to a
 * user it does not name, a retry whose key, from or to differs from its message's first send, a
 * second roster, system or drained, a system op after a send, any op after drained.
 */
final class Judge {
  static final int ACCEPTED = 1;
  static final int DELIVERED = 2;
  static final int READ = 3;
  static final int FAILED = 4;
  private static final String[] STATE = {"none", "accepted", "delivered", "read", "failed"};

  // message flags
  private static final byte SENT = 1;
  private static final byte OK = 2;
  private static final byte FAIL = 4;
  private static final byte INFO = 8;
  private static final byte EARLY = 16;
  private static final byte EARLY_RECEIPT = 32;
  // receipt subject state, per triple and per addressed recipient: bits 0-1 the highest rank told,
  // then: a delivered receipt was seen, received (recipients only), resolved (delivered, read or
  // failed was told), reordered (triples only: counted once)
  private static final int RANK = 3;
  private static final int DELIVERED_SEEN = 4;
  private static final int RECEIVED = 8;
  private static final int RESOLVED = 16;
  private static final int REORDERED = 32;

  final IdTable msgs = new IdTable();
  final IdTable users = new IdTable();
  final IdTable devices = new IdTable();
  final IdTable processes = new IdTable();
  /** Earlier ops are named by line (JSON Lines: line = index + 1); false names them by index (EDN). */
  boolean indexesAreLines = true;

  // the harness's one-time ops: their index, -1 when not seen
  private long rosterIndex = -1;
  private long systemIndex = -1;
  private long drainedIndex = -1;
  private long firstSendIndex = -1;
  private boolean healed;
  private ObjectNode system;
  private Guarantee claimedGuarantee;
  private boolean claimsReceipts;
  private boolean claimsOrder;

  // the roster: devices of each user (null: not named), and each roster device's slot
  private int[][] roster = new int[16][];
  private int[] slotBase = new int[16];
  private int slots;

  // per message
  private int msgCap;
  private byte[] mflags = new byte[0];
  // per message, side by side (one cache line for a receive): time of the first ok, index of the
  // first ok completion, index of the first send invocation
  private long[] mtimes = new long[0];
  private int[] from = new int[0];          // user, -1 when the send names none
  private int[] keyStart = new int[0];
  private int[] keyLen = new int[0];        // -1 when the send names no key
  private int[] tripleBase = new int[0];
  private int[] recipBase = new int[0];
  private short[] nRecips = new short[0];
  private char[] keyChars = new char[1024];
  private int keyUsed;
  // per addressed recipient of a message
  private int recipCount;
  private int[] recipUser = new int[1024];
  private byte[] recipState = new byte[1024];
  // per addressed triple
  private int tripleCount;
  private byte[] recv = new byte[1024];        // receives, saturating at 255
  private byte[] tripleState = new byte[1024]; // receipt subject state
  private long[] firstReceive;                 // index + 1; kept only once a receive came before its send
  // per process: the send it has open (msg + 1, 0 = none)
  private int[] openMsg = new int[64];
  private long[] openTime = new long[64];
  // reordered: per (sender, device), the latest-invoked message received so far
  private final PairTable order = new PairTable();
  private final List<long[]> earlyWitnesses = new ArrayList<>(); // {sender, slot, receive index, invoke index, msg}

  private final Histogram acceptNs = new Histogram(3);
  private final Histogram deliverNs = new Histogram(3);

  private long receives;
  private long receipts;
  private long receiptsFailed;
  private long duplicated;
  private long duplicateEffects;
  private long falseDelivered;
  private long readBeforeDelivered;
  private long regressed;
  private long reordered;
  private long harnessErrors;
  private long sendsWithoutFrom;

  // anomalies only
  private final Map<Integer, List<long[]>> early = new HashMap<>();       // msg -> {user, device, time, index}
  private final Set<Triple> misrouted = new HashSet<>();
  private final Set<Long> misroutedRecipients = new HashSet<>();          // msg << 32 | user, by a roster device
  private final Map<Triple, Integer> sideState = new HashMap<>();         // unaddressed receipt subjects
  private final Map<Integer, long[]> dupExamples = new LinkedHashMap<>(); // triple -> {m, u, d, receives}
  private final List<ObjectNode> misroutedExamples = new ArrayList<>();
  private final List<ObjectNode> falseDeliveredExamples = new ArrayList<>();
  private final List<ObjectNode> readBeforeExamples = new ArrayList<>();
  private final List<ObjectNode> regressedExamples = new ArrayList<>();
  private final List<ObjectNode> reorderedExamples = new ArrayList<>();
  private final List<ObjectNode> harnessErrorExamples = new ArrayList<>();

  private int foundSlot;   // recipient slot of the last triple() lookup
  private int foundDevice; // position of the device in the recipient's roster entry

  record Triple(int msg, int user, int device) {}

  // ---- ops ---------------------------------------------------------------------------------

  /** Called before every op: nothing may follow {@code drained}. */
  void beforeOp(boolean isDrained) {
    if (drainedIndex >= 0) {
      throw new IllegalArgumentException(isDrained
          ? "a second drained (the first is on " + where(drainedIndex) + "; drained is recorded once, last)"
          : "an op after drained (" + where(drainedIndex) + "): drained is the last op of a history");
    }
  }

  /** The roster: {@code devices[i]} of user {@code users[i]}. */
  void roster(int[] userIds, int[][] deviceIds, long index) {
    if (rosterIndex >= 0) {
      throw new IllegalArgumentException("a second roster (the first is on " + where(rosterIndex)
          + "; the roster is recorded once)");
    }
    rosterIndex = index;
    for (int i = 0; i < userIds.length; i++) {
      ensureUser(userIds[i]);
      int[] d = dedupe(deviceIds[i], deviceIds[i].length);
      roster[userIds[i]] = d;
      slotBase[userIds[i]] = slots;
      slots += d.length;
    }
  }

  /**
   * The system op: what the system claims. {@code value} is kept whole for results.json.
   *
   * @param guarantee the claimed guarantee, or null
   * @param order {@code none}, {@code per-sender} or null
   */
  void system(ObjectNode value, Guarantee guarantee, Boolean receipts, String order, long index) {
    if (systemIndex >= 0) {
      throw new IllegalArgumentException("a second system op (the first is on " + where(systemIndex)
          + "; it is recorded at most once)");
    }
    if (firstSendIndex >= 0) {
      throw new IllegalArgumentException("a system op after the first send (" + where(firstSendIndex)
          + "): what the system claims is recorded before any send");
    }
    systemIndex = index;
    system = value.deepCopy();
    claimedGuarantee = guarantee;
    claimsReceipts = Boolean.TRUE.equals(receipts);
    claimsOrder = "per-sender".equals(order);
  }

  void drained(boolean healed, long index) {
    drainedIndex = index;
    this.healed = healed;
  }

  /** A harness error: an {@code error} op, or a nemesis op with an {@code error} field. */
  void harnessError(ObjectNode example) {
    harnessErrors++;
    example(harnessErrorExamples, example);
  }

  /**
   * A send invocation.
   *
   * @param fromUser the sender's user, -1 when the value names none
   * @param key the key's characters {@code key[keyOff, keyOff + keyLength)}; {@code keyLength} -1
   *     when the value names no key
   */
  void sendInvoke(int proc, int m, int[] to, int nTo, int fromUser, char[] key, int keyOff, int keyLength,
      long time, long index) {
    if (rosterIndex < 0) {
      throw new IllegalArgumentException("send before the roster (the harness records the roster before any send)");
    }
    for (int i = 0; i < nTo; i++) {
      int u = to[i];
      if (u >= roster.length || roster[u] == null) {
        throw new IllegalArgumentException("send of \"" + msgs.name(m) + "\" to \"" + users.name(u)
            + "\", a user the roster (" + where(rosterIndex) + ") does not name");
      }
    }
    ensureMsg(m);
    ensureProc(proc);
    if (firstSendIndex < 0) {
      firstSendIndex = index;
    }
    if ((mflags[m] & SENT) != 0) {
      checkRetry(m, to, nTo, fromUser, key, keyOff, keyLength);
      openMsg[proc] = m + 1;
      openTime[proc] = time;
      return;
    }
    openMsg[proc] = m + 1;
    openTime[proc] = time;
    mflags[m] |= SENT;
    mtimes[3 * m + 2] = index;
    from[m] = fromUser;
    if (fromUser < 0) {
      sendsWithoutFrom++;
    }
    keyLen[m] = keyLength;
    if (keyLength >= 0) {
      if (keyUsed + keyLength > keyChars.length) {
        keyChars = Arrays.copyOf(keyChars, Math.max(keyChars.length * 2, keyUsed + keyLength));
      }
      System.arraycopy(key, keyOff, keyChars, keyUsed, keyLength);
      keyStart[m] = keyUsed;
      keyUsed += keyLength;
    }
    int[] u = dedupe(to, nTo);
    if (u.length > Short.MAX_VALUE) {
      throw new IllegalArgumentException("more than " + Short.MAX_VALUE + " recipients");
    }
    recipBase[m] = recipCount;
    nRecips[m] = (short) u.length;
    tripleBase[m] = tripleCount;
    int triples = 0;
    for (int x : u) {
      triples += roster[x].length;
    }
    if (recipCount + u.length > recipUser.length) {
      int n = Math.max(recipUser.length * 2, recipCount + u.length);
      recipUser = Arrays.copyOf(recipUser, n);
      recipState = Arrays.copyOf(recipState, n);
    }
    for (int x : u) {
      recipUser[recipCount++] = x;
    }
    if (tripleCount + triples > recv.length) {
      int n = Math.max(recv.length * 2, tripleCount + triples);
      recv = Arrays.copyOf(recv, n);
      tripleState = Arrays.copyOf(tripleState, n);
      if (firstReceive != null) {
        firstReceive = Arrays.copyOf(firstReceive, n);
      }
    }
    tripleCount += triples;
    if ((mflags[m] & EARLY) != 0) {
      for (long[] r : early.remove(m)) {
        addressedReceive(m, (int) r[0], (int) r[1], r[2], r[3], true);
      }
    }
    if ((mflags[m] & EARLY_RECEIPT) != 0) {
      adoptEarlyReceipts(m);
    }
  }

  /** A retry must repeat its message's key, from and to (HISTORY.md, reader errors). */
  private void checkRetry(int m, int[] to, int nTo, int fromUser, char[] key, int keyOff, int keyLength) {
    String first = "the first send of \"" + msgs.name(m) + "\" (" + where(mtimes[3 * m + 2]) + ")";
    String rule = ": a retry repeats its message's id, key, from and to, and an id names one logical message";
    if (!sameKey(m, key, keyOff, keyLength)) {
      throw new IllegalArgumentException("send of \"" + msgs.name(m) + "\" with "
          + (keyLength < 0 ? "no key" : "key \"" + new String(key, keyOff, keyLength) + "\"") + ", but "
          + first + " has " + (keyLen[m] < 0 ? "none" : "key \"" + new String(keyChars, keyStart[m], keyLen[m]) + "\"")
          + rule);
    }
    if (fromUser != from[m]) {
      throw new IllegalArgumentException("send of \"" + msgs.name(m) + "\" from "
          + (fromUser < 0 ? "no one" : "\"" + users.name(fromUser) + "\"") + ", but " + first + " is from "
          + (from[m] < 0 ? "no one" : "\"" + users.name(from[m]) + "\"") + rule);
    }
    int[] u = dedupe(to, nTo);
    boolean same = u.length == nRecips[m];
    for (int i = 0; same && i < u.length; i++) {
      same = recipSlot(m, u[i]) >= 0;
    }
    if (!same) {
      List<String> now = new ArrayList<>();
      for (int x : u) {
        now.add(users.name(x));
      }
      List<String> then = new ArrayList<>();
      for (int j = recipBase[m], end = j + nRecips[m]; j < end; j++) {
        then.add(users.name(recipUser[j]));
      }
      throw new IllegalArgumentException("send of \"" + msgs.name(m) + "\" to " + now + ", but " + first
          + " is to " + then + rule);
    }
  }

  private boolean sameKey(int m, char[] key, int off, int len) {
    if (len != keyLen[m]) {
      return false;
    }
    for (int i = 0, s = keyStart[m]; i < len; i++) {
      if (key[off + i] != keyChars[s + i]) {
        return false;
      }
    }
    return true;
  }

  /** Receipts seen before the first send: their subjects now live in the per-triple arrays. */
  private void adoptEarlyReceipts(int m) {
    for (var it = sideState.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<Triple, Integer> e = it.next();
      Triple s = e.getKey();
      if (s.msg() != m) {
        continue;
      }
      if (s.device() >= 0) {
        int t = triple(m, s.user(), s.device());
        if (t >= 0) {
          tripleState[t] = (byte) e.getValue().intValue();
          it.remove();
        }
      } else {
        int slot = recipSlot(m, s.user());
        if (slot >= 0) {
          recipState[slot] = (byte) ((recipState[slot] & RECEIVED) | e.getValue());
          it.remove();
        }
      }
    }
  }

  void sendComplete(int proc, OpType type, long time, long index) {
    int m = openMsg[proc] - 1;
    openMsg[proc] = 0;
    if (type == OpType.OK) {
      acceptNs.recordValue(Math.max(0, time - openTime[proc]));
      if ((mflags[m] & OK) == 0) {
        mflags[m] |= OK;
        mtimes[3 * m] = time;
        mtimes[3 * m + 1] = index;
        for (int t = tripleBase[m], end = t + triplesOf(m); t < end; t++) {
          if (recv[t] != 0) {
            deliverNs.recordValue(0); // received before the system said accepted
          }
        }
      }
    } else if (type == OpType.FAIL) {
      mflags[m] |= FAIL;
    } else {
      mflags[m] |= INFO;
    }
  }

  void receive(int m, int u, int d, long time, long index) {
    receives++;
    ensureMsg(m);
    if ((mflags[m] & SENT) == 0) {
      mflags[m] |= EARLY;
      early.computeIfAbsent(m, k -> new ArrayList<>()).add(new long[] {u, d, time, index});
      if (firstReceive == null) {
        firstReceive = new long[recv.length]; // from now on, reordered may need first-receive indexes
      }
      return;
    }
    addressedReceive(m, u, d, time, index, false);
  }

  /**
   * A receive of a sent message. {@code replay}: a receive recorded before the message's first
   * send, applied now that the send is known ({@code index} is still the receive's own).
   */
  private void addressedReceive(int m, int u, int d, long time, long index, boolean replay) {
    int t = triple(m, u, d);
    int slot;
    if (t < 0) {
      if (misrouted.add(new Triple(m, u, d)) && misroutedExamples.size() < DeliveryChecker.EXAMPLE_CAP) {
        misroutedExamples.add(triple(m, u, d, null));
      }
      slot = deviceSlot(u, d);
      if (slot >= 0) {
        misroutedRecipients.add((long) m << 32 | u); // a receive by one of u's devices
      }
    } else {
      slot = slotBase[u] + foundDevice;
      int c = recv[t] & 0xff;
      if (c == 0) {
        recipState[foundSlot] |= RECEIVED;
        if ((mflags[m] & OK) != 0) {
          deliverNs.recordValue(Math.max(0, time - mtimes[3 * m]));
        }
        if (firstReceive != null) {
          firstReceive[t] = index + 1;
        }
        if (from[m] >= 0) { // one probe: is this triple late, then this message may overtake others
          int e = order.slot(PairTable.key(from[m], slot));
          if (!replay && (mflags[m] & OK) != 0 && mtimes[3 * m + 1] < order.maxInvoke(e)) {
            markReordered(t, m, u, d, order.witness(e));
          }
          order.raise(e, mtimes[3 * m + 2], m);
          if (replay) {
            earlyWitnesses.add(new long[] {from[m], slot, index, mtimes[3 * m + 2], m});
          }
        }
      } else {
        duplicateEffects++;
        if (c == 1) {
          duplicated++;
          if (dupExamples.size() < DeliveryChecker.EXAMPLE_CAP) {
            dupExamples.put(t, new long[] {m, u, d, 2});
          }
        } else {
          long[] ex = dupExamples.get(t);
          if (ex != null) {
            ex[3]++;
          }
        }
      }
      if (c < 255) {
        recv[t] = (byte) (c + 1);
      }
    }
    if (t < 0 && slot >= 0 && from[m] >= 0) { // a misrouted receive overtakes too
      order.raise(order.slot(PairTable.key(from[m], slot)), mtimes[3 * m + 2], m);
      if (replay) {
        earlyWitnesses.add(new long[] {from[m], slot, index, mtimes[3 * m + 2], m});
      }
    }
  }

  private void markReordered(int t, int m, int u, int d, int witness) {
    tripleState[t] |= REORDERED;
    reordered++;
    ObjectNode x = triple(m, u, d, null);
    x.put("overtaken_by", msgs.name(witness));
    example(reorderedExamples, x);
  }

  /** A receipt; {@code d} is -1 when it names no device (it speaks for the recipient). */
  void receipt(int m, int u, int d, int state, long index) {
    receipts++;
    ensureMsg(m);
    int t = -1;
    int slot = -1;
    if ((mflags[m] & SENT) != 0) {
      if (d >= 0) {
        t = triple(m, u, d);
      } else {
        slot = recipSlot(m, u);
      }
    }
    int st;
    Triple side = null;
    if (t >= 0) {
      st = tripleState[t];
    } else if (slot >= 0) {
      st = recipState[slot];
    } else {
      side = new Triple(m, u, d);
      mflags[m] |= EARLY_RECEIPT;
      st = sideState.getOrDefault(side, 0);
    }
    int next;
    if (state == FAILED) {
      receiptsFailed++; // reported, and it resolves its subject; no part in the three receipt checks
      next = st | RESOLVED;
    } else {
      boolean received = t >= 0 ? recv[t] != 0 : slot >= 0 ? (st & RECEIVED) != 0 : receivedUnaddressed(m, u, d);
      int rank = st & RANK;
      boolean deliveredSeen = (st & DELIVERED_SEEN) != 0;
      if (state == DELIVERED && !received) {
        falseDelivered++;
        example(falseDeliveredExamples, receiptExample(m, u, d, state, index));
      }
      if (state == READ && !received && !deliveredSeen) {
        readBeforeDelivered++;
        example(readBeforeExamples, receiptExample(m, u, d, state, index));
      }
      if (state < rank) {
        regressed++;
        ObjectNode ex = receiptExample(m, u, d, state, index);
        ex.put("after", STATE[rank]);
        example(regressedExamples, ex);
      }
      next = (st & ~RANK) | Math.max(rank, state) | (state == DELIVERED ? DELIVERED_SEEN : 0)
          | (state >= DELIVERED ? RESOLVED : 0);
    }
    if (t >= 0) {
      tripleState[t] = (byte) next;
    } else if (slot >= 0) {
      recipState[slot] = (byte) next;
    } else {
      sideState.put(side, next);
    }
  }

  /**
   * Whether subject (m, u, d) of a receipt that is not addressed was received before: a receive of
   * that device, or for a recipient subject (d -1) a receive by one of u's roster devices.
   */
  private boolean receivedUnaddressed(int m, int u, int d) {
    List<long[]> e = early.get(m);
    if (e != null) {
      for (long[] r : e) {
        if (r[0] == u && (d < 0 ? deviceSlot(u, (int) r[1]) >= 0 : r[1] == d)) {
          return true;
        }
      }
    }
    return d >= 0 ? misrouted.contains(new Triple(m, u, d)) : misroutedRecipients.contains((long) m << 32 | u);
  }

  // ---- the verdict -------------------------------------------------------------------------

  CheckResult finish(long ops, GuaranteeChoice choice) {
    GuaranteeChoice.Resolved resolved = choice.resolve(claimedGuarantee);
    if (resolved == null) {
      throw new MissingGuaranteeException("no guarantee to judge against: none was given, the history has no"
          + " system op naming one" + (choice.fallbackSource() == null ? "" : ", and " + choice.fallbackSource()
          + " names none"));
    }
    Guarantee guarantee = resolved.guarantee();
    List<String> notes = new ArrayList<>();
    if (claimedGuarantee != null && claimedGuarantee != guarantee) {
      notes.add("judged against " + guarantee.wire() + " (" + resolved.source() + "), though the system op claims "
          + claimedGuarantee.wire());
    }
    long openSends = 0;
    for (int p = 0; p < openMsg.length; p++) {
      if (openMsg[p] != 0) {
        mflags[openMsg[p] - 1] |= INFO;
        openSends++;
      }
    }
    if (openSends > 0) {
      notes.add(openSends + " send invocation(s) still open at the end of the history: counted as info");
    }
    boolean lossJudged = drainedIndex >= 0 && healed;
    if (!earlyWitnesses.isEmpty()) {
      reorderedAfterEarlyReceives();
    }
    long sent = 0, sentOk = 0, sentFail = 0, sentInfo = 0, owed = 0, delivered = 0, lost = 0;
    long undelivered = 0, recovered = 0, resurrected = 0, unexpected = 0, unresolved = 0;
    List<ObjectNode> lostEx = new ArrayList<>();
    List<ObjectNode> undeliveredEx = new ArrayList<>();
    List<ObjectNode> recoveredEx = new ArrayList<>();
    List<ObjectNode> resurrectedEx = new ArrayList<>();
    List<ObjectNode> unexpectedEx = new ArrayList<>();
    List<ObjectNode> unresolvedEx = new ArrayList<>();
    int nMsgs = Math.min(msgs.size(), msgCap);
    for (int m = 0; m < nMsgs; m++) {
      int fl = mflags[m];
      if ((fl & SENT) == 0) {
        if ((fl & EARLY) != 0) {
          Set<Triple> distinct = new HashSet<>();
          for (long[] r : early.get(m)) {
            if (distinct.add(new Triple(m, (int) r[0], (int) r[1]))) {
              unexpected++;
              example(unexpectedEx, triple(m, (int) r[0], (int) r[1], null));
            }
          }
        }
        continue;
      }
      sent++;
      int kind = (fl & OK) != 0 ? OK : (fl & INFO) != 0 ? INFO : FAIL;
      if (kind == OK) {
        sentOk++;
      } else if (kind == INFO) {
        sentInfo++;
      } else {
        sentFail++;
      }
      int t = tripleBase[m];
      for (int j = recipBase[m], endJ = j + nRecips[m]; j < endJ; j++) {
        int u = recipUser[j];
        for (int d : roster[u]) {
          boolean got = recv[t] != 0;
          if (kind == OK) {
            owed++;
            if (got) {
              delivered++;
            } else if (lossJudged) {
              lost++;
              example(lostEx, triple(m, u, d, null));
            } else {
              undelivered++;
              example(undeliveredEx, triple(m, u, d, null));
            }
            if (lossJudged && ((tripleState[t] | recipState[j]) & RESOLVED) == 0) {
              unresolved++;
              example(unresolvedEx, triple(m, u, d, null));
            }
          } else if (got && kind == INFO) {
            recovered++;
            example(recoveredEx, triple(m, u, d, null));
          } else if (got) {
            resurrected++;
            example(resurrectedEx, triple(m, u, d, null));
          }
          t++;
        }
      }
    }
    Map<String, Long> counts = new LinkedHashMap<>();
    counts.put("sent", sent);
    counts.put("sent_ok", sentOk);
    counts.put("sent_fail", sentFail);
    counts.put("sent_info", sentInfo);
    counts.put("owed", owed);
    counts.put("delivered", delivered);
    counts.put("lost", lost);
    counts.put("undelivered", undelivered);
    counts.put("duplicated", duplicated);
    counts.put("duplicate_effects", duplicateEffects);
    counts.put("unexpected", unexpected);
    counts.put("recovered", recovered);
    counts.put("resurrected", resurrected);
    counts.put("misrouted", (long) misrouted.size());
    counts.put("false_delivered", falseDelivered);
    counts.put("read_before_delivered", readBeforeDelivered);
    counts.put("regressed", regressed);
    counts.put("unresolved", unresolved);
    counts.put("reordered", reordered);
    counts.put("harness_errors", harnessErrors);
    counts.put("receives", receives);
    counts.put("receipts", receipts);
    counts.put("receipts_failed", receiptsFailed);
    counts.put("open_sends_at_end", openSends);
    counts.put("ops", ops);

    Map<String, List<ObjectNode>> examples = new LinkedHashMap<>();
    putExamples(examples, "lost", lostEx);
    putExamples(examples, "undelivered", undeliveredEx);
    List<ObjectNode> dup = new ArrayList<>();
    for (long[] e : dupExamples.values()) {
      ObjectNode x = triple((int) e[0], (int) e[1], (int) e[2], null);
      x.put("receives", e[3]);
      dup.add(x);
    }
    putExamples(examples, "duplicated", dup);
    putExamples(examples, "unexpected", unexpectedEx);
    putExamples(examples, "recovered", recoveredEx);
    putExamples(examples, "resurrected", resurrectedEx);
    putExamples(examples, "misrouted", misroutedExamples);
    putExamples(examples, "false_delivered", falseDeliveredExamples);
    putExamples(examples, "read_before_delivered", readBeforeExamples);
    putExamples(examples, "regressed", regressedExamples);
    putExamples(examples, "unresolved", unresolvedEx);
    putExamples(examples, "reordered", reorderedExamples);
    putExamples(examples, "harness_errors", harnessErrorExamples);

    List<String> violations = new ArrayList<>();
    for (String k : forbidden(guarantee, claimsReceipts, claimsOrder)) {
      if (counts.get(k) > 0) {
        violations.add(k);
      }
    }
    Validity valid;
    if (!violations.isEmpty()) {
      valid = Validity.INVALID;
    } else if (sentOk == 0) {
      valid = Validity.UNKNOWN;
      notes.add("no send completed ok: nothing was acknowledged, so the history proves nothing");
    } else if (owed == 0) {
      valid = Validity.UNKNOWN;
      notes.add("nothing was owed (no recipient of an acknowledged send has a device in the roster), so the"
          + " history proves nothing");
    } else if (guarantee.forbidsLoss() && !lossJudged) {
      valid = Validity.UNKNOWN;
      notes.add(notJudged() + ", so loss is not judged (" + undelivered + " owed triple(s) undelivered)");
    } else {
      valid = Validity.VALID;
    }
    if (!lossJudged && (valid != Validity.UNKNOWN || !guarantee.forbidsLoss())) {
      notes.add(notJudged() + ": loss and unresolved are not judged (" + undelivered + " owed triple(s) undelivered)");
    }
    if (sendsWithoutFrom > 0) {
      notes.add(sendsWithoutFrom + " message(s) name no sender (from): they take no part in reordered");
    }
    ObjectNode latency = JsonNodeFactory.instance.objectNode();
    latency.set("accept", latency(acceptNs));
    latency.set("deliver", latency(deliverNs));
    return new CheckResult(valid, guarantee, resolved.source(), system, lossJudged ? "judged" : "unknown", counts,
        violations, examples, latency, notes);
  }

  private String notJudged() {
    return drainedIndex < 0 ? "the history does not end with drained: the run did not wait for delivery"
        : "drained says healed: false (some fault could not be undone), so the run is judged as not drained";
  }

  /**
   * The reordered triples only a receive recorded before its message's first send can show
   * (HISTORY.md's order is the history's: that receive still counts where it stands): a triple
   * of message a first received after such a receive of b on the same device, where a's first ok
   * came before b's first send. Run once, at the end, over the triples received since then.
   */
  private void reorderedAfterEarlyReceives() {
    Map<Long, List<long[]>> byPair = new HashMap<>();
    for (long[] w : earlyWitnesses) {
      byPair.computeIfAbsent(PairTable.key((int) w[0], (int) w[1]), k -> new ArrayList<>()).add(w);
    }
    int nMsgs = Math.min(msgs.size(), msgCap);
    for (int m = 0; m < nMsgs; m++) {
      if ((mflags[m] & OK) == 0 || from[m] < 0) {
        continue;
      }
      int t = tripleBase[m];
      for (int j = recipBase[m], endJ = j + nRecips[m]; j < endJ; j++) {
        int u = recipUser[j];
        for (int k = 0; k < roster[u].length; k++, t++) {
          if (firstReceive[t] == 0 || (tripleState[t] & REORDERED) != 0) {
            continue;
          }
          List<long[]> ws = byPair.get(PairTable.key(from[m], slotBase[u] + k));
          if (ws == null) {
            continue;
          }
          for (long[] w : ws) {
            if (firstReceive[t] - 1 > w[2] && mtimes[3 * m + 1] < w[3] && m != w[4]) {
              markReordered(t, m, u, roster[u][k], (int) w[4]);
              break;
            }
          }
        }
      }
    }
  }

  /**
   * The count names a guarantee forbids (HISTORY.md, "What each guarantee forbids"), given what the
   * system op claims.
   */
  static List<String> forbidden(Guarantee g, boolean receiptsClaimed, boolean orderClaimed) {
    List<String> f = new ArrayList<>();
    if (g.forbidsLoss()) {
      f.add("lost");
    }
    if (g.forbidsDuplicates()) {
      f.add("duplicated");
    }
    f.addAll(List.of("unexpected", "resurrected", "misrouted", "false_delivered",
        "read_before_delivered", "regressed"));
    if (receiptsClaimed && g.forbidsLoss()) {
      f.add("unresolved");
    }
    if (orderClaimed) {
      f.add("reordered");
    }
    return f;
  }

  private static void putExamples(Map<String, List<ObjectNode>> into, String k, List<ObjectNode> ex) {
    if (!ex.isEmpty()) {
      into.put(k, ex);
    }
  }

  private static ObjectNode latency(Histogram h) {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("count", h.getTotalCount());
    if (h.getTotalCount() == 0) {
      o.putNull("p50");
      o.putNull("p90");
      o.putNull("p99");
      o.putNull("max");
    } else {
      o.put("p50", ms(h.getValueAtPercentile(50)));
      o.put("p90", ms(h.getValueAtPercentile(90)));
      o.put("p99", ms(h.getValueAtPercentile(99)));
      o.put("max", ms(h.getMaxValue()));
    }
    return o;
  }

  private static double ms(long ns) {
    return Math.round(ns / 1000.0) / 1000.0;
  }

  // ---- helpers -----------------------------------------------------------------------------

  /** An earlier op, as error messages name it: "line 12" (JSON Lines) or "index 11" (EDN). */
  String where(long index) {
    return indexesAreLines ? "line " + (index + 1) : "index " + index;
  }

  private static void example(List<ObjectNode> list, ObjectNode x) {
    if (list.size() < DeliveryChecker.EXAMPLE_CAP) {
      list.add(x);
    }
  }

  private ObjectNode triple(int m, int u, int d, ObjectNode into) {
    ObjectNode x = into == null ? JsonNodeFactory.instance.objectNode() : into;
    x.put("id", msgs.name(m));
    x.put("recipient", users.name(u));
    if (d >= 0) {
      x.put("device", devices.name(d));
    }
    return x;
  }

  private ObjectNode receiptExample(int m, int u, int d, int state, long index) {
    ObjectNode x = triple(m, u, d, null);
    x.put("state", STATE[state]);
    x.put("index", index);
    return x;
  }

  private int triplesOf(int m) {
    int n = 0;
    for (int j = recipBase[m], end = j + nRecips[m]; j < end; j++) {
      n += roster[recipUser[j]].length;
    }
    return n;
  }

  /** The addressed triple (m, u, d), or -1; sets {@link #foundSlot} and {@link #foundDevice}. */
  private int triple(int m, int u, int d) {
    int t = tripleBase[m];
    for (int j = recipBase[m], end = j + nRecips[m]; j < end; j++) {
      int x = recipUser[j];
      int[] devs = roster[x];
      if (x == u) {
        for (int k = 0; k < devs.length; k++) {
          if (devs[k] == d) {
            foundSlot = j;
            foundDevice = k;
            return t + k;
          }
        }
        return -1;
      }
      t += devs.length;
    }
    return -1;
  }

  /** The roster slot of device d of user u, or -1 when the roster does not give u that device. */
  private int deviceSlot(int u, int d) {
    if (u >= roster.length || roster[u] == null) {
      return -1;
    }
    int[] devs = roster[u];
    for (int k = 0; k < devs.length; k++) {
      if (devs[k] == d) {
        return slotBase[u] + k;
      }
    }
    return -1;
  }

  private int recipSlot(int m, int u) {
    for (int j = recipBase[m], end = j + nRecips[m]; j < end; j++) {
      if (recipUser[j] == u) {
        return j;
      }
    }
    return -1;
  }

  private static int[] dedupe(int[] a, int n) {
    int[] out = new int[n];
    int k = 0;
    outer:
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < k; j++) {
        if (out[j] == a[i]) {
          continue outer;
        }
      }
      out[k++] = a[i];
    }
    return k == n ? out : Arrays.copyOf(out, k);
  }

  private void ensureMsg(int m) {
    if (m >= msgCap) {
      int n = Math.max(m + 1, Math.max(1024, msgCap * 2));
      mflags = Arrays.copyOf(mflags, n);
      mtimes = Arrays.copyOf(mtimes, 3 * n);
      from = Arrays.copyOf(from, n);
      keyStart = Arrays.copyOf(keyStart, n);
      keyLen = Arrays.copyOf(keyLen, n);
      tripleBase = Arrays.copyOf(tripleBase, n);
      recipBase = Arrays.copyOf(recipBase, n);
      nRecips = Arrays.copyOf(nRecips, n);
      msgCap = n;
    }
  }

  void ensureUser(int u) {
    if (u >= roster.length) {
      int n = Math.max(u + 1, roster.length * 2);
      roster = Arrays.copyOf(roster, n);
      slotBase = Arrays.copyOf(slotBase, n);
    }
  }

  void ensureProc(int p) {
    if (p >= openMsg.length) {
      int n = Math.max(p + 1, openMsg.length * 2);
      openMsg = Arrays.copyOf(openMsg, n);
      openTime = Arrays.copyOf(openTime, n);
    }
  }

  /** Bytes held by the primitive state (array capacities), for the benchmark and the docs. */
  long stateBytes() {
    return msgs.bytes() + users.bytes() + devices.bytes() + processes.bytes()
        + (long) msgCap * (1 + 8 + 8 + 8 + 4 + 4 + 4 + 4 + 4 + 2) + 2L * keyChars.length
        + (long) recipUser.length * 5 + (long) recv.length * 2
        + (firstReceive == null ? 0 : 8L * firstReceive.length) + order.bytes() + openMsg.length * 12L
        + roster.length * 12L;
  }
}
