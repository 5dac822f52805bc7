package io.deliverycheck.node;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Device sockets connected to this node ({@code /devices/{user}/{device}}), and what was pushed on
 * each: the attempt numbers (to count duplicate attempts) and push times (for ack latency).
 *
 * <p>Flow control (when {@code window > 0}): at most {@code window} pushes per device socket await
 * an ack at once. A push written less than one ack timeout ago and not acked yet is <em>in
 * flight</em>; older ones count as timed out and free their slot. A push beyond the window is
 * <em>held</em> here (once per message: a later attempt of a held message only raises its attempt
 * number) and written when an ack or a timeout frees a slot ({@link #pump}). A retry of a message
 * still in flight on this socket is not written again (the device has it, or is about to). A push
 * of an attempt already pushed or held (two claims of one row: only a node without leases does that)
 * bypasses all this and is written, so such a bug stays visible. Nothing
 * of this is state of record: the row stays pending in the database until the ack commits, and a
 * held push of a socket that closes is simply dropped (the row comes due again). Event-loop confined.
 */
final class Gateway {
  /** One connected device. */
  static final class Device {
    final String user;
    final String device;
    final String conn;
    final ServerWebSocket ws;
    /** msg -> {highest attempt pushed, nanoTime of the latest push, writes on this socket, nanoTime of the first} */
    final Map<String, long[]> pushed = new HashMap<>();
    /** msg -> nanoTime of its latest write: pushes awaiting an ack, oldest first. */
    final LinkedHashMap<String, Long> inFlight = new LinkedHashMap<>();
    /** Pushes waiting for a free slot, in arrival order. */
    final LinkedHashMap<String, Held> held = new LinkedHashMap<>();

    Device(String user, String device, String conn, ServerWebSocket ws) {
      this.user = user;
      this.device = device;
      this.conn = conn;
      this.ws = ws;
    }
  }

  /** A push waiting for a free slot of its device's window. */
  private static final class Held {
    final String msg;
    final String clientId;
    final String from;
    int attempt;
    final Promise<Void> written = Promise.promise();

    Held(String msg, String clientId, String from, int attempt) {
      this.msg = msg;
      this.clientId = clientId;
      this.from = from;
      this.attempt = attempt;
    }
  }

  private final Map<String, Device> devices = new HashMap<>();
  private final Metrics metrics;
  private final int window;
  private final LongSupplier timeoutMs;

  /** No flow control: every push is written at once. */
  Gateway(Metrics metrics) {
    this(metrics, 0, () -> Long.MAX_VALUE);
  }

  /**
   * @param window pushes awaiting an ack per device socket (0: unlimited, no flow control)
   * @param timeoutMs the current ack timeout (after it a push no longer counts as in flight)
   */
  Gateway(Metrics metrics, int window, LongSupplier timeoutMs) {
    this.metrics = metrics;
    this.window = window;
    this.timeoutMs = timeoutMs;
  }

  /** Registers a device socket, replacing (and closing) an older one of the same device. */
  void attach(Device d) {
    Device old = devices.put(Directory.deviceKey(d.user, d.device), d);
    if (old != null && old.ws != d.ws) {
      dropHeld(old);
      old.ws.close((short) 4000, "replaced by a newer connection");
    }
  }

  /** Removes the socket if it is still the current one; true when it was. */
  boolean detach(Device d) {
    String k = Directory.deviceKey(d.user, d.device);
    dropHeld(d);
    if (devices.get(k) == d) {
      devices.remove(k);
      return true;
    }
    return false;
  }

  private static void dropHeld(Device d) {
    for (Held h : d.held.values()) {
      h.written.tryFail("device socket closed before the push was written");
    }
    d.held.clear();
  }

  /**
   * Devices connected here, for a claim: users[i]/devices[i], and with flow control the free slots
   * of each one's window in limits[i] (null without flow control).
   */
  record Local(String[] users, String[] devices, Integer[] limits) {}

  /**
   * The devices connected here (all, or only that one) that can take a push now: without flow
   * control every one; with it, those with a free slot and nothing held (held pushes go first).
   */
  Local connected(String onlyUser, String onlyDevice) {
    java.util.Collection<Device> ds;
    if (onlyUser != null) {
      Device d = get(onlyUser, onlyDevice);
      ds = d == null ? java.util.List.of() : java.util.List.of(d);
    } else {
      ds = devices.values();
    }
    String[] us = new String[ds.size()];
    String[] dv = new String[ds.size()];
    Integer[] lim = window > 0 ? new Integer[ds.size()] : null;
    long now = System.nanoTime();
    int i = 0;
    for (Device d : ds) {
      int free = 1;
      if (window > 0) {
        expire(d, now);
        free = d.held.isEmpty() ? window - d.inFlight.size() : 0;
        if (free <= 0) {
          continue;
        }
        lim[i] = free;
      }
      us[i] = d.user;
      dv[i++] = d.device;
    }
    return new Local(java.util.Arrays.copyOf(us, i), java.util.Arrays.copyOf(dv, i),
        lim == null ? null : java.util.Arrays.copyOf(lim, i));
  }

  Device get(String user, String device) {
    return devices.get(Directory.deviceKey(user, device));
  }

  /** Pushes held back by flow control, over all sockets. */
  int heldCount() {
    int n = 0;
    for (Device d : devices.values()) {
      n += d.held.size();
    }
    return n;
  }

  /**
   * Pushes to the device's socket, or holds the push until its window has room. The future
   * succeeds when the write was handed to the socket (at once, later, or not at all because the
   * same push is still in flight), and fails when the device is not connected here, the write
   * failed, or the socket closed while the push was held.
   */
  Future<Void> push(String msg, String clientId, String from, String user, String device, int attempt) {
    Device d = get(user, device);
    if (d == null) {
      metrics.pushFailures.increment();
      return Future.failedFuture("device " + user + "/" + device + " not connected here");
    }
    if (window <= 0) {
      return write(d, msg, clientId, from, attempt);
    }
    Held h = d.held.get(msg);
    long[] prev = d.pushed.get(msg);
    if (attempt <= Math.max(h == null ? 0 : h.attempt, prev == null ? 0 : prev[0])) {
      // an attempt pushed or held already: a correct node never does this (row locks and leases make
      // attempts increase), a node whose claims overlap does; written as asked, seen as a duplicate
      return write(d, msg, clientId, from, attempt);
    }
    if (h != null) {
      h.attempt = attempt; // a later attempt of a push still waiting: it goes out once, as this attempt
      return h.written.future();
    }
    long now = System.nanoTime();
    expire(d, now);
    if (d.inFlight.containsKey(msg)) {
      metrics.pushesSuppressed.increment(); // a retry of a push written less than an ack timeout ago
      return Future.succeededFuture();
    }
    if (d.inFlight.size() >= window) {
      h = new Held(msg, clientId, from, attempt);
      d.held.put(msg, h);
      return h.written.future();
    }
    return write(d, msg, clientId, from, attempt);
  }

  private Future<Void> write(Device d, String msg, String clientId, String from, int attempt) {
    long now = System.nanoTime();
    long[] prev = d.pushed.get(msg);
    if (prev != null && prev[0] >= attempt) {
      metrics.duplicateAttempts.increment();
    }
    d.pushed.put(msg, prev == null ? new long[] {attempt, now, 1, now}
        : new long[] {Math.max(attempt, prev[0]), now, prev[2] + 1, prev[3]});
    if (d.pushed.size() > 100_000) {
      d.pushed.clear();
    }
    if (window > 0) {
      d.inFlight.remove(msg);
      d.inFlight.put(msg, now);
    }
    metrics.attempts.increment();
    if (attempt > 1) {
      metrics.retries.increment();
    }
    JsonObject p = new JsonObject().put("type", "push").put("msg", msg).put("id", clientId).put("from", from)
        .put("recipient", d.user).put("device", d.device).put("attempt", attempt);
    return d.ws.writeTextMessage(p.encode()).onFailure(e -> metrics.pushFailures.increment());
  }

  /** Forgets the in-flight pushes of d written an ack timeout or more ago (their slots are free). */
  private void expire(Device d, long now) {
    long limit = timeoutMs.getAsLong() * 1_000_000L;
    Iterator<Map.Entry<String, Long>> it = d.inFlight.entrySet().iterator();
    while (it.hasNext()) {
      if (now - it.next().getValue() < limit) {
        return;
      }
      it.remove();
    }
  }

  /** Writes held pushes of d while its window has room. */
  private void pump(Device d) {
    if (d.held.isEmpty()) {
      return;
    }
    expire(d, System.nanoTime());
    Iterator<Held> it = d.held.values().iterator();
    while (d.inFlight.size() < window && it.hasNext()) {
      Held h = it.next();
      it.remove();
      write(d, h.msg, h.clientId, h.from, h.attempt).onComplete(h.written);
    }
  }

  /** Writes held pushes wherever slots timed out (called every poll). */
  void pumpAll() {
    for (Device d : devices.values()) {
      pump(d);
    }
  }

  /** What an ack tells about the latency of its push. */
  record Ack(long sinceLatestNs, long sinceFirstNs, boolean retried) {}

  /**
   * The device acked msg: its slot is free (and a held copy of it is no longer needed). Returns the
   * nanos since its latest and its first push on this socket and whether it was written more than
   * once there (then the ack could answer any copy), or null when it was not pushed on this socket.
   */
  Ack acked(Device d, String msg) {
    long[] p = d.pushed.remove(msg);
    d.inFlight.remove(msg);
    Held h = d.held.remove(msg);
    if (h != null) {
      h.written.tryComplete();
    }
    pump(d);
    if (p == null) {
      return null;
    }
    long now = System.nanoTime();
    return new Ack(Math.max(0, now - p[1]), Math.max(0, now - p[3]), p[2] > 1);
  }
}
