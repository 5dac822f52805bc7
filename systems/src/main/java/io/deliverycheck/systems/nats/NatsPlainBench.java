package io.deliverycheck.systems.nats;

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
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import org.HdrHistogram.Histogram;

import java.time.Duration;
import java.util.BitSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The plain jnats throughput loop against a {@link NatsEnvironment}: JetStream publishes with a
 * {@code Nats-Msg-Id} each, at most {@code window} awaiting their PubAck, into a file stream
 * replicated on every server; a durable pull consumer fetches batches and acks each message (Ack,
 * or AckSync, the "double ack"). No recording: the loop {@code bench systems} compares the harness
 * with.
 */
public final class NatsPlainBench {

    private static final String STREAM = "bench";
    private static final String SUBJECT = "bench.u1";

    private NatsPlainBench() {
    }

    /**
     * @param ackSync ack with AckSync (the consumer waits for the server to confirm each ack)
     * @param fetchBatch messages per pull request
     */
    public record Params(int messages, int window, int payloadBytes, boolean ackSync, int fetchBatch, Duration timeout) {
        public static Params defaults(int messages) {
            return new Params(messages, 64, 100, false, 256, Duration.ofSeconds(120));
        }
    }

    public static PlainLoop.Result run(NatsEnvironment env, Params p) throws Exception {
        Options opts = new Options.Builder()
                .servers(env.nodes().stream().map(n -> env.clientEndpoint(n).toString()).toArray(String[]::new))
                .maxReconnects(-1).connectionTimeout(Duration.ofSeconds(5)).build();
        Histogram accept = PlainLoop.histogram();
        Histogram endToEnd = PlainLoop.histogram();
        try (Connection pub = Nats.connect(opts); Connection sub = Nats.connect(opts)) {
            JetStreamManagement jsm = pub.jetStreamManagement();
            if (jsm.getStreamNames().contains(STREAM)) {
                jsm.deleteStream(STREAM);
            }
            jsm.addStream(StreamConfiguration.builder().name(STREAM).subjects(SUBJECT)
                    .storageType(StorageType.File).replicas(env.nodes().size()).build());
            jsm.addOrUpdateConsumer(STREAM, ConsumerConfiguration.builder().durable("bench-consumer")
                    .filterSubject(SUBJECT).ackPolicy(AckPolicy.Explicit).ackWait(Duration.ofSeconds(30)).build());
            JetStreamSubscription s = sub.jetStream().subscribe(SUBJECT, PullSubscribeOptions.bind(STREAM, "bench-consumer"));
            long start = System.nanoTime();
            CompletableFuture<long[]> consumed = CompletableFuture.supplyAsync(() -> {
                BitSet seen = new BitSet(p.messages());
                long redelivered = 0;
                long deadline = System.nanoTime() + p.timeout().toNanos();
                while (seen.cardinality() < p.messages()) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("consumed " + seen.cardinality() + " of " + p.messages() + " within " + p.timeout());
                    }
                    for (Message m : s.fetch(p.fetchBatch(), Duration.ofMillis(500))) {
                        int seq = PlainLoop.seqOf(m.getData());
                        if (seen.get(seq)) {
                            redelivered++;
                        } else {
                            seen.set(seq);
                            PlainLoop.record(endToEnd, PlainLoop.ageMicros(m.getData()));
                        }
                        if (p.ackSync()) {
                            try {
                                m.ackSync(Duration.ofSeconds(5));
                            } catch (Exception e) {
                                throw new IllegalStateException("AckSync failed: " + e, e);
                            }
                        } else {
                            m.ack();
                        }
                    }
                }
                return new long[]{System.nanoTime(), redelivered};
            });
            JetStream js = pub.jetStream();
            long publishNanos = PlainLoop.publishAll(p.messages(), p.window(), p.payloadBytes(),
                    (seq, payload) -> js.publishAsync(SUBJECT, payload, PublishOptions.builder().messageId("b" + seq).build()),
                    accept, p.timeout());
            long[] end = consumed.get(p.timeout().toMillis(), TimeUnit.MILLISECONDS);
            jsm.deleteStream(STREAM);
            return new PlainLoop.Result("nats", p.messages(), p.window(), p.payloadBytes(), publishNanos, end[0] - start,
                    accept, endToEnd, end[1]);
        }
    }
}
