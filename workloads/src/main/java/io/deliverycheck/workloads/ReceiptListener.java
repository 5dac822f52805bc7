package io.deliverycheck.workloads;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Context;
import io.vertx.core.json.JsonObject;

/**
 * Listens to {@code /receipts/<user>} for the messages that user sends and records each receipt as
 * a standalone {@code receipt} ok op of process {@code r:<user>} (the sending side's observer).
 * Reconnects to the next node with backoff when the socket closes.
 */
final class ReceiptListener {
  private final Clients c;
  private final String process;
  private final ReconnectingSocket link;

  ReceiptListener(Clients c, Context ctx, String user, int index) {
    this.c = c;
    this.process = "r:" + user;
    this.link = new ReconnectingSocket(c, ctx, "/receipts/" + user, index, ReconnectingSocket::backoff,
        this::onText, () -> { });
  }

  void start() {
    link.start();
  }

  boolean connected() {
    return link.connected();
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
    link.close();
  }
}
