package io.deliverycheck.checker;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.zip.GZIPOutputStream;

/**
 * Generates a realistic synthetic history from a seed, for the checker's benchmark and its
 * randomized test: a roster of users with one to three devices, senders that send one message at
 * a time (mostly accepted at once; some {@code fail} then retried, some {@code info} then retried
 * with the same id and key, some {@code info} never retried and delivered anyway, some refused for
 * good), devices that receive, ack and sometimes read, receipts to the senders (with and without a
 * device; {@code failed} for half of the lost triples), nemesis ops, optionally a {@code system}
 * op, and a final {@code drained}. Each sender process is one user ({@code from}) sending one
 * message at a time, and each device gets a sender's messages in the order they were sent, so
 * nothing is reordered unless planted. It plants exactly the requested numbers of lost,
 * duplicated, unexpected, misrouted, reordered and unresolved triples and of harness errors, and
 * returns the counts the checker must find. The same seed and sizes give the same file.
 */
public final class SyntheticHistory {
  /**
   * What to generate.
   *
   * @param ops about this many ops (the last message's ops and the planted anomalies may add a few)
   */
  public record Config(long seed, long ops, int users, int senders, int lost, int duplicated,
                       int unexpected, int misrouted, boolean drained, int reordered, int unresolved,
                       int harnessErrors, boolean healed, boolean system) {
    /** The anomalies of contract v1 only: no reordered, unresolved or harness errors, no system op. */
    public Config(long seed, long ops, int users, int senders, int lost, int duplicated, int unexpected,
        int misrouted, boolean drained) {
      this(seed, ops, users, senders, lost, duplicated, unexpected, misrouted, drained, 0, 0, 0, true, false);
    }

    /** A realistic history of about {@code ops} ops without planted anomalies. */
    public static Config realistic(long seed, long ops) {
      return new Config(seed, ops, 2000, 32, 0, 0, 0, 0, true);
    }
  }

  /** The counts the checker must report for the generated history (HISTORY.md names). */
  public record Expected(long ops, long sent, long sentOk, long sentFail, long sentInfo, long owed,
                         long delivered, long lost, long duplicated, long unexpected, long misrouted,
                         long recovered, long resurrected, long reordered, long unresolved,
                         long harnessErrors, long receiptsFailed) {}

  private static final String[] DEVICES = {"phone", "laptop", "tablet"};
  private static final String[] NODES = {"n1", "n2", "n3"};
  private static final int LOST = 0;
  private static final int DUP = 1;
  private static final int UNEXPECTED = 2;
  private static final int MISROUTED = 3;
  private static final int REORDERED = 4;
  private static final int UNRESOLVED = 5;
  private static final int KINDS = 6;

  private final Config c;
  private final SplittableRandom rnd;
  private final Writer out;
  private final StringBuilder sb = new StringBuilder(512);
  private final PriorityQueue<Event> events = new PriorityQueue<>();
  private final String[][] roster;
  private final int[] remaining;
  private long seq;
  private long index;
  private long msgs;
  private long sent, sentOk, sentFail, sentInfo, owed, delivered, lost, duplicated, unexpected;
  private long misrouted, recovered, reordered, unresolved, harnessErrors, receiptsFailed;
  private int harnessLeft;
  private long[] held; // a planted reordered triple: {user, device} of heldMsg, received late
  private Msg heldMsg;
  private final int[] slotBase;  // the first device slot of each user
  private final long[] lastFirst; // per (sender, device slot): time of the latest first receive scheduled

  /** One or more consecutive lines of one process at one time. */
  private record Event(long time, long seq, int kind, Msg msg, int user, int device, String state)
      implements Comparable<Event> {
    @Override
    public int compareTo(Event o) {
      return time != o.time ? Long.compare(time, o.time) : Long.compare(seq, o.seq);
    }
  }

  private static final int E_INVOKE = 0;
  private static final int E_OK = 1;
  private static final int E_FAIL = 2;
  private static final int E_INFO = 3;
  private static final int E_RECEIVE = 4; // receive, ack invoke, ack ok
  private static final int E_RECEIPT = 5;
  private static final int E_READ = 6;
  private static final int E_NEMESIS = 7;

  private static final class Msg {
    String id;
    int sender;
    int from;
    int[] to;
    int attempt;
    String node;
  }

