package io.deliverycheck.workloads;

import io.deliverycheck.checker.history.Recorder;
import io.deliverycheck.checker.runner.Environment;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import java.net.URI;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the reference node's HTTP clients ({@link HttpClients}) share: Vert.x, its HTTP and
 * WebSocket clients, and the workload's {@link WorkloadContext} (recorder, endpoints, delivery
 * tracker, counters: the fields below are the context's own objects). Recording happens on event
 * loops; a {@link Recorder} write is a buffered append and flush to the page cache, never a wait
 * on the network.
 */
final class Clients {
  final Vertx vertx;
  final HttpClient http;
  final WebSocketClient ws;
  final Recorder rec;
  final Environment env;
  final List<String> nodes;
  final WorkloadConfig config;
  final DeliveryTracker tracker;
  final LongAdder receives;
  final LongAdder acks;
  final LongAdder receipts;
  /** Set when the workload closes, before Vert.x does: nothing is recorded after it. */
  volatile boolean closed;

  Clients(Vertx vertx, HttpClient http, WebSocketClient ws, WorkloadContext ctx) {
    this.vertx = vertx;
    this.http = http;
    this.ws = ws;
    this.rec = ctx.rec;
    this.env = ctx.env;
    this.nodes = ctx.nodes;
    this.config = ctx.config;
    this.tracker = ctx.tracker;
    this.receives = ctx.receives;
    this.acks = ctx.acks;
    this.receipts = ctx.receipts;
  }

  /** The node's client endpoint joined with {@code path}. */
  String url(String node, String path) {
    URI base = env.clientEndpoint(node);
    String s = base.toString();
    return (s.endsWith("/") ? s.substring(0, s.length() - 1) : s) + path;
  }

  /** WebSocket options for {@code path} at {@code node}, with the token if any. */
  WebSocketConnectOptions wsOptions(String node, String path) {
    String url = url(node, path).replaceFirst("^http", "ws");
    WebSocketConnectOptions o = new WebSocketConnectOptions().setAbsoluteURI(url)
        .setConnectTimeout(config.requestTimeout().toMillis())
        .setTimeout(config.requestTimeout().toMillis());
    if (config.token() != null) {
      o.addHeader("Authorization", "Bearer " + config.token());
    }
    return o;
  }

  long timeoutMillis() {
    return config.requestTimeout().toMillis();
  }
}
