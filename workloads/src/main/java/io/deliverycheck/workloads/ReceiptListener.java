package io.deliverycheck.workloads;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Context;
import io.vertx.core.http.WebSocket;
import io.vertx.core.json.JsonObject;

/**
 * Listens to {@code /receipts/<user>} for the messages that user sends and records each receipt as
 * a standalone {@code receipt} ok op of process {@code r:<user>} (the sending side's observer).
 * Reconnects to the next node with backoff when the socket closes.
 */
final class ReceiptListener {
  private final Clients c;
  private final Context ctx;
  private final String user;
  private final String process;
  private int nodeIndex;
  private int failures;
  private WebSocket socket;
  private volatile boolean connected;

  ReceiptListener(Clients c, Context ctx, String user, int index) {
    this.c = c;
    this.ctx = ctx;
    this.user = user;
    this.process = "r:" + user;
    this.nodeIndex = index % c.nodes.size();
  }

  void start() {
    ctx.runOnContext(v -> connect());
  }

  boolean connected() {
    return connected;
  }

  private void connect() {
    if (c.closed) {
      return;
    }
    String node = c.nodes.get(nodeIndex);
    c.ws.connect(c.wsOptions(node, "/receipts/" + user)).onComplete(ar -> {
      if (ar.failed()) {
        retry();
        return;
      }
      WebSocket ws = ar.result();
      if (c.closed) {
        ws.close();
        return;
      }
      socket = ws;
      failures = 0;
      connected = true;
      ws.textMessageHandler(t -> onText(node, t));
      ws.closeHandler(v -> {
        if (socket == ws) {
          socket = null;
          retry();
        }
      });
      ws.exceptionHandler(e -> ws.close());
    });
  }

  private void retry() {
    connected = false;
    if (c.closed) {
      return;
    }
    failures++;
    nodeIndex = (nodeIndex + 1) % c.nodes.size();
    c.vertx.setTimer(Math.min(2000, 50L << Math.min(failures, 6)), t -> connect());
  }

  private void onText(String node, String text) {
    if (c.closed) {
      return;
    }
    JsonObject j;
    try {
      j = new JsonObject(text);
    } catch (RuntimeException e) {
      return;
    }
    if (!"receipt".equals(j.getString("type"))) {
      return;
    }
    ObjectNode v = JsonNodeFactory.instance.objectNode();
    v.put("id", j.getString("id", ""));
    v.put("recipient", j.getString("recipient", ""));
    if (j.getString("device") != null) {
      v.put("device", j.getString("device"));
    }
    v.put("state", j.getString("state", ""));
    c.rec.ok(process, "receipt", v, node);
    c.receipts.increment();
  }

  void close() {
    ctx.runOnContext(v -> {
      WebSocket ws = socket;
      socket = null;
      if (ws != null) {
        ws.close();
      }
    });
  }
}