  private SyntheticHistory(Config c, Writer out) {
    this.c = c;
    this.rnd = new SplittableRandom(c.seed());
    this.out = out;
    this.roster = new String[c.users()][];
    for (int u = 0; u < c.users(); u++) {
      int n = 1 + rnd.nextInt(3);
      roster[u] = java.util.Arrays.copyOf(DEVICES, n);
    }
    this.remaining = new int[] {c.lost(), c.duplicated(), c.unexpected(), c.misrouted(), c.reordered(),
        c.unresolved()};
    this.harnessLeft = c.harnessErrors();
    this.slotBase = new int[c.users()];
    int slots = 0;
    for (int u = 0; u < c.users(); u++) {
      slotBase[u] = slots;
      slots += roster[u].length;
    }
    this.lastFirst = new long[c.senders() * slots];
  }

  /** Writes the history to {@code file} (gzip when the name ends in .gz). */
  public static Expected write(Path file, Config c) throws IOException {
    if (c.users() < 4 || c.senders() < 1 || c.senders() > c.users()) {
      throw new IllegalArgumentException("at least 4 users and 1 sender, and no more senders than users");
    }
    OutputStream os = Files.newOutputStream(file);
    if (file.getFileName().toString().endsWith(".gz")) {
      os = new GZIPOutputStream(os, 1 << 16);
    }
    try (Writer w = new BufferedWriter(new OutputStreamWriter(os, StandardCharsets.UTF_8), 1 << 20)) {
      return new SyntheticHistory(c, w).run();
    }
  }

  private Expected run() throws IOException {
    writeRoster();
    if (c.system()) {
      line(0, "harness", "info", "system", "{\"name\":\"synthetic\",\"version\":\"2\",\"guarantee\":\"exactly-once\","
          + "\"receipts\":true,\"order\":\"per-sender\",\"settings\":{\"senders\":" + c.senders() + "}}", null);
    }
    long[] clock = new long[c.senders()];
    for (int s = 0; s < clock.length; s++) {
      clock[s] = 1_000_000L + rnd.nextLong(2_000_000L);
    }
    long anomalies = 0;
    for (int k : remaining) {
      anomalies += k;
    }
    long estMsgs = Math.max(1, c.ops() / 12);
    long nextNemesis = 500_000_000L;
    boolean partitioned = false;
    while (index + events.size() * 2L < c.ops()) {
      int s = 0;
      for (int k = 1; k < clock.length; k++) {
        if (clock[k] < clock[s]) {
          s = k;
        }
      }
      long now = clock[s];
      drainUntil(now);
      if (now >= nextNemesis) {
        events.add(new Event(now, seq++, E_NEMESIS, null, partitioned ? 0 : 1, 0, null));
        partitioned = !partitioned;
        nextNemesis = now + 500_000_000L + rnd.nextLong(1_000_000_000L);
      }
      int anomaly = -1;
      if (anomalies > 0 && rnd.nextLong(Math.max(1, estMsgs / (2 * anomalies))) == 0) {
        anomaly = pickAnomaly();
        if (anomaly >= 0) {
          anomalies--;
        }
      }
      clock[s] = message(s, now, anomaly);
    }
    long end = events.isEmpty() ? 0 : events.stream().mapToLong(Event::time).max().getAsLong();
    for (int s = 0; s < clock.length; s++) {
      end = Math.max(end, clock[s]);
    }
    int a;
    while ((a = pickAnomaly()) >= 0) {
      end = message(0, end + 1_000_000L, a) + 1;
    }
    drainUntil(Long.MAX_VALUE);
    if (partitioned) {
      events.add(new Event(end, seq++, E_NEMESIS, null, 0, 0, null));
      drainUntil(Long.MAX_VALUE);
    }
    while (harnessLeft > 0) {
      harnessLeft--;
      harnessErrors++;
      line(end + 1_000_000_000L, "harness", "info", "error", "{\"what\":\"node\",\"message\":\"n2 never became healthy\"}",
          null);
    }
    if (c.drained()) {
      line(end + 5_000_000_000L, "harness", "info", "drained", "{\"quiet_ms\":5000,\"healed\":" + c.healed() + "}", null);
    }
    out.flush();
    return new Expected(index, sent, sentOk, sentFail, sentInfo, owed, delivered, lost, duplicated,
        unexpected, misrouted, recovered, 0, reordered, unresolved, harnessErrors, receiptsFailed);
  }

