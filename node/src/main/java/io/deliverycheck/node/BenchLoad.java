package io.deliverycheck.node;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Recorder;

/**
 * The node benchmark's load generator: senders (HTTP POST /messages) and devices (WebSocket, ack
 * every push, dedup by msg) against a running cluster. Send-to-receive latency uses one clock (same
 * JVM). One device per message: message i goes to user (i mod devices), who has one device.
 */
final class BenchLoad implements AutoCloseable {
  final Vertx vx = Vertx.vertx();
  private final List<URI> nodes;
  private final List<HttpClient> clients = new ArrayList<>();
  private final List<WebSocket> sockets = new ArrayList<>();
  private final int devices;
  private final String run;
  final Map<String, Long> sentAt = new ConcurrentHashMap<>();
  final Set<String> received = ConcurrentHashMap.newKeySet();
  final AtomicLong accepted = new AtomicLong();
  final AtomicLong delivered = new AtomicLong();
  final AtomicLong errors = new AtomicLong();
  final Recorder latency = new Recorder(3);
  /** POST round trips (send to "accepted") during the latency phase. */
  final Recorder acceptLatency = new Recorder(3);
  volatile boolean recordLatency;
  private final AtomicLong seq = new AtomicLong();

  BenchLoad(List<URI> nodes, int devices, String run) {
    this.nodes = nodes;
    this.devices = devices;
    this.run = run;
    for (URI u : nodes) {
      clients.add(vx.createHttpClient(new HttpClientOptions().setDefaultHost(u.getHost()).setDefaultPort(u.getPort())
          .setKeepAlive(true).setPipelining(false), new PoolOptions().setHttp1MaxSize(256)));
    }
  }

  private static <T> T await(Future<T> f) throws Exception {
    return Node.await(f, 60);
  }

  /** Registers and connects every device (round robin over nodes). */
  void connectDevices() throws Exception {
    List<Future<?>> regs = new ArrayList<>();
    for (int i = 0; i < devices; i++) {
      regs.add(clients.get(i % clients.size()).request(HttpMethod.PUT, "/users/" + run + "u" + i + "/devices/phone")
          .compose(r -> r.send()).compose(r -> r.body()));
    }
    await(Future.all(regs));
    WebSocketClient wsc = vx.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(devices + 10));
    for (int i = 0; i < devices; i++) {
      URI u = nodes.get(i % nodes.size());
      WebSocket ws = await(wsc.connect(u.getPort(), u.getHost(), "/devices/" + run + "u" + i + "/phone"));
      ws.textMessageHandler(t -> onDevice(ws, t));
      sockets.add(ws);
    }
  }

  private void onDevice(WebSocket ws, String text) {
    long now = System.nanoTime();
    JsonObject j = new JsonObject(text);
    String type = j.getString("type");
    if ("push".equals(type)) {
      String id = j.getString("id");
      if (received.add(id)) {
        Long t0 = sentAt.remove(id);
        if (t0 != null && recordLatency) {
          latency.recordValue(Math.max(1, (now - t0) / 1000));
        }
      }
      ws.writeTextMessage(new JsonObject().put("type", "ack").put("msg", j.getString("msg")).put("id", id).encode());
    } else if ("acked".equals(type)) {
      delivered.incrementAndGet();
    }
  }

  List<WebSocket> sockets() {
    return sockets;
  }

  /** Sends one message through node (i mod nodes) to user (i mod devices). */
  Future<Void> sendOne() {
    long i = seq.getAndIncrement();
    String id = run + "m" + i;
    JsonObject body = new JsonObject().put("id", id).put("key", id).put("from", run + "sender" + (i % 16))
        .put("to", new JsonArray().add(run + "u" + (i % devices)));
    long t0 = System.nanoTime();
    sentAt.put(id, t0);
    HttpClient c = clients.get((int) (i % clients.size()));
    return c.request(new RequestOptions().setMethod(HttpMethod.POST).setURI("/messages"))
        .compose(r -> r.send(Buffer.buffer(body.encode())))
        .compose(r -> r.body().map(b -> {
          if (r.statusCode() == 200) {
            accepted.incrementAndGet();
            if (recordLatency) {
              acceptLatency.recordValue(Math.max(1, (System.nanoTime() - t0) / 1000));
            }
          } else {
            errors.incrementAndGet();
          }
          return (Void) null;
        }))
        .onFailure(e -> errors.incrementAndGet());
  }

  /** Keeps `window` sends in flight until the deadline (closed loop, on the load's event loop). */
  void saturate(int window, long untilNanos) {
    vx.runOnContext(x -> {
      for (int k = 0; k < window; k++) {
        loop(untilNanos);
      }
    });
  }

  private void loop(long untilNanos) {
    if (System.nanoTime() >= untilNanos) {
      return;
    }
    sendOne().onComplete(ar -> loop(untilNanos));
  }

  /** Open loop: sends at a fixed rate until the deadline. */
  void fixedRate(int perSecond, long untilNanos) {
    long start = System.nanoTime();
    long[] sent = {0};
    vx.runOnContext(x -> vx.setPeriodic(1, id -> {
      long now = System.nanoTime();
      if (now >= untilNanos) {
        vx.cancelTimer(id);
        return;
      }
      long due = (now - start) * perSecond / 1_000_000_000L;
      while (sent[0] < due) {
        sent[0]++;
        sendOne();
      }
    }));
  }

  @Override
  public void close() {
    try {
      Node.await(vx.close(), 10);
    } catch (Exception e) {
      // best effort
    }
  }
}
