package io.deliverycheck.workloads;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Context;
import io.vertx.core.json.JsonObject;

/**
 * Listens to {@code /receipts/<user>} for the messages that user sends and records each receipt as
 * a standalone {@code receipt} ok op of process {@code r:<user>} (the sending side's observer).
 * Reconnects to the next node with backoff when the socket closes, presenting the highest receipt
 * number ({@code seq}) it has seen ({@code ?after=N}, 0 at first), so the node replays, in order, every
 * receipt it missed (docs/protocol.md). Receipts without {@code seq} (other implementations) are
 * recorded as they come.
 */
final class ReceiptListener {
  private final Clients c;
  private final String process;
  private final ReconnectingSocket link;
  /** Highest receipt seq seen; context-confined. */
  private long lastSeq;

  ReceiptListener(Clients c, Context ctx, String user, int index) {
    this.c = c;
    this.process = "r:" + user;
    String path = "/receipts/" + user;
    this.link = new ReconnectingSocket(c, ctx, () -> path + "?after=" + lastSeq, index, ReconnectingSocket::backoff,
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
    if (j.getValue("seq") instanceof Number n) {
      lastSeq = Math.max(lastSeq, n.longValue()); // recorded all the same: a repeat is the system's to answer for
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
    c.tracker.receipt(j.getString("id", ""), j.getString("recipient", ""), j.getString("device"), j.getString("state", ""));
  }

  void close() {
    link.close();
  }
}
