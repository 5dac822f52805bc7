package io.deliverycheck.systems.redis;

import io.deliverycheck.systems.bench.PlainResult;
import io.deliverycheck.systems.nats.PlainLoop;
import io.deliverycheck.workloads.PlannedSend;
import io.deliverycheck.workloads.Roster;
import io.deliverycheck.workloads.SendPlan;
import io.lettuce.core.Consumer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Recorder;

/**
 * Redis Streams' plain client for {@code bench systems}: the traffic of the harness's workload (the
 * same roster and send plan, one XADD per recipient user's stream, a consumer group per device)
 * done the plain way with nothing recorded: {@code publishers} connections each keeping up to
 * {@code window} messages awaiting their XADD replies, one connection per device reading batches
 * with XREADGROUP and acknowledging each batch with one XACK. Its own streams
 * ({@code dcb:s:<user>}), deleted at the end.
 */
public final class BenchRedis {
    private BenchRedis() {
    }

    static PlainResult run(RedisEnvironment env, Roster roster, SendPlan plan, RedisClients.Options o, Duration warmup,
            Duration duration) throws Exception {
        ClientResources resources = DefaultClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(2).build();
        RedisClient client = RedisClients.client(resources, env.clientEndpoint(env.nodes().get(0)), Duration.ofSeconds(10));
        List<StatefulRedisConnection<String, String>> connections = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        AtomicLong accepted = new AtomicLong();
        AtomicLong delivered = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        Recorder latency = new Recorder(3);
        try {
            StatefulRedisConnection<String, String> admin = client.connect();
            connections.add(admin);
            for (String user : roster.users()) {
                for (String d : roster.devicesOf(user)) {
                    admin.sync().xgroupCreate(XReadArgs.StreamOffset.from("dcb:s:" + user, "0"), "g:" + d,
                            XGroupCreateArgs.Builder.mkstream());
                    StatefulRedisConnection<String, String> c = client.connect();
                    connections.add(c);
                    RedisCommands<String, String> r = c.sync();
                    threads.add(new Thread(() -> consume(r, "dcb:s:" + user, "g:" + d, o, stop, latency, delivered),
                            "bench-redis-" + user + "-" + d));
                }
            }
            AtomicLong next = new AtomicLong();
            for (int p = 0; p < o.publishers(); p++) {
                StatefulRedisConnection<String, String> c = client.connect();
                connections.add(c);
                RedisAsyncCommands<String, String> r = c.async();
                threads.add(new Thread(() -> publish(r, plan, next, o.window(), stop, accepted), "bench-redis-publisher-" + p));
            }
            threads.forEach(t -> {
                t.setDaemon(true);
                t.start();
            });
            long measureFrom = System.nanoTime() + warmup.toNanos();
            PlainLoop.sleepUntil(measureFrom);
            long a0 = accepted.get();
            long d0 = delivered.get();
            latency.getIntervalHistogram();
            PlainLoop.sleepUntil(measureFrom + duration.toNanos());
            double secs = (System.nanoTime() - measureFrom) / 1e9;
            long a = accepted.get() - a0;
            long d = delivered.get() - d0;
            var h = latency.getIntervalHistogram();
            stop.set(true);
            for (Thread t : threads) {
                t.join(5_000);
            }
            for (String user : roster.users()) {
                admin.sync().del("dcb:s:" + user);
            }
            return new PlainResult(a / secs, d / secs, h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0,
                    h.getTotalCount());
        } finally {
            stop.set(true);
            for (StatefulRedisConnection<String, String> c : connections) {
                try {
                    c.close();
                } catch (RuntimeException e) {
                    // closing
                }
            }
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            resources.shutdown(0, 2, TimeUnit.SECONDS);
        }
    }

    private static void consume(RedisCommands<String, String> r, String stream, String group, RedisClients.Options o,
            AtomicBoolean stop, Recorder latency, AtomicLong delivered) {
        Consumer<String> me = Consumer.from(group, "c");
        while (!stop.get()) {
            try {
                List<StreamMessage<String, String>> batch = r.xreadgroup(me, XReadArgs.Builder.count(o.count()).block(500),
                        XReadArgs.StreamOffset.lastConsumed(stream));
                if (batch.isEmpty()) {
                    continue;
                }
                long now = System.nanoTime();
                for (StreamMessage<String, String> m : batch) {
                    latency.recordValue(Math.max(1, (now - Long.parseLong(m.getBody().get("t"))) / 1000));
                }
                r.xack(stream, group, batch.stream().map(StreamMessage::getId).toArray(String[]::new));
                delivered.addAndGet(batch.size());
            } catch (RuntimeException e) {
                if (stop.get()) {
                    return;
                }
            }
        }
    }

    /** Publishes plan slots, at most {@code window} messages awaiting their XADD replies. */
    private static void publish(RedisAsyncCommands<String, String> r, SendPlan plan, AtomicLong next, int window,
            AtomicBoolean stop, AtomicLong accepted) {
        Semaphore permits = new Semaphore(window);
        try {
            while (!stop.get()) {
                if (!permits.tryAcquire(10, TimeUnit.MILLISECONDS)) {
                    continue;
                }
                PlannedSend m = plan.slot(next.getAndIncrement());
                List<CompletableFuture<String>> replies = new ArrayList<>();
                for (String user : m.to()) {
                    replies.add(r.xadd("dcb:s:" + user, Map.of("id", m.id(), "t", Long.toString(System.nanoTime())))
                            .toCompletableFuture());
                }
                CompletableFuture.allOf(replies.toArray(CompletableFuture[]::new)).whenComplete((x, e) -> {
                    permits.release();
                    if (e == null) {
                        accepted.incrementAndGet();
                    }
                });
            }
        } catch (Exception e) {
            // the phase is over or the connection failed: the counts say how far it got
        }
    }
}
