package io.deliverycheck.systems.sqs;

import io.deliverycheck.systems.bench.PlainResult;
import io.deliverycheck.workloads.PlannedSend;
import io.deliverycheck.workloads.Roster;
import io.deliverycheck.workloads.SendPlan;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Recorder;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * SQS FIFO's plain client for {@code bench systems}: the traffic of the harness's workload (the same
 * roster and send plan: a FIFO queue per device, one SendMessage per recipient device, the sender as
 * message group, the message id as deduplication id) with the SDK and nothing recorded:
 * {@code window} threads each sending one message after another, one thread per device receiving up
 * to {@code max-messages} and deleting each with DeleteMessage. A message is accepted when every one
 * of its SendMessage calls answered; delivered counts messages devices deleted; latency is from the
 * send to each receive (the body carries the send time). Queues {@code dcb-...fifo}.
 */
public final class BenchSqs {
    private BenchSqs() {
    }

    static PlainResult run(URI endpoint, Roster roster, SendPlan plan, SqsClients.Options o, Duration warmup, Duration duration)
            throws Exception {
        AtomicLong accepted = new AtomicLong();
        AtomicLong delivered = new AtomicLong();
        Recorder latency = new Recorder(3);
        List<SqsClient> clients = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(o.window() + roster.users().size() * 4, SqsClients.daemon("bench-sqs"));
        try {
            SqsClient sqs = SqsClients.client(endpoint, Duration.ofSeconds(10));
            clients.add(sqs);
            Map<String, String> urls = new HashMap<>();
            for (String user : roster.users()) {
                for (String d : roster.devicesOf(user)) {
                    urls.put(user + "/" + d, SqsClients.createQueue(sqs, "dcb-" + user + "-" + d + ".fifo", o.visibilityTimeoutSeconds()));
                }
            }
            long start = System.nanoTime();
            long measureFrom = start + warmup.toNanos();
            long end = measureFrom + duration.toNanos();
            for (String url : urls.values()) {
                SqsClient c = SqsClients.client(endpoint, Duration.ofSeconds(10));
                clients.add(c);
                pool.execute(() -> {
                    while (System.nanoTime() < end) {
                        try {
                            for (Message m : c.receiveMessage(b -> b.queueUrl(url).maxNumberOfMessages(o.maxMessages())
                                    .waitTimeSeconds(1)).messages()) {
                                latency.recordValue(Math.max(1, (System.nanoTime() - Long.parseLong(m.body())) / 1000));
                                c.deleteMessage(b -> b.queueUrl(url).receiptHandle(m.receiptHandle()));
                                delivered.incrementAndGet();
                            }
                        } catch (RuntimeException e) {
                            // a receive or delete that failed (e.g. timed out under load): an undeleted
                            // message comes back after the visibility timeout; the consumer goes on
                            // (it used to stop for good at its first error)
                        }
                    }
                });
            }
            AtomicLong next = new AtomicLong();
            for (int w = 0; w < o.window(); w++) {
                pool.execute(() -> {
                    while (System.nanoTime() < end) {
                        PlannedSend m = plan.slot(next.getAndIncrement());
                        try {
                            for (String user : m.to()) {
                                for (String d : roster.devicesOf(user)) {
                                    String body = Long.toString(System.nanoTime());
                                    sqs.sendMessage(b -> b.queueUrl(urls.get(user + "/" + d)).messageBody(body)
                                            .messageGroupId(m.from()).messageDeduplicationId(m.id()));
                                }
                            }
                            accepted.incrementAndGet();
                        } catch (RuntimeException e) {
                            // counted as not accepted
                        }
                    }
                });
            }
            sleepUntil(measureFrom);
            long a0 = accepted.get();
            long d0 = delivered.get();
            latency.getIntervalHistogram();
            sleepUntil(end);
            double secs = (System.nanoTime() - measureFrom) / 1e9;
            long a = accepted.get() - a0;
            long d = delivered.get() - d0;
            var h = latency.getIntervalHistogram();
            pool.shutdown();
            pool.awaitTermination(15, TimeUnit.SECONDS);
            return new PlainResult(a / secs, d / secs, h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0,
                    h.getTotalCount());
        } finally {
            pool.shutdownNow();
            clients.forEach(SqsClient::close);
        }
    }

    private static void sleepUntil(long deadline) throws InterruptedException {
        long left;
        while ((left = deadline - System.nanoTime()) > 0) {
            TimeUnit.NANOSECONDS.sleep(Math.min(left, 100_000_000L));
        }
    }
}
