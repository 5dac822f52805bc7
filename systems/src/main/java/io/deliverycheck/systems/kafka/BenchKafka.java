package io.deliverycheck.systems.kafka;

import io.deliverycheck.systems.bench.PlainResult;
import io.deliverycheck.workloads.PlannedSend;
import io.deliverycheck.workloads.Roster;
import io.deliverycheck.workloads.SendPlan;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Recorder;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Kafka's plain client for {@code bench systems}: the traffic of the harness's workload (the same
 * roster and send plan: one record per recipient user to its topic, keyed by the sender, a consumer
 * group per device) done the plain way with nothing recorded: {@code producers} producers with the
 * run's acks and idempotence, each keeping up to {@code window} messages unacknowledged, and one
 * consumer per device that commits after each poll. A message is accepted when every one of its
 * records is acknowledged; delivered counts records the devices polled; latency is from the send to
 * each poll (one clock, one JVM). Its topics are {@code dcb<N>-<user>}, so the harness's workload
 * can run after it on the same cluster.
 */
final class BenchKafka {
    private static final AtomicInteger RUNS = new AtomicInteger();

    private BenchKafka() {
    }

    static PlainResult run(KafkaEnvironment env, Roster roster, SendPlan plan, KafkaMapping.Options o, Duration warmup,
            Duration duration) throws Exception {
        String prefix = "dcb" + RUNS.incrementAndGet() + "-";
        String bootstrap = env.bootstrapServers();
        KafkaMapping.createTopics(bootstrap, roster.users().stream().map(u -> prefix + u).toList(), o, 60_000);
        AtomicLong accepted = new AtomicLong();
        AtomicLong delivered = new AtomicLong();
        AtomicInteger assigned = new AtomicInteger();
        Recorder latency = new Recorder(3);
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> threads = new ArrayList<>();
        int devices = 0;
        for (String user : roster.users()) {
            for (String d : roster.devicesOf(user)) {
                devices++;
                String group = prefix + user + "-" + d;
                threads.add(thread("bench-kafka-" + group, () -> consume(bootstrap, o, prefix + user, group, stop, assigned,
                        delivered, latency)));
            }
        }
        threads.forEach(Thread::start);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (assigned.get() < devices && System.nanoTime() < deadline) {
            TimeUnit.MILLISECONDS.sleep(50); // the consumers join their groups
        }
        // the clock starts once the devices consume: joining 20 groups took over a minute on the loaded machine
        long start = System.nanoTime();
        long measureFrom = start + warmup.toNanos();
        long end = measureFrom + duration.toNanos();
        AtomicLong next = new AtomicLong();
        List<Thread> producers = new ArrayList<>();
        for (int p = 0; p < o.producers(); p++) {
            int index = p;
            producers.add(thread("bench-kafka-producer-" + p, () -> publish(bootstrap, o, index, prefix, plan, next, end, accepted)));
        }
        producers.forEach(Thread::start);
        sleepUntil(measureFrom);
        long a0 = accepted.get();
        long d0 = delivered.get();
        latency.getIntervalHistogram();
        sleepUntil(end);
        double secs = (System.nanoTime() - measureFrom) / 1e9;
        long a = accepted.get() - a0;
        long dl = delivered.get() - d0;
        var h = latency.getIntervalHistogram();
        for (Thread t : producers) {
            t.join(15_000);
        }
        stop.set(true);
        for (Thread t : threads) {
            t.join(15_000);
        }
        return new PlainResult(a / secs, dl / secs, h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0,
                h.getTotalCount());
    }

    private static Thread thread(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** Sends plan slots, at most {@code window} messages unacknowledged, until {@code end}. */
    private static void publish(String bootstrap, KafkaMapping.Options o, int index, String prefix, SendPlan plan, AtomicLong next,
            long end, AtomicLong accepted) {
        Semaphore permits = new Semaphore(o.window());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(KafkaMapping.producerProps(bootstrap, o,
                "bench-kafka-producer-" + index, 10_000))) {
            while (System.nanoTime() < end) {
                if (!permits.tryAcquire(10, TimeUnit.MILLISECONDS)) {
                    continue;
                }
                PlannedSend m = plan.slot(next.getAndIncrement());
                AtomicInteger parts = new AtomicInteger(m.to().size());
                String body = Base64.getEncoder().encodeToString(ByteBuffer.allocate(64).putLong(System.nanoTime()).array());
                for (String user : m.to()) {
                    producer.send(new ProducerRecord<>(prefix + user, m.from(), body), (md, e) -> {
                        if (parts.decrementAndGet() == 0) {
                            permits.release();
                            if (e == null) {
                                accepted.incrementAndGet();
                            }
                        }
                    });
                }
            }
        } catch (Exception e) {
            // the phase is over or the producer failed: the counts say how far it got
        }
    }

    /** One device: polls its user's topic until {@code stop}, commits after each poll. */
    private static void consume(String bootstrap, KafkaMapping.Options o, String topic, String group, AtomicBoolean stop,
            AtomicInteger assigned,
            AtomicLong delivered, Recorder latency) {
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(KafkaMapping.consumerProps(bootstrap, o, group, group))) {
            c.subscribe(List.of(topic));
            boolean counted = false;
            while (!stop.get()) {
                var batch = c.poll(Duration.ofMillis(200));
                if (!counted && !c.assignment().isEmpty()) {
                    counted = true;
                    assigned.incrementAndGet();
                }
                long now = System.nanoTime();
                for (ConsumerRecord<String, String> r : batch) {
                    long sentAt = ByteBuffer.wrap(Base64.getDecoder().decode(r.value())).getLong();
                    latency.recordValue(Math.max(1, (now - sentAt) / 1000));
                    delivered.incrementAndGet();
                }
                if (!batch.isEmpty()) {
                    c.commitAsync();
                }
            }
        } catch (Exception e) {
            // the phase is over or the consumer failed: the counts say how far it got
        }
    }

    private static void sleepUntil(long deadline) throws InterruptedException {
        long left;
        while ((left = deadline - System.nanoTime()) > 0) {
            TimeUnit.NANOSECONDS.sleep(Math.min(left, 100_000_000L));
        }
    }
}
