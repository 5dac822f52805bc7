package io.deliverycheck.node;

import io.vertx.core.Future;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.Map;

/**
 * Device sockets connected to this node ({@code /devices/{user}/{device}}), and what was pushed on
 * each: the attempt numbers (to count duplicate attempts) and push times (for ack latency).
 * Event-loop confined.
 */
final class Gateway {
  /** One connected device. */
  static final class Device {
    final String user;
    final String device;
    final String conn;
    final ServerWebSocket ws;
    /** msg -> {highest attempt pushed, nanoTime of the latest push} */
    final Map<String, long[]> pushed = new HashMap<>();

    Device(String user, String device, String conn, ServerWebSocket ws) {
      this.user = user;
      this.device = device;
      this.conn = conn;
      this.ws = ws;
    }
  }

  private final Map<String, Device> devices = new HashMap<>();
  private final Metrics metrics;

  Gateway(Metrics metrics) {
    this.metrics = metrics;
  }

  /** Registers a device socket, replacing (and closing) an older one of the same device. */
  void attach(Device d) {
    Device old = devices.put(Directory.deviceKey(d.user, d.device), d);
    if (old != null && old.ws != d.ws) {
      old.ws.close((short) 4000, "replaced by a newer connection");
    }
  }

  /** Removes the socket if it is still the current one; true when it was. */
  boolean detach(Device d) {
    String k = Directory.deviceKey(d.user, d.device);
    if (devices.get(k) == d) {
      devices.remove(k);
      return true;
    }
    return false;
  }

  /** The devices connected here: {users, devices}, or {user, device} only. */
  String[][] connected(String onlyUser, String onlyDevice) {
    if (onlyUser != null) {
      return get(onlyUser, onlyDevice) == null ? new String[][] {{}, {}}
          : new String[][] {{onlyUser}, {onlyDevice}};
    }
    String[] us = new String[devices.size()];
    String[] ds = new String[devices.size()];
    int i = 0;
    for (Device d : devices.values()) {
      us[i] = d.user;
      ds[i++] = d.device;
    }
    return new String[][] {us, ds};
  }

  Device get(String user, String device) {
    return devices.get(Directory.deviceKey(user, device));
  }

  /**
   * Writes a push to the device's socket. The future succeeds when the write was handed to the
   * socket and fails when the device is not connected here or the write failed.
   */
  Future<Void> push(String msg, String clientId, String from, String user, String device, int attempt) {
    Device d = get(user, device);
    if (d == null) {
      metrics.pushFailures.increment();
      return Future.failedFuture("device " + user + "/" + device + " not connected here");
    }
    long[] prev = d.pushed.get(msg);
    if (prev != null && prev[0] >= attempt) {
      metrics.duplicateAttempts.increment();
    }
    d.pushed.put(msg, new long[] {Math.max(attempt, prev == null ? 0 : prev[0]), System.nanoTime()});
    if (d.pushed.size() > 100_000) {
      d.pushed.clear();
    }
    metrics.attempts.increment();
    if (attempt > 1) {
      metrics.retries.increment();
    }
    JsonObject p = new JsonObject().put("type", "push").put("msg", msg).put("id", clientId).put("from", from)
        .put("recipient", user).put("device", device).put("attempt", attempt);
    return d.ws.writeTextMessage(p.encode()).onFailure(e -> metrics.pushFailures.increment());
  }

  /** Nanos since the latest push of msg to that device socket, or -1; forgets the push. */
  long ackedAfter(Device d, String msg) {
    long[] p = d.pushed.remove(msg);
    return p == null ? -1 : System.nanoTime() - p[1];
  }
}
