package io.deliverycheck.systems.reference;

import io.deliverycheck.systems.bench.PlainResult;
import io.deliverycheck.workloads.PlannedSend;
import io.deliverycheck.workloads.Roster;
import io.deliverycheck.workloads.SendPlan;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Recorder;

/**
 * The reference node's plain client for {@code bench systems}: the traffic of the harness's workload
 * (the same roster and send plan, users renamed {@code b<user>} so the two phases do not share devices)
 * through the node's protocol (Contract 2) with nothing recorded and no receipt sockets:
 * {@code window} {@code POST /messages} in flight, every device on a WebSocket acking every push.
 * Accepted: a 200 {@code accepted}; delivered: an {@code acked} answer (the delivered state
 * committed); latency: from the POST to the push, one clock.
 */
public final class BenchReference {
    private BenchReference() {
    }

    public static PlainResult run(List<URI> endpoints, Roster roster, SendPlan plan, int window, Duration warmup,
            Duration duration) throws Exception {
        Vertx vx = Vertx.vertx();
        AtomicLong accepted = new AtomicLong();
        AtomicLong delivered = new AtomicLong();
        AtomicLong next = new AtomicLong();
        Map<String, Long> sentAt = new ConcurrentHashMap<>();
        Recorder latency = new Recorder(3);
        try {
            HttpClient http = vx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
                    new PoolOptions().setHttp1MaxSize(64));
            List<Future<?>> regs = new ArrayList<>();
            int i = 0;
            for (String u : roster.users()) {
                for (String d : roster.devicesOf(u)) {
                    URI n = endpoints.get(i++ % endpoints.size());
                    regs.add(http.request(new RequestOptions().setMethod(HttpMethod.PUT)
                            .setAbsoluteURI(n.resolve("/users/b" + u + "/devices/" + d).toString()))
                            .compose(r -> r.send()).compose(r -> r.body()));
                }
            }
            Future.all(regs).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
            WebSocketClient wsc = vx.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(100_000));
            i = 0;
            for (String u : roster.users()) {
                for (String d : roster.devicesOf(u)) {
                    URI n = endpoints.get(i++ % endpoints.size());
                    WebSocket ws = wsc.connect(n.getPort(), n.getHost(), "/devices/b" + u + "/" + d)
                            .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
                    ws.textMessageHandler(t -> {
                        JsonObject j = new JsonObject(t);
                        if ("push".equals(j.getString("type"))) {
                            Long at = sentAt.get(j.getString("id"));
                            if (at != null) {
                                latency.recordValue(Math.max(1, (System.nanoTime() - at) / 1000));
                            }
                            ws.writeTextMessage(new JsonObject().put("type", "ack").put("msg", j.getString("msg"))
                                    .put("id", j.getString("id")).encode());
                        } else if ("acked".equals(j.getString("type"))) {
                            delivered.incrementAndGet();
                        }
                    });
                }
            }
            long measureFrom = System.nanoTime() + warmup.toNanos();
            long end = measureFrom + duration.toNanos();
            for (int w = 0; w < window; w++) {
                vx.runOnContext(v -> sendNext(http, endpoints, plan, next, end, sentAt, accepted));
            }
            sleepUntil(measureFrom);
            long a0 = accepted.get();
            long d0 = delivered.get();
            latency.getIntervalHistogram();
            sleepUntil(end);
            double secs = (System.nanoTime() - measureFrom) / 1e9;
            var h = latency.getIntervalHistogram();
            return new PlainResult((accepted.get() - a0) / secs, (delivered.get() - d0) / secs,
                    h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0, h.getTotalCount());
        } finally {
            vx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    /** One of the {@code window} send chains: POST the next slot, then the next, until {@code end}. */
    private static void sendNext(HttpClient http, List<URI> endpoints, SendPlan plan, AtomicLong next, long end,
            Map<String, Long> sentAt, AtomicLong accepted) {
        if (System.nanoTime() >= end) {
            return;
        }
        PlannedSend m = plan.slot(next.getAndIncrement());
        String id = "b" + m.id();
        JsonArray to = new JsonArray();
        m.to().forEach(u -> to.add("b" + u));
        JsonObject body = new JsonObject().put("id", id).put("key", "b" + m.key()).put("from", "b" + m.from())
                .put("to", to);
        URI n = endpoints.get(m.nodeChoice() % endpoints.size());
        sentAt.put(id, System.nanoTime());
        http.request(new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(n.resolve("/messages").toString())
                        .putHeader("Content-Type", "application/json").setIdleTimeout(10_000))
                .compose(r -> r.send(body.encode())).compose(r -> r.body().map(b -> r.statusCode() == 200
                        && "accepted".equals(new JsonObject(b).getString("state"))))
                .onComplete(ar -> {
                    if (ar.succeeded() && ar.result()) {
                        accepted.incrementAndGet();
                    }
                    sendNext(http, endpoints, plan, next, end, sentAt, accepted);
                });
    }

    private static void sleepUntil(long deadline) throws InterruptedException {
        long left;
        while ((left = deadline - System.nanoTime()) > 0) {
            TimeUnit.NANOSECONDS.sleep(Math.min(left, 100_000_000L));
        }
    }
}