  private int pickAnomaly() {
    int total = 0;
    for (int k : remaining) {
      total += k;
    }
    if (total == 0) {
      return -1;
    }
    int r = rnd.nextInt(total);
    for (int k = 0; k < KINDS; k++) {
      if (r < remaining[k]) {
        remaining[k]--;
        return k;
      }
      r -= remaining[k];
    }
    throw new AssertionError();
  }

  /** Generates one message of sender {@code s} starting at {@code t}; returns the sender's next free time. */
  private long message(int s, long t, int anomaly) throws IOException {
    return message(s, t, anomaly, -1);
  }

  /**
   * One message; {@code forceTo} >= 0: to that user only, accepted at once (the overtaking message
   * of a planted reordered pair).
   */
  private long message(int s, long t, int anomaly, int forceTo) throws IOException {
    if (anomaly == UNEXPECTED) {
      int u = rnd.nextInt(c.users());
      Msg ghost = new Msg();
      ghost.id = "ghost" + (unexpected++);
      ghost.node = NODES[rnd.nextInt(3)];
      events.add(new Event(t + 3_000_000L, seq++, E_RECEIVE, ghost, u, 0, null));
      return t + 1_000L;
    }
    Msg m = new Msg();
    long n = msgs++;
    m.id = "m" + n;
    m.sender = s;
    m.from = s; // each sender process is one user
    int fan = rnd.nextInt(10) == 0 ? 2 + rnd.nextInt(2) : 1;
    if (anomaly == MISROUTED || anomaly == REORDERED || forceTo >= 0) {
      fan = 1;
    }
    m.to = new int[fan];
    for (int i = 0; i < fan; i++) {
      int u;
      boolean again;
      do {
        u = forceTo >= 0 ? forceTo : rnd.nextInt(c.users());
        again = u == m.from;
        for (int j = 0; j < i; j++) {
          again |= m.to[j] == u;
        }
      } while (again);
      m.to[i] = u;
    }
    m.node = NODES[rnd.nextInt(3)];
    sent++;
    // the sender's side: 92% accepted at once, 3% fail then ok, 2% info then ok (retry, same id
    // and key), 1.5% info never retried (delivered half the time), 1.5% refused for good.
    int r = anomaly >= 0 || forceTo >= 0 ? 0 : rnd.nextInt(1000);
    long time = t;
    int outcome; // OK, INFO (not retried), FAIL (for good)
    m.attempt = 1;
    if (r < 920) {
      time = attempt(m, time, E_OK);
      outcome = E_OK;
    } else if (r < 950) {
      time = attempt(m, time, E_FAIL) + 10_000_000L;
      m.attempt = 2;
      time = attempt(m, time, E_OK);
      outcome = E_OK;
    } else if (r < 970) {
      time = attempt(m, time, E_INFO) + 10_000_000L;
      m.attempt = 2;
      time = attempt(m, time, E_OK);
      outcome = E_OK;
    } else if (r < 985) {
      time = attempt(m, time, E_INFO);
      outcome = E_INFO;
    } else {
      time = attempt(m, time, E_FAIL);
      outcome = E_FAIL;
    }
    boolean deliver = outcome == E_OK || outcome == E_INFO && rnd.nextBoolean();
    if (outcome == E_OK) {
      sentOk++;
    } else if (outcome == E_INFO) {
      sentInfo++;
    } else {
      sentFail++;
    }
    long okAt = time;
    int lostPick = -1;
    int dupPick = -1;
    int unresolvedPick = -1;
    int triples = 0;
    for (int u : m.to) {
      triples += roster[u].length;
    }
    if (anomaly == LOST) {
      lostPick = rnd.nextInt(triples);
    } else if (anomaly == DUP) {
      dupPick = rnd.nextInt(triples);
    } else if (anomaly == UNRESOLVED) {
      unresolvedPick = rnd.nextInt(triples);
    }
    int k = 0;
    for (int u : m.to) {
      if (outcome == E_OK && rnd.nextInt(4) == 0) {
        events.add(new Event(okAt + 100_000L, seq++, E_RECEIPT, m, u, -1, "accepted"));
      }
      long lastDelivered = -1;
      int lostUnresolved = 0;
      boolean quiet = false; // no receipt for the recipient: it would resolve the planted unresolved triple
      for (int d = 0; d < roster[u].length; d++, k++) {
        if (outcome == E_OK) {
          owed++;
        }
        if (!deliver || k == lostPick) {
          if (k == lostPick) {
            lost++;
            if (rnd.nextBoolean()) { // the system gave up on it and said so: lost, but resolved
              receiptsFailed++;
              events.add(new Event(okAt + 1_000_000_000L, seq++, E_RECEIPT, m, u, d, "failed"));
            } else {
              lostUnresolved++;
            }
          }
          continue;
        }
        if (outcome == E_OK) {
          delivered++;
        } else {
          recovered++;
        }
        if (anomaly == REORDERED && d == 0) {
          held = new long[] {u, d};
          heldMsg = m;
          continue; // received after the sender's next message: see below
        }
        long at = (outcome == E_OK ? okAt : t) + 500_000L
            + (long) (rnd.nextDouble() * rnd.nextDouble() * 20_000_000L);
        at = firstReceive(s, u, d, at);
        events.add(new Event(at, seq++, E_RECEIVE, m, u, d, null));
        if (k == dupPick) {
          duplicated++;
          events.add(new Event(at + 50_000_000L + rnd.nextLong(100_000_000L), seq++, E_RECEIVE, m, u, d, null));
        }
        if (k == unresolvedPick) {
          unresolved++;
          quiet = true;
          continue; // the sender is never told
        }
        lastDelivered = Math.max(lastDelivered, receipts(m, u, d, at));
      }
      if (lastDelivered >= 0 && !quiet && rnd.nextInt(3) == 0) {
        events.add(new Event(lastDelivered + 100_000L, seq++, E_RECEIPT, m, u, -1, "delivered"));
      } else {
        unresolved += lostUnresolved;
      }
    }
    if (anomaly == MISROUTED) {
      int other;
      do {
        other = rnd.nextInt(c.users());
      } while (other == m.to[0]);
      misrouted++;
      int d = rnd.nextInt(roster[other].length);
      events.add(new Event(firstReceive(s, other, d, t + 2_000_000L), seq++, E_RECEIVE, m, other, d, null));
    }
    long next = time + 100_000L + rnd.nextLong(c.senders() * 400_000L);
    if (anomaly == REORDERED) {
      // the sender's next message, accepted after this one was, overtakes it on the held device
      Msg a = heldMsg;
      int u = (int) held[0];
      int d = (int) held[1];
      next = message(s, next, -1, u);
      reordered++;
      long at = firstReceive(s, u, d, lastFirst[slot(s, u, d)] + 1_000_000L);
      events.add(new Event(at, seq++, E_RECEIVE, a, u, d, null));
      receipts(a, u, d, at);
    }
    return next;
  }

