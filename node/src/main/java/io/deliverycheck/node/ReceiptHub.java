package io.deliverycheck.node;

import io.vertx.core.Vertx;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Receipt subscribers connected to this node ({@code /receipts/{user}?after=N}). Every receipt is a
 * row of the {@code receipts} table, written in the transaction of its state and numbered per sender
 * 1, 2, 3, ... in commit order (docs/protocol.md). Each socket gets its sender's receipts strictly in
 * that order, each once: a live receipt (routed through the cluster after the commit) is written at
 * once when it is the next number; any gap (a receipt lost with a node or a partition, or the replay
 * after {@code after}) is filled from the table, and every socket is checked against the table once a
 * second, so a receipt whose live copy never arrives is still sent. Event-loop confined.
 */
final class ReceiptHub {
  /** Rows read from the table per query. */
  private static final int PAGE = 500;

  private static final class Sub {
    final ServerWebSocket ws;
    final String sender;
    /** Highest seq written to this socket; -1 until known (a socket without {@code after}). */
    long sent;
    boolean fetching;
    boolean again;
    boolean closed;

    Sub(ServerWebSocket ws, String sender, long after) {
      this.ws = ws;
      this.sender = sender;
      this.sent = after;
    }
  }

  private final Map<String, List<Sub>> subs = new HashMap<>();
  private final Metrics metrics;
  private final Store store;
  private final java.util.logging.Logger log;

  ReceiptHub(Metrics metrics, Store store, Vertx vertx, long sweepMs, java.util.logging.Logger log) {
    this.metrics = metrics;
    this.store = store;
    this.log = log;
    vertx.setPeriodic(sweepMs, t -> sweep());
  }

  /**
   * Adds a subscriber that has seen the sender's receipts up to {@code after} (null: none wanted
   * before now); true when it is the user's first here. Starts the replay at once.
   */
  boolean add(String user, ServerWebSocket ws, Long after) {
    List<Sub> l = subs.computeIfAbsent(user, k -> new ArrayList<>());
    Sub s = new Sub(ws, user, after == null ? -1 : after);
    l.add(s);
    catchUp(s);
    return l.size() == 1;
  }

  /** Removes a subscriber; true when it was the user's last here. */
  boolean remove(String user, ServerWebSocket ws) {
    List<Sub> l = subs.get(user);
    if (l == null) {
      return false;
    }
    l.removeIf(s -> {
      if (s.ws == ws) {
        s.closed = true;
        return true;
      }
      return false;
    });
    if (l.isEmpty()) {
      subs.remove(user);
      return true;
    }
    return false;
  }

  /** A committed state's receipt, live (r: sender, seq, msg, id, recipient, device, state). committedAtMs: wall clock. */
  void deliver(JsonObject r, long committedAtMs) {
    List<Sub> l = subs.get(r.getString("sender"));
    if (l == null) {
      return;
    }
    long seq = r.getLong("seq", 0L);
    for (Sub s : l) {
      if (s.fetching || s.sent < 0) {
        s.again = true;
      } else if (seq == s.sent + 1) {
        write(s, seq, r.getString("msg"), r.getString("id"), r.getString("recipient"), r.getString("device"),
            r.getString("state"), committedAtMs);
      } else if (seq > s.sent + 1) {
        catchUp(s); // a gap: the missing numbers are committed (commit order), read them
      }
    }
  }

  private void write(Sub s, long seq, String msg, String id, String recipient, String device, String state,
      long atMs) {
    s.sent = seq;
    s.ws.writeTextMessage(new JsonObject().put("type", "receipt").put("seq", seq).put("msg", msg).put("id", id)
        .put("recipient", recipient).put("device", device).put("state", state).encode());
    metrics.receiptLag.observeNanos(Math.max(0, System.currentTimeMillis() - atMs) * 1_000_000L);
  }

  /** Sends, in order, every stored receipt of the socket's sender above what it got. */
  private void catchUp(Sub s) {
    if (s.closed) {
      return;
    }
    if (s.fetching) {
      s.again = true;
      return;
    }
    s.fetching = true;
    s.again = false;
    io.vertx.core.Future<Long> from = s.sent >= 0 ? io.vertx.core.Future.succeededFuture(s.sent)
        : store.lastReceiptSeq(s.sender);
    from.compose(after -> store.receiptsAfter(s.sender, after, PAGE).map(list -> {
      if (s.sent < 0) {
        s.sent = after;
      }
      for (Store.Receipt r : list) {
        if (!s.closed && r.seq() == s.sent + 1) {
          write(s, r.seq(), r.msg(), r.clientId(), r.recipient(), r.device(), r.state(), r.atMs());
        }
      }
      return list.size();
    })).onComplete(ar -> {
      s.fetching = false;
      if (ar.failed()) {
        log.fine("receipts of " + s.sender + " after " + s.sent + ": " + ar.cause()); // the sweep retries
      } else if (s.again || ar.result() == PAGE) {
        catchUp(s);
      }
    });
  }

  /** Checks every socket against the table (a receipt whose live copy was lost is sent now). */
  private void sweep() {
    for (List<Sub> l : subs.values()) {
      for (Sub s : l) {
        catchUp(s);
      }
    }
  }
}
