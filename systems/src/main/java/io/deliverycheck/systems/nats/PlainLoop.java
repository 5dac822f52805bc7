package io.deliverycheck.systems.nats;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.HdrHistogram.Histogram;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The shape shared by the brokers' plain-client throughput loops ({@code bench systems}): publish
 * {@code messages} with the broker's own acceptance signal and at most {@code window} publishes in
 * flight, consume them with acks, no recording. Each payload carries its send time
 * ({@link System#nanoTime}, one JVM), so the consumer measures end-to-end latency. Shared by the
 * nats, mqtt, redis and sqs packages.
 */
public final class PlainLoop {

    /** Smallest payload: sequence number and send time. */
    public static final int HEADER_BYTES = 12;
    private static final long MAX_LATENCY_NS = TimeUnit.MINUTES.toNanos(5);

    private PlainLoop() {
    }

    /** Starts one asynchronous publish; the future completes when the broker accepted it. */
    @FunctionalInterface
    public interface Publisher {
        CompletableFuture<?> publish(int seq, byte[] payload) throws Exception;
    }

    /** What one loop measured. Latencies in microseconds. */
    public record Result(String system, int messages, int window, int payloadBytes, long publishNanos, long totalNanos,
                         Histogram accept, Histogram endToEnd, long redelivered) {

        /** Publishes accepted per second, over the publishing phase. */
        public double acceptedPerSecond() {
            return messages / (publishNanos / 1e9);
        }

        /** Messages consumed per second, from the first publish to the last consume. */
        public double consumedPerSecond() {
            return messages / (totalNanos / 1e9);
        }

        /** One line: rates and percentiles. */
        public String summary() {
            return String.format(Locale.ROOT, "%s: %d messages, window %d, %d B: %.0f accepted/s, %.0f consumed/s; accept p50 %.2f ms p99 %.2f ms;"
                            + " end-to-end p50 %.2f ms p99 %.2f ms max %.2f ms; %d redelivered",
                    system, messages, window, payloadBytes, acceptedPerSecond(), consumedPerSecond(),
                    accept.getValueAtPercentile(50) / 1e3, accept.getValueAtPercentile(99) / 1e3,
                    endToEnd.getValueAtPercentile(50) / 1e3, endToEnd.getValueAtPercentile(99) / 1e3, endToEnd.getMaxValue() / 1e3,
                    redelivered);
        }

        public ObjectNode toJson() {
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            o.put("system", system);
            o.put("messages", messages);
            o.put("window", window);
            o.put("payload_bytes", payloadBytes);
            o.put("accepted_per_s", acceptedPerSecond());
            o.put("consumed_per_s", consumedPerSecond());
            o.set("accept_ms", percentiles(accept));
            o.set("end_to_end_ms", percentiles(endToEnd));
            o.put("redelivered", redelivered);
            return o;
        }

        private static ObjectNode percentiles(Histogram h) {
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            o.put("p50", h.getValueAtPercentile(50) / 1e3);
            o.put("p99", h.getValueAtPercentile(99) / 1e3);
            o.put("max", h.getMaxValue() / 1e3);
            return o;
        }
    }

    /** A histogram of microseconds up to 5 minutes, 3 significant digits. */
    public static Histogram histogram() {
        return new Histogram(TimeUnit.NANOSECONDS.toMicros(MAX_LATENCY_NS), 3);
    }

    /** A payload of {@code size} bytes (at least {@link #HEADER_BYTES}) carrying {@code seq} and the current time. */
    public static byte[] payload(int seq, int size) {
        ByteBuffer b = ByteBuffer.allocate(Math.max(HEADER_BYTES, size));
        b.putInt(seq);
        b.putLong(System.nanoTime());
        return b.array();
    }

    public static int seqOf(byte[] payload) {
        return ByteBuffer.wrap(payload).getInt(0);
    }

    /** Microseconds since the payload was made. */
    public static long ageMicros(byte[] payload) {
        return TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - ByteBuffer.wrap(payload).getLong(4));
    }

    /** Records a latency in microseconds, clamped into the histogram's range. */
    public static void record(Histogram h, long micros) {
        synchronized (h) {
            h.recordValue(Math.max(0, Math.min(micros, h.getHighestTrackableValue())));
        }
    }

    /**
     * Publishes {@code messages} payloads with at most {@code window} in flight and waits (bounded by
     * {@code timeout}) until every one was accepted, recording the accept latency. A refused
     * publish ends the loop with an exception naming it: a plain loop has no retries.
     *
     * @return the nanoseconds the publishing took
     */
    public static long publishAll(int messages, int window, int payloadBytes, Publisher publisher, Histogram accept, Duration timeout)
            throws Exception {
        Semaphore inFlight = new Semaphore(window);
        CountDownLatch done = new CountDownLatch(messages);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long start = System.nanoTime();
        for (int i = 0; i < messages && failure.get() == null; i++) {
            if (!inFlight.tryAcquire(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("publish " + i + ": no acceptance within " + timeout.toSeconds() + " s");
            }
            long t0 = System.nanoTime();
            int seq = i;
            publisher.publish(i, payload(i, payloadBytes)).whenComplete((r, e) -> {
                if (e != null) {
                    failure.compareAndSet(null, new IllegalStateException("publish " + seq + " refused: " + e, e));
                } else {
                    record(accept, TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - t0));
                }
                inFlight.release();
                done.countDown();
            });
        }
        if (failure.get() == null && !done.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException(done.getCount() + " publishes not accepted within " + timeout.toSeconds() + " s");
        }
        if (failure.get() != null) {
            throw new IllegalStateException(failure.get().getMessage(), failure.get());
        }
        return System.nanoTime() - start;
    }

    /** Sleeps until {@link System#nanoTime} reaches {@code deadline}, in steps of at most 100 ms. */
    public static void sleepUntil(long deadline) throws InterruptedException {
        long left;
        while ((left = deadline - System.nanoTime()) > 0) {
            TimeUnit.NANOSECONDS.sleep(Math.min(left, 100_000_000L));
        }
    }
}
