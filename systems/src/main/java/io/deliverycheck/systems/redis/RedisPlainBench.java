package io.deliverycheck.systems.redis;

import io.deliverycheck.systems.nats.PlainLoop;
import io.lettuce.core.Consumer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import org.HdrHistogram.Histogram;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The plain Lettuce throughput loop against a {@link RedisEnvironment}: XADDs pipelined on one
 * connection with at most {@code window} awaiting their reply (the acceptance signal), and a
 * consumer group reading batches with XREADGROUP and acknowledging them with one XACK per batch.
 * No recording: the loop {@code bench systems} compares the harness with.
 */
public final class RedisPlainBench {

    private static final byte[] STREAM = "bench:u1".getBytes(StandardCharsets.UTF_8);
    private static final byte[] FIELD = "p".getBytes(StandardCharsets.UTF_8);
    private static final String GROUP = "bench-consumer";

    private RedisPlainBench() {
    }

    public record Params(int messages, int window, int payloadBytes, int readBatch, Duration timeout) {
        public static Params defaults(int messages) {
            return new Params(messages, 64, 100, 256, Duration.ofSeconds(120));
        }
    }

    public static PlainLoop.Result run(RedisEnvironment env, Params p) throws Exception {
        RedisClient client = RedisClient.create(RedisURI.create(env.clientEndpoint("n1").toString()));
        Histogram accept = PlainLoop.histogram();
        Histogram endToEnd = PlainLoop.histogram();
        try (StatefulRedisConnection<byte[], byte[]> pub = client.connect(ByteArrayCodec.INSTANCE);
             StatefulRedisConnection<byte[], byte[]> sub = client.connect(ByteArrayCodec.INSTANCE)) {
            RedisCommands<byte[], byte[]> r = sub.sync();
            r.del(STREAM);
            r.xgroupCreate(XReadArgs.StreamOffset.from(STREAM, "0"), GROUP.getBytes(StandardCharsets.UTF_8), XGroupCreateArgs.Builder.mkstream());
            long start = System.nanoTime();
            CompletableFuture<long[]> consumed = CompletableFuture.supplyAsync(() -> {
                BitSet seen = new BitSet(p.messages());
                long redelivered = 0;
                long deadline = System.nanoTime() + p.timeout().toNanos();
                Consumer<byte[]> me = Consumer.from(GROUP.getBytes(StandardCharsets.UTF_8), "c1".getBytes(StandardCharsets.UTF_8));
                while (seen.cardinality() < p.messages()) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("consumed " + seen.cardinality() + " of " + p.messages() + " within " + p.timeout());
                    }
                    List<StreamMessage<byte[], byte[]>> batch = r.xreadgroup(me,
                            XReadArgs.Builder.count(p.readBatch()).block(500), XReadArgs.StreamOffset.lastConsumed(STREAM));
                    List<String> ids = new ArrayList<>(batch.size());
                    for (StreamMessage<byte[], byte[]> m : batch) {
                        // byte[] keys compare by identity: the entry's only value is the payload
                        byte[] payload = m.getBody().values().iterator().next();
                        int seq = PlainLoop.seqOf(payload);
                        if (seen.get(seq)) {
                            redelivered++;
                        } else {
                            seen.set(seq);
                            PlainLoop.record(endToEnd, PlainLoop.ageMicros(payload));
                        }
                        ids.add(m.getId());
                    }
                    if (!ids.isEmpty()) {
                        r.xack(STREAM, GROUP.getBytes(StandardCharsets.UTF_8), ids.toArray(String[]::new));
                    }
                }
                return new long[]{System.nanoTime(), redelivered};
            });
            long publishNanos = PlainLoop.publishAll(p.messages(), p.window(), p.payloadBytes(),
                    (seq, payload) -> pub.async().xadd(STREAM, Map.of(FIELD, payload)).toCompletableFuture(),
                    accept, p.timeout());
            long[] end = consumed.get(p.timeout().toMillis(), TimeUnit.MILLISECONDS);
            r.del(STREAM);
            return new PlainLoop.Result("redis", p.messages(), p.window(), p.payloadBytes(), publishNanos, end[0] - start,
                    accept, endToEnd, end[1]);
        } finally {
            client.shutdown();
        }
    }
}
