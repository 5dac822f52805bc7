package io.deliverycheck.systems.nats;

import io.deliverycheck.systems.bench.PlainResult;
import io.deliverycheck.workloads.PlannedSend;
import io.deliverycheck.workloads.Roster;
import io.deliverycheck.workloads.SendPlan;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.PublishOptions;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.PublishAck;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Recorder;

/**
 * NATS's plain client for {@code bench systems}: the traffic of the harness's workload (the same
 * roster and send plan, one JetStream publish per recipient user with a {@code Nats-Msg-Id}, a
 * durable pull consumer per device) done the plain way with nothing recorded: {@code publishers}
 * connections each keeping up to {@code window} messages awaiting their PubAcks, one connection per
 * device fetching batches and acking each message (AckSync with {@code ack-sync=true}). Its own
 * stream ({@code DCB}, subjects {@code dcb.u.>}), deleted at the end.
 */
public final class BenchNats {
    private static final String STREAM = "DCB";

    private BenchNats() {
    }

    static PlainResult run(NatsEnvironment env, Roster roster, SendPlan plan, NatsClients.Options o, Duration warmup,
            Duration duration) throws Exception {
        List<String> urls = env.nodes().stream().map(n -> env.clientEndpoint(n).toString()).toList();
        List<Connection> connections = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        AtomicLong accepted = new AtomicLong();
        AtomicLong delivered = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        Recorder latency = new Recorder(3);
        try {
            Connection admin = connect(urls, 0);
            connections.add(admin);
            JetStreamManagement jsm = admin.jetStreamManagement();
            jsm.addStream(StreamConfiguration.builder().name(STREAM).subjects("dcb.u.>").storageType(StorageType.File)
                    .replicas(o.replicas()).duplicateWindow(o.dedupWindow()).build());
            int i = 0;
            for (String user : roster.users()) {
                for (String d : roster.devicesOf(user)) {
                    String durable = "b_" + user + "_" + d;
                    jsm.addOrUpdateConsumer(STREAM, ConsumerConfiguration.builder().durable(durable).filterSubject("dcb.u." + user)
                            .ackPolicy(AckPolicy.Explicit).ackWait(o.ackWait()).maxAckPending(10_000).build());
                    Connection c = connect(urls, i++);
                    connections.add(c);
                    JetStreamSubscription sub = c.jetStream().subscribe("dcb.u." + user, PullSubscribeOptions.bind(STREAM, durable));
                    threads.add(new Thread(() -> consume(sub, o, stop, latency, delivered), "bench-nats-" + user + "-" + d));
                }
            }
            AtomicLong next = new AtomicLong();
            for (int p = 0; p < o.publishers(); p++) {
                Connection c = connect(urls, p);
                connections.add(c);
                JetStream js = c.jetStream();
                threads.add(new Thread(() -> publish(js, plan, next, o.window(), stop, accepted), "bench-nats-publisher-" + p));
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
            try {
                jsm.deleteStream(STREAM);
            } catch (Exception e) {
                // the environment is private; best effort
            }
            return new PlainResult(a / secs, d / secs, h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0,
                    h.getTotalCount());
        } finally {
            stop.set(true);
            for (Connection c : connections) {
                try {
                    c.close();
                } catch (Exception e) {
                    // closing
                }
            }
        }
    }

    private static Connection connect(List<String> urls, int first) throws Exception {
        List<String> order = new ArrayList<>();
        for (int i = 0; i < urls.size(); i++) {
            order.add(urls.get((first + i) % urls.size()));
        }
        return Nats.connect(new Options.Builder().servers(order.toArray(String[]::new)).noRandomize().ignoreDiscoveredServers()
                .maxReconnects(-1).build());
    }

    private static void consume(JetStreamSubscription sub, NatsClients.Options o, AtomicBoolean stop, Recorder latency,
            AtomicLong delivered) {
        while (!stop.get()) {
            try {
                for (Message m : sub.fetch(o.fetch(), Duration.ofMillis(500))) {
                    latency.recordValue(Math.max(1, (System.nanoTime() - ByteBuffer.wrap(m.getData()).getLong()) / 1000));
                    if (o.ackSync()) {
                        m.ackSync(Duration.ofSeconds(5));
                    } else {
                        m.ack();
                    }
                    delivered.incrementAndGet();
                }
            } catch (Exception e) {
                if (stop.get()) {
                    return;
                }
            }
        }
    }

    /** Publishes plan slots, at most {@code window} messages awaiting their PubAcks. */
    private static void publish(JetStream js, SendPlan plan, AtomicLong next, int window, AtomicBoolean stop, AtomicLong accepted) {
        Semaphore permits = new Semaphore(window);
        try {
            while (!stop.get()) {
                if (!permits.tryAcquire(10, TimeUnit.MILLISECONDS)) {
                    continue;
                }
                PlannedSend m = plan.slot(next.getAndIncrement());
                List<CompletableFuture<PublishAck>> acks = new ArrayList<>();
                for (String user : m.to()) {
                    byte[] body = ByteBuffer.allocate(64).putLong(System.nanoTime()).array();
                    acks.add(js.publishAsync("dcb.u." + user, body, PublishOptions.builder().messageId(m.id() + "." + user).build()));
                }
                CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).whenComplete((r, e) -> {
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
