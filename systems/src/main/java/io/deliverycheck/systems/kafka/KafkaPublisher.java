package io.deliverycheck.systems.kafka;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.workloads.Outcome;
import io.deliverycheck.workloads.PlannedSend;
import io.deliverycheck.workloads.SendLink;
import io.deliverycheck.workloads.WorkloadContext;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.utils.Utils;

/**
 * One {@code KafkaProducer} shared by a window of sender processes. A send is one record per
 * recipient user, to the user's topic, keyed by the sender (so one sender's records share a
 * partition), the op's value as its value and the message id in header {@code dc-id}; it is
 * <ul>
 *   <li>{@code ok} when the producer's callback acknowledged every record (with the run's
 *       {@code acks});</li>
 *   <li>{@code info} when any record's callback reports an error, or not every record is
 *       acknowledged within the request timeout: Kafka does not say an unacknowledged record was
 *       not appended (a timed-out produce request may have been written), so nothing is a
 *       {@code fail}. The producer keeps retrying such a record within its
 *       {@code delivery.timeout.ms}; the harness retries the send with the same id, so a record
 *       written after all is seen twice.</li>
 * </ul>
 * {@code send} runs on this producer's own thread ({@code KafkaProducer.send} may block for metadata
 * up to {@code max.block.ms}, the request timeout); callbacks run on the producer's I/O thread and
 * never block.
 */
final class KafkaPublisher implements SendLink {
    private final WorkloadContext ctx;
    private final KafkaEnvironment env;
    private final ScheduledExecutorService timers;
    private final ExecutorService thread;
    private final KafkaProducer<String, String> producer;
    private volatile boolean closed;

    KafkaPublisher(WorkloadContext ctx, int index, KafkaMapping.Options options, ScheduledExecutorService timers) {
        this.ctx = ctx;
        this.env = (KafkaEnvironment) ctx.env;
        this.timers = timers;
        this.thread = Executors.newSingleThreadExecutor(KafkaMapping.daemon("kafka-producer-" + index));
        this.producer = new KafkaProducer<>(KafkaMapping.producerProps(env.bootstrapServers(), options,
                "deliverycheck-producer-" + index, ctx.timeoutMillis()));
    }

    /**
     * Fetches the metadata of {@code topics} before the first send, so the first sends do not wait
     * for it in {@code KafkaProducer.send}; bounded by {@code max.block.ms} per topic.
     */
    void warm(List<String> topics) {
        for (String t : topics) {
            try {
                producer.partitionsFor(t);
            } catch (RuntimeException e) {
                // the first send fetches it again
            }
        }
        try {
            // an idempotent producer gets its producer id before its first record: measured at over 5 s on
            // a loaded machine, so it happens here, before the workload, with a record to a topic no device reads
            producer.send(new ProducerRecord<>(KafkaMapping.WARMUP_TOPIC, "warm-up")).get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            // the first sends of the workload wait for it instead
        }
    }

    @Override
    public void execute(Runnable task) {
        try {
            thread.execute(task);
        } catch (RejectedExecutionException e) {
            // closed: the workload is over
        }
    }

    @Override
    public void schedule(long delayMs, Runnable task) {
        try {
            timers.schedule(() -> execute(task), delayMs, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closed
        }
    }

    /**
     * The broker leading the partition of the first recipient's topic that this sender's records go
     * to, as the producer's metadata last said (null when it knows none). Producer thread.
     */
    @Override
    public String node(PlannedSend m, int attempt) {
        if (closed) {
            return null;
        }
        try {
            List<PartitionInfo> parts = producer.partitionsFor(KafkaMapping.topic(m.to().get(0)));
            if (parts.isEmpty()) {
                return null;
            }
            int p = partition(m.from(), parts.size());
            PartitionInfo info = parts.stream().filter(pi -> pi.partition() == p).findFirst().orElse(null);
            return info == null || info.leader() == null || info.leader().isEmpty() ? null : env.nodeOf(info.leader().id());
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** The partition Kafka's default partitioner picks for a record keyed {@code key}. */
    static int partition(String key, int partitions) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
    }

    /** Producer thread. */
    @Override
    public CompletionStage<Outcome> send(String target, PlannedSend m, ObjectNode value, int attempt) {
        Send send = new Send(m.to().size());
        if (closed) {
            send.result.complete(Outcome.info("client closed"));
            return send.result;
        }
        timers.schedule(() -> send.result.complete(Outcome.info("no acknowledgement of every record within "
                + ctx.timeoutMillis() + " ms")), ctx.timeoutMillis(), TimeUnit.MILLISECONDS);
        String body = value.toString();
        for (String user : m.to()) {
            ProducerRecord<String, String> r = new ProducerRecord<>(KafkaMapping.topic(user), m.from(), body);
            r.headers().add("dc-id", m.id().getBytes(StandardCharsets.UTF_8));
            try {
                producer.send(r, (md, e) -> send.settled(e));
            } catch (RuntimeException e) {
                send.result.complete(Outcome.info("send not handed to the producer: " + e.getMessage()));
                break;
            }
        }
        return send.result;
    }

    void close() {
        closed = true;
        thread.shutdown();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        thread.shutdownNow();
        try {
            producer.close(Duration.ofSeconds(1));
        } catch (RuntimeException e) {
            // closing
        }
    }

    /** A send of k records: ok once all k are acknowledged, info at the first error. */
    private static final class Send {
        final CompletableFuture<Outcome> result = new CompletableFuture<>();
        private int left;

        Send(int parts) {
            this.left = parts;
        }

        synchronized void settled(Exception error) {
            if (error != null) {
                result.complete(Outcome.info("record not acknowledged: " + error.getClass().getSimpleName() + ": "
                        + error.getMessage()));
            } else if (--left == 0) {
                result.complete(Outcome.ok(null));
            }
        }
    }
}
