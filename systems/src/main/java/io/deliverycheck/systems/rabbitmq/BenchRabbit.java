package io.deliverycheck.systems.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import io.deliverycheck.systems.bench.PlainResult;
import io.deliverycheck.workloads.PlannedSend;
import io.deliverycheck.workloads.Roster;
import io.deliverycheck.workloads.SendPlan;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Recorder;

/**
 * RabbitMQ's plain client for {@code bench systems}: the traffic of the harness's workload (the same
 * roster and send plan: one publish per recipient user to its fanout exchange, a durable queue per
 * device, persistent messages) done the plain durable way with nothing recorded: {@code publishers}
 * connections with publisher confirms, each keeping up to {@code window} messages unconfirmed, and
 * one consumer connection per device with prefetch {@code prefetch} and manual acks. A message is
 * accepted when every one of its publishes is confirmed; delivered counts deliveries acked by
 * devices; latency is from the publish to each delivery (one clock, one JVM).
 */
public final class BenchRabbit {
    private BenchRabbit() {}

    /** Runs the plain client against {@code endpoints} for {@code duration} after {@code warmup}. */
    public static PlainResult run(List<URI> endpoints, Roster roster, SendPlan plan, String queueType, int publishers,
            int window, int prefetch, Duration warmup, Duration duration) throws Exception {
        ExecutorService dispatch = Executors.newFixedThreadPool(2, RabbitClients.daemon("bench-rabbitmq"));
        List<Connection> connections = new ArrayList<>();
        AtomicLong accepted = new AtomicLong();
        AtomicLong delivered = new AtomicLong();
        Recorder latency = new Recorder(3);
        try {
            Connection admin = factory(endpoints.get(0)).newConnection("bench-setup");
            connections.add(admin);
            Channel setup = admin.createChannel();
            for (String user : roster.users()) {
                setup.exchangeDeclare("dcb.x." + user, "fanout", true, false, null);
                for (String d : roster.devicesOf(user)) {
                    setup.queueDeclare("dcb.q." + user + "." + d, true, false, false, Map.of("x-queue-type", queueType));
                    setup.queueBind("dcb.q." + user + "." + d, "dcb.x." + user, "");
                }
            }
            int i = 0;
            for (String user : roster.users()) {
                for (String d : roster.devicesOf(user)) {
                    Connection c = factory(endpoints.get(i++ % endpoints.size())).newConnection(dispatch, "bench-" + user + d);
                    connections.add(c);
                    Channel ch = c.createChannel();
                    ch.basicQos(prefetch);
                    ch.basicConsume("dcb.q." + user + "." + d, false, new DefaultConsumer(ch) {
                        @Override
                        public void handleDelivery(String tag, Envelope env, AMQP.BasicProperties props, byte[] body)
                                throws java.io.IOException {
                            latency.recordValue(Math.max(1, (System.nanoTime() - ByteBuffer.wrap(body).getLong()) / 1000));
                            getChannel().basicAck(env.getDeliveryTag(), false);
                            delivered.incrementAndGet();
                        }
                    });
                }
            }
            List<Thread> threads = new ArrayList<>();
            AtomicLong next = new AtomicLong();
            long start = System.nanoTime();
            long measureFrom = start + warmup.toNanos();
            long end = measureFrom + duration.toNanos();
            long[] marks = new long[2];
            for (int p = 0; p < publishers; p++) {
                Connection c = factory(endpoints.get(p % endpoints.size())).newConnection("bench-publisher-" + p);
                connections.add(c);
                Channel ch = c.createChannel();
                Thread t = new Thread(() -> publish(ch, plan, next, window, end, accepted), "bench-publisher-" + p);
                t.setDaemon(true);
                threads.add(t);
            }
            threads.forEach(Thread::start);
            sleepUntil(measureFrom);
            long a0 = accepted.get();
            long d0 = delivered.get();
            latency.getIntervalHistogram();
            sleepUntil(end);
            double secs = (System.nanoTime() - measureFrom) / 1e9;
            marks[0] = accepted.get() - a0;
            marks[1] = delivered.get() - d0;
            var h = latency.getIntervalHistogram();
            for (Thread t : threads) {
                t.join(10_000);
            }
            return new PlainResult(marks[0] / secs, marks[1] / secs, h.getValueAtPercentile(50) / 1000.0,
                    h.getValueAtPercentile(99) / 1000.0, h.getTotalCount());
        } finally {
            for (Connection c : connections) {
                try {
                    c.abort(2000);
                } catch (RuntimeException e) {
                    // closing
                }
            }
            dispatch.shutdownNow();
        }
    }

    /** Publishes plan slots on one confirm channel, at most {@code window} messages unconfirmed. */
    private static void publish(Channel ch, SendPlan plan, AtomicLong next, int window, long end, AtomicLong accepted) {
        try {
            ch.confirmSelect();
            Semaphore permits = new Semaphore(window);
            ConcurrentSkipListMap<Long, long[]> open = new ConcurrentSkipListMap<>();
            ch.addConfirmListener((seq, multiple) -> settle(open, seq, multiple, permits, accepted),
                    (seq, multiple) -> settle(open, seq, multiple, permits, null));
            while (System.nanoTime() < end) {
                if (!permits.tryAcquire(10, TimeUnit.MILLISECONDS)) {
                    continue;
                }
                PlannedSend m = plan.slot(next.getAndIncrement());
                long[] parts = {m.to().size()};
                for (String user : m.to()) {
                    byte[] body = ByteBuffer.allocate(64).putLong(System.nanoTime()).array();
                    open.put(ch.getNextPublishSeqNo(), parts);
                    ch.basicPublish("dcb.x." + user, "", new AMQP.BasicProperties.Builder().deliveryMode(2)
                            .messageId(m.id()).build(), body);
                }
            }
        } catch (Exception e) {
            // the phase is over or the connection failed: the counts say how far it got
        }
    }

    /** A confirm covers one publish or all up to {@code seq}; a message is accepted when its last publish is. */
    private static void settle(ConcurrentSkipListMap<Long, long[]> open, long seq, boolean multiple, Semaphore permits,
            AtomicLong accepted) {
        NavigableMap<Long, long[]> done = multiple ? open.headMap(seq, true) : open.subMap(seq, true, seq, true);
        for (long[] parts : new ArrayList<>(done.values())) {
            synchronized (parts) {
                if (--parts[0] == 0) {
                    permits.release();
                    if (accepted != null) {
                        accepted.incrementAndGet();
                    }
                }
            }
        }
        done.clear();
    }

    private static ConnectionFactory factory(URI endpoint) {
        ConnectionFactory f = new ConnectionFactory();
        f.setHost(endpoint.getHost());
        f.setPort(endpoint.getPort());
        f.setAutomaticRecoveryEnabled(false);
        return f;
    }

    private static void sleepUntil(long deadline) throws InterruptedException {
        long left;
        while ((left = deadline - System.nanoTime()) > 0) {
            TimeUnit.NANOSECONDS.sleep(Math.min(left, 100_000_000L));
        }
    }
}
