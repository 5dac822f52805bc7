package io.deliverycheck.systems.sqs;

import io.deliverycheck.systems.nats.PlainLoop;
import org.HdrHistogram.Histogram;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The plain AWS SDK v2 throughput loop against an {@link SqsEnvironment}: SendMessage calls to one
 * FIFO queue (a deduplication id each, messages spread over {@code groups} message groups) with at
 * most {@code window} awaiting their 200, and {@code consumers} threads receiving up to 10 messages
 * at a time and deleting each batch with DeleteMessageBatch (the ack). The SDK client is
 * synchronous, so the window is a pool of that many threads. No recording: the loop
 * {@code bench systems} compares the harness with.
 */
public final class SqsPlainBench {

    private static final String QUEUE = "bench.fifo";

    private SqsPlainBench() {
    }

    /**
     * @param groups message groups: FIFO hands out a group's next message only once the previous one
     *     was deleted, so one group allows one batch in flight
     */
    public record Params(int messages, int window, int payloadBytes, int groups, int consumers, Duration timeout) {
        public static Params defaults(int messages) {
            return new Params(messages, 64, 100, 8, 4, Duration.ofSeconds(180));
        }
    }

    public static PlainLoop.Result run(SqsEnvironment env, Params p) throws Exception {
        Histogram accept = PlainLoop.histogram();
        Histogram endToEnd = PlainLoop.histogram();
        ExecutorService pool = Executors.newFixedThreadPool(p.window() + p.consumers());
        try (SqsClient sqs = SqsClient.builder().endpointOverride(env.clientEndpoint("n1")).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("x", "x")))
                .httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(c -> c.retryStrategy(AwsRetryStrategy.doNotRetry()))
                .build()) {
            String url = sqs.createQueue(b -> b.queueName(QUEUE).attributes(Map.of(QueueAttributeName.FIFO_QUEUE, "true"))).queueUrl();
            sqs.purgeQueue(b -> b.queueUrl(url));
            BitSet seen = new BitSet(p.messages());
            AtomicLong redelivered = new AtomicLong();
            long start = System.nanoTime();
            long deadline = start + p.timeout().toNanos();
            List<CompletableFuture<Void>> consumers = new ArrayList<>();
            for (int c = 0; c < p.consumers(); c++) {
                consumers.add(CompletableFuture.runAsync(() -> {
                    while (true) {
                        synchronized (seen) {
                            if (seen.cardinality() >= p.messages()) {
                                return;
                            }
                        }
                        if (System.nanoTime() > deadline) {
                            throw new IllegalStateException("consumed fewer than " + p.messages() + " within " + p.timeout());
                        }
                        List<Message> got = sqs.receiveMessage(b -> b.queueUrl(url).maxNumberOfMessages(10).waitTimeSeconds(1)).messages();
                        List<DeleteMessageBatchRequestEntry> acks = new ArrayList<>();
                        for (Message m : got) {
                            byte[] payload = Base64.getDecoder().decode(m.body());
                            int seq = PlainLoop.seqOf(payload);
                            synchronized (seen) {
                                if (seen.get(seq)) {
                                    redelivered.incrementAndGet();
                                } else {
                                    seen.set(seq);
                                    PlainLoop.record(endToEnd, PlainLoop.ageMicros(payload));
                                }
                            }
                            acks.add(DeleteMessageBatchRequestEntry.builder().id(Integer.toString(acks.size()))
                                    .receiptHandle(m.receiptHandle()).build());
                        }
                        if (!acks.isEmpty()) {
                            sqs.deleteMessageBatch(b -> b.queueUrl(url).entries(acks));
                        }
                    }
                }, pool));
            }
            long publishNanos = PlainLoop.publishAll(p.messages(), p.window(), p.payloadBytes(),
                    (seq, payload) -> CompletableFuture.supplyAsync(() -> sqs.sendMessage(b -> b.queueUrl(url)
                            .messageBody(Base64.getEncoder().encodeToString(payload))
                            .messageGroupId("g" + (seq % p.groups())).messageDeduplicationId("b" + seq)), pool),
                    accept, p.timeout());
            CompletableFuture.allOf(consumers.toArray(CompletableFuture[]::new)).get(p.timeout().toMillis(), TimeUnit.MILLISECONDS);
            long total = System.nanoTime() - start;
            sqs.deleteQueue(b -> b.queueUrl(url));
            return new PlainLoop.Result("sqs-fifo", p.messages(), p.window(), p.payloadBytes(), publishNanos, total,
                    accept, endToEnd, redelivered.get());
        } finally {
            pool.shutdownNow();
        }
    }
}
