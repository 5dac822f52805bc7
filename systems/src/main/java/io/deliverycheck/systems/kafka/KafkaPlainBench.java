package io.deliverycheck.systems.kafka;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.SynchronizedHistogram;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Kafka's plain clients at full tilt, nothing recorded: the peer that {@code bench systems} measures
 * the harness's recorded Kafka workload against. An idempotent producer ({@code acks=all}) publishes
 * for a while with a window of unacknowledged sends; one consumer of a consumer group reads from the
 * start and commits after every batch it polled. It reports messages per second and the latency
 * percentiles of the acknowledgement (send to ack) and end to end (send to poll).
 *
 * <p>The topic ({@code plain-bench-N}) has one partition per broker, replication {@code min(3, nodes)}
 * and the environment's {@code min.insync.replicas}. Each record carries its send time and a
 * sequence number, so the consumer counts distinct records and duplicates. Producer and consumer use
 * Kafka's default batching (linger, {@code max.poll.records}): the settings its documentation
 * recommends, which a real client would run with.
 */
public final class KafkaPlainBench {

    /** Unacknowledged sends in flight at most, by default (issue 11: at least 64). */
    public static final int DEFAULT_WINDOW = 64;
    /** Bytes of each record's value, by default. */
    public static final int DEFAULT_PAYLOAD = 100;
    private static final Duration DRAIN = Duration.ofSeconds(60);
    private static final AtomicInteger RUNS = new AtomicInteger();

    private KafkaPlainBench() {
    }

    /** Latency percentiles in milliseconds. */
    public record Latency(long count, double p50, double p90, double p99, double p999, double max) {
        static Latency of(Histogram h) {
            return new Latency(h.getTotalCount(), ms(h.getValueAtPercentile(50)), ms(h.getValueAtPercentile(90)),
                    ms(h.getValueAtPercentile(99)), ms(h.getValueAtPercentile(99.9)), ms(h.getMaxValue()));
        }

        private static double ms(long micros) {
            return micros / 1000.0;
        }

        String line() {
            return String.format(Locale.ROOT, "p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, p99.9 %.1f ms, max %.1f ms", p50, p90, p99, p999, max);
        }
    }

    /**
     * What one run measured.
     *
     * @param seconds          how long the producer published
     * @param rate             the target rate (messages/s), 0 for as fast as the window allows
     * @param window           unacknowledged sends allowed at once
     * @param sent             records handed to the producer
     * @param acked            records acknowledged
     * @param failed           records whose send failed
     * @param consumed         distinct records the consumer read
     * @param duplicates       records read again (same sequence number)
     * @param publishPerSecond acknowledged records per second of publishing
     * @param consumePerSecond distinct records read per second, from the first send to the last read
     * @param ack              send to acknowledgement
     * @param endToEnd         send to the consumer's poll returning it
     */
    public record Result(String topic, double seconds, int rate, int window, long sent, long acked, long failed,
                         long consumed, long duplicates, double publishPerSecond, double consumePerSecond,
                         Latency ack, Latency endToEnd) {

        /** The report, a few lines for the bench command. */
        public List<String> lines() {
            return List.of(
                    String.format(Locale.ROOT, "kafka plain clients: %s, window %d, rate %s, %.1f s", topic, window,
                            rate == 0 ? "unbounded" : rate + "/s", seconds),
                    String.format(Locale.ROOT, "  published %d (acked %d, failed %d): %.0f msg/s", sent, acked, failed, publishPerSecond),
                    String.format(Locale.ROOT, "  consumed %d distinct (%d duplicates): %.0f msg/s", consumed, duplicates, consumePerSecond),
                    "  ack latency " + ack.line(),
                    "  end-to-end  " + endToEnd.line());
        }
    }

    /** {@link #run(KafkaEnvironment, int, int, int, int)} with the default window and payload. */
    public static Result run(KafkaEnvironment env, int seconds, int rate) throws Exception {
        return run(env, seconds, rate, DEFAULT_WINDOW, DEFAULT_PAYLOAD);
    }

