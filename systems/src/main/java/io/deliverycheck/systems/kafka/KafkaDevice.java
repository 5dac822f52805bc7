package io.deliverycheck.systems.kafka;

import io.deliverycheck.checker.history.Op;
import io.deliverycheck.checker.history.OpType;
import io.deliverycheck.workloads.WorkloadContext;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;

/**
 * A device process {@code d:<user>/<device>}: the one consumer of its own consumer group
 * {@code dc-<user>-<device>} on its user's topic, on a thread of its own (a {@code KafkaConsumer}
 * is not thread-safe), reading from the earliest offset. Each polled batch is applied in offset
 * order: one {@code receive} per record, then the {@code ack} is invoked (naming the batch's last
 * record) and the batch's offsets committed ({@code commitSync}, bounded by the request timeout):
 * {@code ok} when the commit succeeded, {@code info} when it did not (the group may hand those
 * records out again, and the device records that delivery too: a duplicate the system made is a
 * duplicate). Kafka acknowledges by offset, so one commit acknowledges every record of the batch.
 *
 * <p>A lost connection is the client's own business (it reconnects and fetches on from its
 * position). A poll that throws closes the consumer; after a jittered backoff (100 ms to 2 s, from
 * the seed) a new one joins the group and reads again from its committed offset.
 */
final class KafkaDevice {
    private final WorkloadContext ctx;
    private final String user;
    private final String device;
    private final KafkaMapping.Options options;
    private final SplittableRandom random;
    private final Thread thread;
    private volatile KafkaConsumer<String, String> consumer;
    private volatile boolean consuming;
    private volatile boolean closed;
    private volatile String failure;

    KafkaDevice(WorkloadContext ctx, String user, String device, int index, KafkaMapping.Options options) {
        this.ctx = ctx;
        this.user = user;
        this.device = device;
        this.options = options;
        this.random = new SplittableRandom(ctx.config.seed() * 31 + 2_000_000_011L + index);
        this.thread = new Thread(this::run, "kafka-device-" + user + "-" + device);
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** True once its consumer was assigned its topic's partitions. */
    boolean consuming() {
        return consuming;
    }

    /** The last poll failure, or null. */
    String failure() {
        return failure;
    }

    private void run() {
        int failures = 0;
        while (!closed && !ctx.closed()) {
            KafkaConsumer<String, String> c;
            try {
                c = new KafkaConsumer<>(KafkaMapping.consumerProps(KafkaMapping.bootstrap(ctx), options,
                        KafkaMapping.group(user, device), "deliverycheck-" + user + "-" + device));
            } catch (RuntimeException e) {
                failure = "cannot create the consumer: " + e.getMessage();
                return;
            }
            consumer = c;
            try {
                if (closed) {
                    return;
                }
                c.subscribe(List.of(KafkaMapping.topic(user)), new ConsumerRebalanceListener() {
                    @Override
                    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                        // the next assignment starts from the committed offsets
                    }

                    @Override
                    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                        if (!partitions.isEmpty()) {
                            consuming = true;
                        }
                    }
                });
                while (!closed && !ctx.closed()) {
                    ConsumerRecords<String, String> batch = c.poll(Duration.ofMillis(200));
                    if (!batch.isEmpty()) {
                        apply(c, batch);
                    }
                    failures = 0;
                }
            } catch (WakeupException | InterruptException e) {
                return; // closing
            } catch (RuntimeException e) {
                failure = e.getClass().getSimpleName() + ": " + e.getMessage();
                failures++;
            } finally {
                try {
                    c.close(Duration.ZERO);
                } catch (RuntimeException e) {
                    // closing
                }
            }
            long base = Math.min(2000, 50L << Math.min(failures, 6));
            try {
                TimeUnit.MILLISECONDS.sleep(base / 2 + random.nextLong(base / 2 + 1) + 1); // backoff before a new consumer
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Records a receive per record, then the ack: a commit of the batch's offsets. Device thread. */
    private void apply(KafkaConsumer<String, String> c, ConsumerRecords<String, String> batch) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        String last = null;
        for (ConsumerRecord<String, String> r : batch) {
            Header h = r.headers().lastHeader("dc-id");
            String id = h == null ? "?" : new String(h.value(), StandardCharsets.UTF_8);
            ctx.received(user, device, id, null);
            offsets.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
            last = id;
        }
        Op ack = ctx.ackInvoked(user, device, last, null);
        try {
            c.commitSync(offsets, Duration.ofMillis(ctx.timeoutMillis()));
            ctx.ackDone(ack, OpType.OK, null);
        } catch (WakeupException | InterruptException e) {
            ctx.ackDone(ack, OpType.INFO, "closed during the offset commit");
            throw e;
        } catch (RuntimeException e) {
            ctx.ackDone(ack, OpType.INFO, "offset commit failed: " + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    void close() {
        closed = true;
        consuming = false;
        KafkaConsumer<String, String> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            thread.interrupt();
        }
    }
}
