package io.deliverycheck.systems.sqs;

import io.deliverycheck.workloads.ClientAdapter;
import io.deliverycheck.workloads.SendLink;
import io.deliverycheck.workloads.WorkloadContext;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * The sqs-fifo system's clients for the generic delivery workload (docs/systems.md, "SQS FIFO: the
 * client mapping"):
 * <ul>
 *   <li>{@link #prepare}: CreateQueue of a FIFO queue {@code dc-<user>-<device>.fifo} per device
 *       (explicit deduplication ids, the visibility timeout of the option);</li>
 *   <li>{@link #connect}: one {@link SqsDevice} per device, its own SDK client, receiving from its
 *       queue and deleting each message after its {@code receive} is recorded;</li>
 *   <li>{@link #senders}: one SDK client ({@link SqsSender}) with {@code window} sender processes
 *       sharing it, so up to {@code window} SendMessage calls are in flight at once.</li>
 * </ul>
 * The SDK retries nothing (its retry strategy is off): every retry is the harness's own, with the
 * same deduplication id, and visible in the history.
 */
final class SqsClients implements ClientAdapter {
    /** The knobs of the mapping. */
    record Options(int window, int visibilityTimeoutSeconds, int maxMessages) {
        Options {
            if (window < 1 || visibilityTimeoutSeconds < 1 || maxMessages < 1 || maxMessages > 10) {
                throw new IllegalArgumentException("window and visibility-timeout must be >= 1, max-messages 1..10");
            }
        }
    }

    private final Options options;
    private ScheduledExecutorService timers;
    private final Map<String, String> queueUrls = new HashMap<>();
    private final List<SqsDevice> devices = new ArrayList<>();
    private SqsSender sender;

    SqsClients(Options options) {
        this.options = options;
    }

    /** The FIFO queue of {@code user}'s {@code device}. */
    static String queue(String user, String device) {
        return "dc-" + user + "-" + device + ".fifo";
    }

    /** An SDK client for ElasticMQ behind {@code endpoint}: no SDK retries, each call bounded by {@code timeout}. */
    static SqsClient client(URI endpoint, Duration timeout) {
        return SqsClient.builder().endpointOverride(endpoint).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("x", "x")))
                .httpClient(UrlConnectionHttpClient.builder().connectionTimeout(timeout).socketTimeout(timeout).build())
                .overrideConfiguration(c -> c.retryStrategy(AwsRetryStrategy.doNotRetry()).apiCallTimeout(timeout))
                .build();
    }

    /** Creates the device's FIFO queue (idempotent: SQS returns the existing queue's URL) and returns its URL. */
    static String createQueue(SqsClient sqs, String name, int visibilityTimeoutSeconds) {
        return sqs.createQueue(b -> b.queueName(name).attributes(Map.of(
                QueueAttributeName.FIFO_QUEUE, "true",
                QueueAttributeName.CONTENT_BASED_DEDUPLICATION, "false",
                QueueAttributeName.VISIBILITY_TIMEOUT, Integer.toString(visibilityTimeoutSeconds)))).queueUrl();
    }

    @Override
    public void prepare(WorkloadContext ctx) {
        timers = Executors.newScheduledThreadPool(2, daemon("sqs-clients"));
        URI endpoint = ctx.env.clientEndpoint(ctx.nodes.get(0));
        // ElasticMQ's first answers can be slow on a loaded machine (its JIT is cold): CreateQueue is
        // idempotent, so each is tried up to 3 times with 30 s each
        try (SqsClient sqs = client(endpoint, Duration.ofSeconds(30))) {
            for (String user : ctx.roster.users()) {
                for (String device : ctx.roster.devicesOf(user)) {
                    RuntimeException last = null;
                    for (int attempt = 0; attempt < 3 && !queueUrls.containsKey(user + "/" + device); attempt++) {
                        try {
                            queueUrls.put(user + "/" + device, createQueue(sqs, queue(user, device), options.visibilityTimeoutSeconds()));
                        } catch (RuntimeException e) {
                            last = e;
                        }
                    }
                    if (!queueUrls.containsKey(user + "/" + device)) {
                        throw new IllegalStateException("creating the FIFO queue " + queue(user, device) + " failed 3 times: "
                                + last.getMessage(), last);
                    }
                }
            }
        }
    }

    @Override
    public void connect(WorkloadContext ctx) {
        URI endpoint = ctx.env.clientEndpoint(ctx.nodes.get(0));
        for (String user : ctx.roster.users()) {
            for (String device : ctx.roster.devicesOf(user)) {
                devices.add(new SqsDevice(ctx, endpoint, user, device, queueUrls.get(user + "/" + device), options));
            }
        }
        devices.forEach(SqsDevice::start);
        sender = new SqsSender(ctx, endpoint, queueUrls, options, timers);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!devices.stream().allMatch(SqsDevice::polling)) {
            if (System.nanoTime() > deadline) {
                long down = devices.stream().filter(d -> !d.polling()).count();
                throw new IllegalStateException(down + " of " + devices.size() + " devices could not receive from their queue within 120 s");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }

    @Override
    public List<SendLink> senders(WorkloadContext ctx) {
        List<SendLink> links = new ArrayList<>();
        for (int w = 0; w < options.window(); w++) {
            links.add(sender);
        }
        return links;
    }

    @Override
    public void disconnect() {
        devices.forEach(SqsDevice::close);
        if (sender != null) {
            sender.close();
        }
    }

    @Override
    public void close() {
        disconnect();
        if (timers != null) {
            timers.shutdownNow();
        }
    }

    static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