  /**
   * The time of a first receive by device d of user u of sender s's next message: {@code at}, or
   * just after the latest one already scheduled, so that each device gets a sender's messages in
   * the order they were sent (none is reordered unless planted).
   */
  private long firstReceive(int s, int u, int d, long at) {
    int i = slot(s, u, d);
    long t = Math.max(at, lastFirst[i] + 1_000L);
    lastFirst[i] = t;
    return t;
  }

  private int slot(int s, int u, int d) {
    return s * (lastFirst.length / c.senders()) + slotBase[u] + d;
  }

  /** The delivered receipt of a received triple, sometimes a read and its receipt; returns the delivered receipt's time. */
  private long receipts(Msg m, int u, int d, long at) {
    long rcpt = at + 200_000L + rnd.nextLong(2_000_000L);
    events.add(new Event(rcpt, seq++, E_RECEIPT, m, u, d, "delivered"));
    if (rnd.nextInt(5) == 0) {
      long rd = at + 10_000_000L + rnd.nextLong(100_000_000L);
      events.add(new Event(rd, seq++, E_READ, m, u, d, null));
      events.add(new Event(rd + 300_000L, seq++, E_RECEIPT, m, u, d, "read"));
    }
    return rcpt;
  }

  /** One send attempt: invoke at {@code t}, the completion later; returns the completion time. */
  private long attempt(Msg m, long t, int completion) {
    events.add(new Event(t, seq++, E_INVOKE, m, 0, 0, null));
    long lat = 300_000L + (long) (rnd.nextDouble() * rnd.nextDouble() * 5_000_000L);
    if (rnd.nextInt(200) == 0) {
      lat += 50_000_000L;
    }
    if (completion == E_INFO) {
      lat = 1_000_000_000L; // a client timeout
    }
    events.add(new Event(t + lat, seq++, completion, m, 0, 0, null));
    return t + lat;
  }