    /**
     * Publishes for {@code seconds} at {@code rate} messages/s (0: as fast as {@code window} allows),
     * then waits (at most 60 s) until the consumer has read every acknowledged record.
     */
    public static Result run(KafkaEnvironment env, int seconds, int rate, int window, int payloadBytes) throws Exception {
        if (seconds < 1 || rate < 0 || window < 1 || payloadBytes < 16) {
            throw new IllegalArgumentException("bench: seconds >= 1, rate >= 0, window >= 1, payload >= 16 bytes");
        }
        int run = RUNS.incrementAndGet();
        String topic = "plain-bench-" + run;
        createTopic(env, topic);

        Histogram ackLatency = new SynchronizedHistogram(3);
        Histogram e2eLatency = new SynchronizedHistogram(3);
        AtomicLong acked = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        AtomicReference<Exception> firstFailure = new AtomicReference<>();
        ConsumerLoop consumer = new ConsumerLoop(env, topic, "plain-bench-" + run, e2eLatency);
        Thread ct = new Thread(consumer, "plain-bench-consumer");
        ct.setDaemon(true);
        ct.start();
        long sent = 0;
        long start;
        long published;
        try {
            if (!consumer.assigned.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("bench: the consumer group got no partitions of " + topic + " in 60 s"
                        + (consumer.failure == null ? "" : ": " + consumer.failure));
            }
            Semaphore inFlight = new Semaphore(window);
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps(env))) {
                start = System.nanoTime();
                long end = start + TimeUnit.SECONDS.toNanos(seconds);
                long interval = rate == 0 ? 0 : 1_000_000_000L / rate;
                while (true) {
                    long now = System.nanoTime();
                    if (now >= end) {
                        break;
                    }
                    if (interval > 0) {
                        long due = start + sent * interval;
                        if (due > now) {
                            LockSupport.parkNanos(due - now); // pacing the target rate
                            continue;
                        }
                    }
                    if (!inFlight.tryAcquire(end - now, TimeUnit.NANOSECONDS)) {
                        break;
                    }
                    long sentAt = System.nanoTime();
                    byte[] value = ByteBuffer.allocate(payloadBytes).putLong(sentAt).putLong(sent).array();
                    producer.send(new ProducerRecord<>(topic, value), (md, e) -> {
                        inFlight.release();
                        if (e == null) {
                            acked.incrementAndGet();
                            ackLatency.recordValue(Math.max(0, (System.nanoTime() - sentAt) / 1000));
                        } else {
                            failed.incrementAndGet();
                            firstFailure.compareAndSet(null, e);
                        }
                    });
                    sent++;
                }
                producer.flush();
                published = System.nanoTime() - start;
            }
            consumer.expect(acked.get(), System.nanoTime() + DRAIN.toNanos());
            ct.join(DRAIN.toMillis() + 10_000);
        } finally {
            consumer.stop();
            ct.join(10_000);
        }
        if (consumer.failure != null && consumer.distinct < acked.get()) {
            throw new IllegalStateException("bench: the consumer failed after reading " + consumer.distinct + " of " + acked.get()
                    + ": " + consumer.failure);
        }
        if (acked.get() == 0) {
            throw new IllegalStateException("bench: no send was acknowledged" + (firstFailure.get() == null ? "" : ": " + firstFailure.get()));
        }
        double pubSeconds = published / 1e9;
        double consumeSeconds = Math.max(1, consumer.lastRead - start) / 1e9;
        return new Result(topic, pubSeconds, rate, window, sent, acked.get(), failed.get(), consumer.distinct, consumer.duplicates,
                acked.get() / pubSeconds, consumer.distinct / consumeSeconds, Latency.of(ackLatency), Latency.of(e2eLatency));
    }

    private static void createTopic(KafkaEnvironment env, String topic) throws Exception {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrapServers());
        int nodes = env.nodes().size();
        String minIsr = env.config().broker().getOrDefault("min.insync.replicas", "1");
        try (Admin admin = Admin.create(p)) {
            admin.createTopics(List.of(new NewTopic(topic, nodes, (short) Math.min(3, nodes))
                    .configs(Map.of("min.insync.replicas", minIsr)))).all().get(60, TimeUnit.SECONDS);
        }
    }

    private static Properties producerProps(KafkaEnvironment env) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "plain-bench-producer");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return p;
    }

    /** The consumer: reads and commits until told how many records to expect and it has them all, or stopped. */
    private static final class ConsumerLoop implements Runnable {
        final CountDownLatch assigned = new CountDownLatch(1);
        private final Properties props = new Properties();
        private final String topic;
        private final Histogram e2e;
        private final BitSet seen = new BitSet();
        private volatile long expected = -1;
        private volatile long deadline;
        private volatile boolean stopped;
        volatile long distinct;
        volatile long duplicates;
        volatile long lastRead;
        volatile Exception failure;

        ConsumerLoop(KafkaEnvironment env, String topic, String group, Histogram e2e) {
            this.topic = topic;
            this.e2e = e2e;
            props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrapServers());
            props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
            props.put(ConsumerConfig.CLIENT_ID_CONFIG, "plain-bench-consumer");
            props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
            props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
            props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        }

        void expect(long count, long deadlineNanos) {
            deadline = deadlineNanos;
            expected = count;
        }

        void stop() {
            stopped = true;
        }

        @Override
        public void run() {
            try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props)) {
                c.subscribe(List.of(topic));
                while (!stopped) {
                    ConsumerRecords<byte[], byte[]> batch = c.poll(Duration.ofMillis(100));
                    if (assigned.getCount() > 0 && !c.assignment().isEmpty()) {
                        assigned.countDown();
                    }
                    long now = System.nanoTime();
                    for (ConsumerRecord<byte[], byte[]> r : batch) {
                        ByteBuffer b = ByteBuffer.wrap(r.value());
                        long sentAt = b.getLong();
                        int seq = (int) b.getLong();
                        if (seen.get(seq)) {
                            duplicates++;
                        } else {
                            seen.set(seq);
                            distinct++;
                            e2e.recordValue(Math.max(0, (now - sentAt) / 1000));
                        }
                        lastRead = now;
                    }
                    if (!batch.isEmpty()) {
                        c.commitAsync();
                    }
                    long want = expected;
                    if (want >= 0 && (distinct >= want || System.nanoTime() > deadline)) {
                        c.commitSync(Duration.ofSeconds(10));
                        return;
                    }
                }
            } catch (Exception e) {
                failure = e;
            }
        }
    }
}
