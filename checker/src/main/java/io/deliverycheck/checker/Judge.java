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
 * reported anyway) use ordinary collections. Callers validate the file format; this class checks
 * the delivery rules and throws {@link IllegalArgumentException} for an op that breaks them (a send
 * before the roster, a second roster).
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
  // receipt subject state: bits 0-1 highest rank, bit 2 a delivered receipt was seen, bit 3 received
  private static final int RANK = 3;
  private static final int DELIVERED_SEEN = 4;
  private static final int RECEIVED = 8;

  private final Guarantee guarantee;
  final IdTable msgs = new IdTable();
  final IdTable users = new IdTable();
  final IdTable devices = new IdTable();
  final IdTable processes = new IdTable();

  private boolean rosterSeen;
  private int[][] roster = new int[16][];
  private boolean drained;

  // per message
  private int msgCap;
  private byte[] mflags = new byte[0];
  private long[] okTime = new long[0];
  private int[] tripleBase = new int[0];
  private int[] recipBase = new int[0];
  private short[] nRecips = new short[0];
  // per addressed recipient of a message
  private int recipCount;
  private int[] recipUser = new int[1024];
  private byte[] recipState = new byte[1024];
  // per addressed triple
  private int tripleCount;
  private byte[] recv = new byte[1024];        // receives, saturating at 255
  private byte[] tripleState = new byte[1024]; // receipt subject state
  // per process: the send it has open (msg + 1, 0 = none)
  private int[] openMsg = new int[64];
  private long[] openTime = new long[64];

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

  // anomalies only
  private final Map<Integer, List<long[]>> early = new HashMap<>();       // msg -> {user, device, time}
  private final Set<Triple> misrouted = new HashSet<>();
  private final Set<Long> misroutedRecipients = new HashSet<>();          // msg << 32 | user
  private final Map<Triple, Integer> sideState = new HashMap<>();         // unaddressed receipt subjects
  private final Map<Integer, long[]> dupExamples = new LinkedHashMap<>(); // triple -> {m, u, d, receives}
  private final List<ObjectNode> misroutedExamples = new ArrayList<>();
  private final List<ObjectNode> falseDeliveredExamples = new ArrayList<>();
  private final List<ObjectNode> readBeforeExamples = new ArrayList<>();
  private final List<ObjectNode> regressedExamples = new ArrayList<>();

  private int foundSlot; // recipient slot of the last triple() lookup

  record Triple(int msg, int user, int device) {}

  Judge(Guarantee guarantee) {
    this.guarantee = guarantee;
  }

  // ---- ops ---------------------------------------------------------------------------------

  /** The roster: {@code devices[i]} of user {@code users[i]}. */
  void roster(int[] userIds, int[][] deviceIds) {
    if (rosterSeen) {
      throw new IllegalArgumentException("a second roster (the roster is recorded once)");
    }
    rosterSeen = true;
    for (int i = 0; i < userIds.length; i++) {
      ensureUser(userIds[i]);
      int[] d = dedupe(deviceIds[i], deviceIds[i].length);
      roster[userIds[i]] = d;
    }
  }

  void drained() {
    drained = true;
  }

  void sendInvoke(int proc, int m, int[] to, int nTo, long time) {
    if (!rosterSeen) {
      throw new IllegalArgumentException("send before the roster (the harness records the roster before any send)");
    }
    ensureMsg(m);
    ensureProc(proc);
    openMsg[proc] = m + 1;
    openTime[proc] = time;
    if ((mflags[m] & SENT) != 0) {
      return; // a retry: the first attempt fixed the recipients
    }
    mflags[m] |= SENT;
    int[] u = dedupe(to, nTo);
    if (u.length > Short.MAX_VALUE) {
      throw new IllegalArgumentException("more than " + Short.MAX_VALUE + " recipients");
    }
    recipBase[m] = recipCount;
    nRecips[m] = (short) u.length;
    tripleBase[m] = tripleCount;
    int triples = 0;
    for (int x : u) {
      ensureUser(x);
      triples += roster[x] == null ? 0 : roster[x].length;
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
    }
    tripleCount += triples;
    if ((mflags[m] & EARLY) != 0) {
      for (long[] r : early.remove(m)) {
        addressedReceive(m, (int) r[0], (int) r[1], r[2]);
      }
    }
    if ((mflags[m] & EARLY_RECEIPT) != 0) {
      // receipts seen before the first send: their subjects now live in the per-triple arrays
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
  }

  void sendComplete(int proc, OpType type, long time) {
    int m = openMsg[proc] - 1;
    openMsg[proc] = 0;
    if (type == OpType.OK) {
      acceptNs.recordValue(Math.max(0, time - openTime[proc]));
      if ((mflags[m] & OK) == 0) {
        mflags[m] |= OK;
        okTime[m] = time;
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

  void receive(int m, int u, int d, long time) {
    receives++;
    ensureMsg(m);
    if ((mflags[m] & SENT) == 0) {
      mflags[m] |= EARLY;
      early.computeIfAbsent(m, k -> new ArrayList<>()).add(new long[] {u, d, time});
      return;
    }
    addressedReceive(m, u, d, time);
  }

  private void addressedReceive(int m, int u, int d, long time) {
    int t = triple(m, u, d);
    if (t < 0) {
      if (misrouted.add(new Triple(m, u, d)) && misroutedExamples.size() < DeliveryChecker.EXAMPLE_CAP) {
        misroutedExamples.add(triple(m, u, d, null));
      }
      misroutedRecipients.add((long) m << 32 | u);
      return;
    }
    int c = recv[t] & 0xff;
    if (c == 0) {
      recipState[foundSlot] |= RECEIVED;
      if ((mflags[m] & OK) != 0) {
        deliverNs.recordValue(Math.max(0, time - okTime[m]));
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

  /** A receipt; {@code d} is -1 when it names no device (it speaks for the recipient). */
  void receipt(int m, int u, int d, int state, long index) {
    receipts++;
    if (state == FAILED) {
      receiptsFailed++;
      return;
    }
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
    boolean received;
    Triple side = null;
    if (t >= 0) {
      st = tripleState[t];
      received = recv[t] != 0;
    } else if (slot >= 0) {
      st = recipState[slot];
      received = (st & RECEIVED) != 0;
    } else {
      side = new Triple(m, u, d);
      mflags[m] |= EARLY_RECEIPT;
      st = sideState.getOrDefault(side, 0);
      received = receivedUnaddressed(m, u, d);
    }
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
    int next = (st & ~RANK) | Math.max(rank, state) | (state == DELIVERED ? DELIVERED_SEEN : 0);
    if (t >= 0) {
      tripleState[t] = (byte) next;
    } else if (slot >= 0) {
      recipState[slot] = (byte) next;
    } else {
      sideState.put(side, next);
    }
  }

  private boolean receivedUnaddressed(int m, int u, int d) {
    List<long[]> e = early.get(m);
    if (e != null) {
      for (long[] r : e) {
        if (r[0] == u && (d < 0 || r[1] == d)) {
          return true;
        }
      }
    }
    return d >= 0 ? misrouted.contains(new Triple(m, u, d)) : misroutedRecipients.contains((long) m << 32 | u);
  }

  // ---- the verdict -------------------------------------------------------------------------

  CheckResult finish(long ops, List<String> extraNotes) {
    List<String> notes = new ArrayList<>();
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
    long sent = 0, sentOk = 0, sentFail = 0, sentInfo = 0, owed = 0, delivered = 0, lost = 0;
    long undelivered = 0, recovered = 0, resurrected = 0, unexpected = 0;
    List<ObjectNode> lostEx = new ArrayList<>();
    List<ObjectNode> undeliveredEx = new ArrayList<>();
    List<ObjectNode> recoveredEx = new ArrayList<>();
    List<ObjectNode> resurrectedEx = new ArrayList<>();
    List<ObjectNode> unexpectedEx = new ArrayList<>();
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
        int[] devs = roster[u] == null ? new int[0] : roster[u];
        for (int d : devs) {
          boolean got = recv[t++] != 0;
          if (kind == OK) {
            owed++;
            if (got) {
              delivered++;
            } else if (drained) {
              lost++;
              example(lostEx, triple(m, u, d, null));
            } else {
              undelivered++;
              example(undeliveredEx, triple(m, u, d, null));
            }
          } else if (got && kind == INFO) {
            recovered++;
            example(recoveredEx, triple(m, u, d, null));
          } else if (got) {
            resurrected++;
            example(resurrectedEx, triple(m, u, d, null));
          }
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

    List<String> violations = new ArrayList<>();
    for (String k : forbidden(guarantee)) {
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
    } else if (guarantee.forbidsLoss() && !drained) {
      valid = Validity.UNKNOWN;
      notes.add("the history does not end with drained: the run did not wait for delivery, so loss is not judged ("
          + undelivered + " owed triple(s) undelivered)");
    } else {
      valid = Validity.VALID;
    }
    notes.addAll(extraNotes);
    ObjectNode latency = JsonNodeFactory.instance.objectNode();
    latency.set("accept", latency(acceptNs));
    latency.set("deliver", latency(deliverNs));
    return new CheckResult(valid, guarantee, drained ? "judged" : "unknown", counts, violations,
        examples, latency, notes);
  }

  /** The count names a guarantee forbids (HISTORY.md, "What each guarantee forbids"). */
  static List<String> forbidden(Guarantee g) {
    List<String> f = new ArrayList<>();
    if (g.forbidsLoss()) {
      f.add("lost");
    }
    if (g.forbidsDuplicates()) {
      f.add("duplicated");
    }
    f.addAll(List.of("unexpected", "resurrected", "misrouted", "false_delivered",
        "read_before_delivered", "regressed"));
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
      int[] devs = roster[recipUser[j]];
      n += devs == null ? 0 : devs.length;
    }
    return n;
  }

  /** The addressed triple (m, u, d), or -1; sets {@link #foundSlot}. */
  private int triple(int m, int u, int d) {
    int t = tripleBase[m];
    for (int j = recipBase[m], end = j + nRecips[m]; j < end; j++) {
      int x = recipUser[j];
      int[] devs = roster[x];
      if (x == u) {
        if (devs != null) {
          for (int k = 0; k < devs.length; k++) {
            if (devs[k] == d) {
              foundSlot = j;
              return t + k;
            }
          }
        }
        return -1;
      }
      t += devs == null ? 0 : devs.length;
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
      okTime = Arrays.copyOf(okTime, n);
      tripleBase = Arrays.copyOf(tripleBase, n);
      recipBase = Arrays.copyOf(recipBase, n);
      nRecips = Arrays.copyOf(nRecips, n);
      msgCap = n;
    }
  }

  private void ensureUser(int u) {
    if (u >= roster.length) {
      roster = Arrays.copyOf(roster, Math.max(u + 1, roster.length * 2));
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
        + (long) msgCap * (1 + 8 + 4 + 4 + 2)
        + (long) recipUser.length * 5 + (long) recv.length * 2 + openMsg.length * 12L;
  }
}
