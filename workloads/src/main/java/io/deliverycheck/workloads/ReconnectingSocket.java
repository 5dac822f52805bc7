package io.deliverycheck.workloads;

import io.vertx.core.Context;
import io.vertx.core.http.WebSocket;
import java.util.function.BiConsumer;
import java.util.function.LongUnaryOperator;

/**
 * One client's WebSocket to a path on the cluster's nodes, shared by {@link Device} and
 * {@link ReceiptListener}: connects to node {@code index % nodes} first and, whenever a connect fails
 * or the open socket closes, moves on to the next node after a backoff delay, until the clients are
 * closed.
 *
 * <p>Contract: all state (and every callback) lives on the owner's {@link Context}; nothing blocks.
 * {@code onText(node, text)} receives each text frame with the node it came from; {@code onClosed}
 * runs on the context when the current socket closes, after {@link #socket()} became null and before
 * the reconnect is scheduled. The delay before the {@code n}-th consecutive retry ({@code n >= 1}) is
 * {@code delay.applyAsLong(n)} milliseconds; the count resets on a successful connect.
 */
final class ReconnectingSocket {
  private final Clients c;
  private final Context ctx;
  private final java.util.function.Supplier<String> path;
  private final LongUnaryOperator delay;
  private final BiConsumer<String, String> onText;
  private final Runnable onClosed;
  private int nodeIndex;
  private int failures;
  private WebSocket socket;
  private String node;
  private volatile boolean connected;

  ReconnectingSocket(Clients c, Context ctx, String path, int index, LongUnaryOperator delay,
      BiConsumer<String, String> onText, Runnable onClosed) {
    this(c, ctx, () -> path, index, delay, onText, onClosed);
  }

  /** As above, with the path (and query) computed afresh for every connect, on the context. */
  ReconnectingSocket(Clients c, Context ctx, java.util.function.Supplier<String> path, int index,
      LongUnaryOperator delay, BiConsumer<String, String> onText, Runnable onClosed) {
    this.c = c;
    this.ctx = ctx;
    this.path = path;
    this.delay = delay;
    this.onText = onText;
    this.onClosed = onClosed;
    this.nodeIndex = index % c.nodes.size();
  }

  /** The capped exponential backoff in ms after {@code failures} consecutive failures: 100 .. 2000. */
  static long backoff(long failures) {
    return Math.min(2000, 50L << Math.min(failures, 6));
  }

  /** Starts connecting, on the context. */
  void start() {
    ctx.runOnContext(v -> connect());
  }

  /** Whether a socket is open now; safe from any thread. */
  boolean connected() {
    return connected;
  }

  /** The open socket, or null while disconnected. Context only. */
  WebSocket socket() {
    return socket;
  }

  /** The node of the latest successful connection (kept after it closes), or null. Context only. */
  String node() {
    return node;
  }

  private void connect() {
    if (c.closed) {
      return;
    }
    String target = c.nodes.get(nodeIndex);
    c.ws.connect(c.wsOptions(target, path.get())).onComplete(ar -> {
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
      node = target;
      failures = 0;
      connected = true;
      ws.textMessageHandler(t -> onText.accept(target, t));
      ws.closeHandler(v -> {
        if (socket == ws) {
          socket = null;
          onClosed.run();
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
    c.vertx.setTimer(delay.applyAsLong(failures), t -> connect());
  }

  /** Closes the socket, on the context; it is not reopened once the clients are closed. */
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
