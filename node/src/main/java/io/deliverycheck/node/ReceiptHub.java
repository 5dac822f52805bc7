package io.deliverycheck.node;

import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Receipt subscribers connected to this node ({@code /receipts/{user}}). A receipt reaches this hub
 * only after its state committed; the hub never sends a state ranked at or below one it already sent
 * on that socket (accepted &lt; delivered &lt; read; receipts of one subject may travel different
 * cluster paths). {@code failed} is sent unless delivered or read was; a delivered that follows a
 * failed (late ack of a dead-lettered row) is still sent. Event-loop confined.
 */
final class ReceiptHub {
  private static final Map<String, Integer> RANK = Map.of("accepted", 0, "delivered", 1, "read", 2);

  private static final class Sub {
    final ServerWebSocket ws;
    final Map<String, Integer> sent = new LinkedHashMap<>(16, 0.75f, false) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Integer> e) {
        return size() > 200_000;
      }
    };

    Sub(ServerWebSocket ws) {
      this.ws = ws;
    }
  }

  private final Map<String, List<Sub>> subs = new HashMap<>();
  private final Metrics metrics;

  ReceiptHub(Metrics metrics) {
    this.metrics = metrics;
  }

  /** Adds a subscriber; true when it is the user's first here. */
  boolean add(String user, ServerWebSocket ws) {
    List<Sub> l = subs.computeIfAbsent(user, k -> new CopyOnWriteArrayList<>());
    l.add(new Sub(ws));
    return l.size() == 1;
  }

  /** Removes a subscriber; true when it was the user's last here. */
  boolean remove(String user, ServerWebSocket ws) {
    List<Sub> l = subs.get(user);
    if (l == null) {
      return false;
    }
    l.removeIf(s -> s.ws == ws);
    if (l.isEmpty()) {
      subs.remove(user);
      return true;
    }
    return false;
  }

  /** Writes a committed state's receipt to the sender's subscribers here. committedAtMs: wall clock. */
  void deliver(JsonObject r, long committedAtMs) {
    List<Sub> l = subs.get(r.getString("sender"));
    if (l == null) {
      return;
    }
    String subject = r.getString("msg") + "\u0000" + r.getString("recipient") + "\u0000" + r.getString("device");
    boolean failed = "failed".equals(r.getString("state"));
    int rank = failed ? 0 : RANK.getOrDefault(r.getString("state"), 0);
    JsonObject out = new JsonObject().put("type", "receipt").put("msg", r.getString("msg")).put("id", r.getString("id"))
        .put("recipient", r.getString("recipient")).put("device", r.getString("device")).put("state", r.getString("state"));
    String text = out.encode();
    for (Sub s : l) {
      Integer prev = s.sent.get(subject);
      if (failed ? prev != null && prev > 0 : prev != null && prev >= rank) {
        continue; // never below what this socket already got; failed is unranked (a late ack may follow)
      }
      if (!failed) {
        s.sent.put(subject, rank);
      }
      s.ws.writeTextMessage(text);
      metrics.receiptLag.observeNanos(Math.max(0, System.currentTimeMillis() - committedAtMs) * 1_000_000L);
    }
  }
}
