package io.deliverycheck.workloads;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.Guarantee;
import io.deliverycheck.checker.history.Op;
import io.deliverycheck.checker.history.OpType;
import io.vertx.core.Context;
import io.vertx.core.http.WebSocket;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A device process {@code d:<user>/<device>}: holds a WebSocket to one node, reconnects with
 * backoff (to the next node) when it is closed, and handles pushes one at a time:
 *
 * <ol>
 *   <li>apply: record {@code receive} (before any ack, so a {@code delivered} receipt can never
 *       honestly precede it); in exactly-once mode a push whose server id {@code msg} was already
 *       applied is not applied again (no receive) but is acked again;
 *   <li>ack: {@code ack} invoke, then {@code ok} on {@code acked}, {@code fail} on an {@code error}
 *       answer, {@code info} on timeout or a closed socket; poison messages (ids {@code p..}) are
 *       applied but never acked; the first push of a crashing message (ids {@code x..}) is neither
 *       applied nor acked and the device drops every push for {@link #CRASH_MS} (its app restarts);
 *   <li>read: for a seeded share of newly applied messages, {@code read} invoke then {@code ok} on
 *       {@code read-ok}, {@code fail} on an error, {@code info} on timeout or close.
 * </ol>
 *
 * Pushes queued when the socket closes were never applied and are dropped (the system owes them
 * again). All state lives on the device's context.
 */
final class Device {
  /** How long a device's app is down after a crashing message: pushes meanwhile are dropped. */
  static final long CRASH_MS = 1500;

  private final Clients c;
  private final String user;
  private final String device;
  final String process;
  private final SplittableRandom random;
  private final boolean dedup;
  private final Set<String> applied = new HashSet<>();
  private final ArrayDeque<JsonObject> queue = new ArrayDeque<>();
  private final ReconnectingSocket link;
  private Op open;
  private String openKind;
  private String openMsg;
  private long openTimer = -1;
  private final Set<String> crashedOn = new HashSet<>();
  private long restartedAt; // nanoTime until which the app is down; 0: never crashed

  Device(Clients c, Context ctx, String user, String device, int index) {
    this.c = c;
    this.user = user;
    this.device = device;
    this.process = "d:" + user + "/" + device;
    this.random = SendPlan.random(c.config.seed(), 1_000_000_007L + index);
    this.dedup = c.config.guarantee() == Guarantee.EXACTLY_ONCE;
    this.link = new ReconnectingSocket(c, ctx, "/devices/" + user + "/" + device, index, this::jitteredBackoff,
        (node, text) -> onText(text), this::onClose);
  }

  void start() {
    link.start();
  }

  boolean connected() {
    return link.connected();
  }

  /** The reconnect delay: a random point in the upper half of the backoff, drawn from the device's seed. */
  private long jitteredBackoff(long failures) {
    long base = ReconnectingSocket.backoff(failures);
    return base / 2 + random.nextLong(base / 2 + 1) + 1;
  }

  private void onClose() {
    queue.clear();
    if (open != null) {
      finish(OpType.INFO, "connection closed");
    }
  }

  private void onText(String text) {
    if (c.closed) {
      return;
    }
    JsonObject j;
    try {
      j = new JsonObject(text);
    } catch (RuntimeException e) {
      return;
    }
    String type = j.getString("type", "");
    switch (type) {
      case "push" -> {
        queue.add(j);
        pump();
      }
      case "acked" -> answer("ack", j.getString("msg"), OpType.OK, null);
      case "read-ok" -> answer("read", j.getString("msg"), OpType.OK, null);
      // An error is a certain fail only when the node says nothing was committed; else unknown.
      case "error" -> answer(j.getString("op", ""), j.getString("msg"),
          Boolean.FALSE.equals(j.getValue("committed")) ? OpType.FAIL : OpType.INFO, j.getString("error", "error"));
      default -> { }
    }
  }

  private void pump() {
    while (open == null && !queue.isEmpty() && !c.closed) {
      apply(queue.poll());
    }
  }

  private void apply(JsonObject push) {
    String msg = push.getString("msg", "");
    String id = push.getString("id", "");
    long now = System.nanoTime();
    if (restartedAt != 0 && now - restartedAt < 0) {
      return; // the app is restarting: the push is lost on the device, never applied
    }
    if (PlannedSend.isCrashing(id) && crashedOn.add(msg)) {
      restartedAt = now + CRASH_MS * 1_000_000;
      return;
    }
    boolean fresh = !dedup || !applied.contains(msg);
    if (fresh) {
      if (dedup) {
        applied.add(msg);
      }
      c.rec.ok(process, "receive", value(id), link.node());
      c.receives.increment();
      c.tracker.received(id, user, device, c.rec.now());
    }
    if (PlannedSend.isPoison(id)) {
      return;
    }
    markRead = fresh && random.nextDouble() < c.config.readFraction();
    begin("ack", msg, id);
  }

  private boolean markRead;

  private void begin(String kind, String msg, String id) {
    WebSocket ws = link.socket();
    if (ws == null) {
      return;
    }
    open = c.rec.invoke(process, kind, value(id), link.node());
    openKind = kind;
    openMsg = msg;
    openTimer = c.vertx.setTimer(c.timeoutMillis(), t -> {
      openTimer = -1;
      if (open != null && msg.equals(openMsg)) {
        finish(OpType.INFO, "timeout after " + c.timeoutMillis() + " ms");
        pump();
      }
    });
    JsonObject out = new JsonObject().put("type", kind).put("msg", msg).put("id", id);
    ws.writeTextMessage(out.encode());
  }

  private void answer(String kind, String msg, OpType type, String error) {
    if (open == null || !kind.equals(openKind) || msg == null || !msg.equals(openMsg)) {
      return;
    }
    String id = open.value().path("id").asText();
    boolean wasAck = kind.equals("ack");
    finish(type, error);
    if (wasAck && type == OpType.OK) {
      c.acks.increment();
      if (markRead) {
        markRead = false;
        begin("read", msg, id);
      }
    }
    pump();
  }

  private void finish(OpType type, String error) {
    if (openTimer >= 0) {
      c.vertx.cancelTimer(openTimer);
      openTimer = -1;
    }
    Op inv = open;
    open = null;
    openKind = null;
    openMsg = null;
    if (!c.closed) {
      c.rec.complete(inv, type, inv.value(), error);
    }
  }

  private ObjectNode value(String id) {
    ObjectNode v = JsonNodeFactory.instance.objectNode();
    v.put("id", id);
    v.put("recipient", user);
    v.put("device", device);
    return v;
  }

  void close() {
    link.close();
  }
}