  private void drainUntil(long t) throws IOException {
    Event e;
    while ((e = events.peek()) != null && e.time() <= t) {
      events.poll();
      render(e);
    }
  }

  private void render(Event e) throws IOException {
    Msg m = e.msg();
    switch (e.kind()) {
      case E_INVOKE: case E_OK: case E_FAIL: case E_INFO: {
        String type = e.kind() == E_INVOKE ? "invoke" : e.kind() == E_OK ? "ok" : e.kind() == E_FAIL ? "fail" : "info";
        StringBuilder v = new StringBuilder(96).append("{\"id\":\"").append(m.id).append("\",\"key\":\"k")
            .append(m.id, 1, m.id.length()).append("\",\"from\":\"u").append(m.from).append("\",\"to\":[");
        for (int i = 0; i < m.to.length; i++) {
          v.append(i == 0 ? "\"u" : ",\"u").append(m.to[i]).append('"');
        }
        v.append("],\"attempt\":").append(m.attempt).append('}');
        String err = e.kind() == E_FAIL ? "503 not committed" : e.kind() == E_INFO ? "timeout" : null;
        line(e.time(), "c" + m.sender, type, "send", v.toString(), err);
        break;
      }
      case E_RECEIVE: {
        String dev = roster[e.user()][e.device()];
        String proc = "d:u" + e.user() + "/" + dev;
        String v = "{\"id\":\"" + m.id + "\",\"recipient\":\"u" + e.user() + "\",\"device\":\"" + dev + "\"}";
        line(e.time(), proc, "ok", "receive", v, null);
        line(e.time() + 10_000L, proc, "invoke", "ack", v, null);
        line(e.time() + 400_000L, proc, "ok", "ack", v, null);
        break;
      }
      case E_READ: {
        String dev = roster[e.user()][e.device()];
        String proc = "d:u" + e.user() + "/" + dev;
        String v = "{\"id\":\"" + m.id + "\",\"recipient\":\"u" + e.user() + "\",\"device\":\"" + dev + "\"}";
        line(e.time(), proc, "invoke", "read", v, null);
        line(e.time() + 300_000L, proc, "ok", "read", v, null);
        break;
      }
      case E_RECEIPT: {
        String v = "{\"id\":\"" + m.id + "\",\"recipient\":\"u" + e.user() + "\""
            + (e.device() >= 0 ? ",\"device\":\"" + roster[e.user()][e.device()] + "\"" : "")
            + ",\"state\":\"" + e.state() + "\"}";
        line(e.time(), "c" + m.sender, "ok", "receipt", v, null);
        break;
      }
      case E_NEMESIS: {
        String error = null;
        if (harnessLeft > 0 && rnd.nextBoolean()) { // a fault the harness could not apply
          harnessLeft--;
          harnessErrors++;
          error = "iptables: permission denied";
        }
        if (e.user() == 1) {
          line(e.time(), "nemesis", "info", "start-partition", "{\"partition\":[[\"n1\"],[\"n2\",\"n3\"]]}", error);
        } else {
          line(e.time(), "nemesis", "info", "stop-partition", "{}", error);
        }
        break;
      }
      default:
        throw new AssertionError(e);
    }
  }

  private void writeRoster() throws IOException {
    StringBuilder v = new StringBuilder().append('{');
    for (int u = 0; u < roster.length; u++) {
      v.append(u == 0 ? "\"u" : ",\"u").append(u).append("\":[");
      for (int d = 0; d < roster[u].length; d++) {
        v.append(d == 0 ? "\"" : ",\"").append(roster[u][d]).append('"');
      }
      v.append(']');
    }
    v.append('}');
    line(0, "harness", "info", "roster", v.toString(), null);
  }

  private long lastTime;

  private void line(long time, String process, String type, String f, String value, String error)
      throws IOException {
    lastTime = Math.max(lastTime, time); // times never go back along the index, as with the recorder
    sb.setLength(0);
    sb.append("{\"index\":").append(index++).append(",\"time\":").append(lastTime)
        .append(",\"process\":\"").append(process).append("\",\"type\":\"").append(type)
        .append("\",\"f\":\"").append(f).append("\",\"value\":").append(value);
    if (process.charAt(0) == 'c') {
      sb.append(",\"node\":\"n").append(1 + (int) (index % 3)).append('"');
    }
    if (error != null) {
      sb.append(",\"error\":\"").append(error).append('"');
    }
    sb.append("}\n");
    out.append(sb);
  }
}
