package io.deliverycheck.systems.nats;

import io.deliverycheck.workloads.ClientAdapter;
import io.deliverycheck.workloads.SendLink;
import io.deliverycheck.workloads.WorkloadContext;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The nats system's clients for the generic delivery workload (docs/systems.md, "NATS JetStream:
 * the client mapping"):
 * <ul>
 *   <li>{@link #prepare}: one file stream {@value #STREAM} on the subjects {@code dc.u.>} (a subject
 *       {@code dc.u.<user>} per user) with {@code replicas} replicas and the duplicate window, and a
 *       durable pull consumer {@code d_<user>_<device>} per device filtered on its user's subject,
 *       explicit acks, AckWait {@code ack-wait};</li>
 *   <li>{@link #connect}: one {@link NatsDevice} per device, its own connection, a pull
 *       subscription bound to its consumer;</li>
 *   <li>{@link #senders}: {@code publishers} connections ({@link NatsPublisher}), each with
 *       {@code window} sender processes sharing it, so up to {@code window} JetStream publishes await
 *       their PubAck on each connection at once.</li>
 * </ul>
 * The jnats connections reconnect by themselves (to the next server of their list), as a real
 * application's do; what that hides is visible as {@code info} sends and as redeliveries.
 */
final class NatsClients implements ClientAdapter {
    static final String STREAM = "DC";

    /** The knobs of the mapping. */
    record Options(int replicas, boolean ackSync, Duration ackWait, Duration dedupWindow, int window, int publishers,
            int fetch) {
        Options {
            if (replicas < 1 || window < 1 || publishers < 1 || fetch < 1) {
                throw new IllegalArgumentException("replicas, window, publishers and fetch must be >= 1");
            }
        }
    }

    private final Options options;
    private ScheduledExecutorService timers;
    private final List<NatsDevice> devices = new ArrayList<>();
    private final List<NatsPublisher> publishers = new ArrayList<>();
    private Map<String, String> nodeByUrl;

    NatsClients(Options options) {
        this.options = options;
    }

    static String subject(String user) {
        return "dc.u." + user;
    }

    static String consumer(String user, String device) {
        return "d_" + user + "_" + device;
    }

    /**
     * Connection options: every server, {@code first} first (no shuffling), reconnect for ever every
     * 250 ms, pings every 2 s (a dead server is noticed within about 4 s).
     */
    static io.nats.client.Options connection(WorkloadContext ctx, int first, String name) {
        List<String> urls = new ArrayList<>();
        for (int i = 0; i < ctx.nodes.size(); i++) {
            urls.add(ctx.env.clientEndpoint(ctx.nodes.get((first + i) % ctx.nodes.size())).toString());
        }
        return new io.nats.client.Options.Builder()
                .servers(urls.toArray(String[]::new))
                .noRandomize()
                .ignoreDiscoveredServers()
                .connectionName(name)
                .maxReconnects(-1)
                .reconnectWait(Duration.ofMillis(250))
                .connectionTimeout(Duration.ofMillis(Math.max(1000, ctx.timeoutMillis())))
                .pingInterval(Duration.ofSeconds(2))
                .maxPingsOut(2)
                .errorListener(new io.nats.client.ErrorListener() { })
                .build();
    }

    /** The node a connection is connected to, else {@code fallback}. */
    String nodeOf(Connection c, String fallback) {
        String url = c == null ? null : c.getConnectedUrl();
        if (url == null) {
            return fallback;
        }
        for (Map.Entry<String, String> e : nodeByUrl.entrySet()) {
            if (url.endsWith(e.getKey())) {
                return e.getValue();
            }
        }
        return fallback;
    }

    @Override
    public void prepare(WorkloadContext ctx) throws Exception {
        timers = Executors.newScheduledThreadPool(2, daemon("nats-clients"));
        nodeByUrl = new LinkedHashMap<>();
        for (String n : ctx.nodes) {
            java.net.URI u = ctx.env.clientEndpoint(n);
            nodeByUrl.put(u.getHost() + ":" + u.getPort(), n);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        try (Connection c = Nats.connect(connection(ctx, 0, "deliverycheck-setup"))) {
            JetStreamManagement jsm = c.jetStreamManagement();
            retrying(deadline, "creating stream " + STREAM, () -> jsm.addStream(StreamConfiguration.builder()
                    .name(STREAM).subjects("dc.u.>").storageType(StorageType.File).replicas(options.replicas())
                    .duplicateWindow(options.dedupWindow()).build()));
            for (String user : ctx.roster.users()) {
                for (String device : ctx.roster.devicesOf(user)) {
                    retrying(deadline, "creating consumer " + consumer(user, device), () -> jsm.addOrUpdateConsumer(STREAM,
                            ConsumerConfiguration.builder().durable(consumer(user, device)).filterSubject(subject(user))
                                    .ackPolicy(AckPolicy.Explicit).ackWait(options.ackWait())
                                    .deliverPolicy(DeliverPolicy.All).maxAckPending(10_000).build()));
                }
            }
        }
    }

    private interface Step {
        Object run() throws Exception;
    }

    /** A JetStream API call, retried while the cluster is still electing leaders (bounded by {@code deadline}). */
    private static void retrying(long deadline, String what, Step step) throws Exception {
        while (true) {
            try {
                step.run();
                return;
            } catch (JetStreamApiException | java.io.IOException e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(what + " failed: " + e.getMessage(), e);
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(250));
            }
        }
    }

    @Override
    public void connect(WorkloadContext ctx) throws Exception {
        int i = 0;
        for (String user : ctx.roster.users()) {
            for (String device : ctx.roster.devicesOf(user)) {
                devices.add(new NatsDevice(ctx, this, user, device, i++, options));
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (NatsDevice d : devices) {
            d.start(deadline);
        }
    }

    @Override
    public List<SendLink> senders(WorkloadContext ctx) {
        List<SendLink> links = new ArrayList<>();
        for (int p = 0; p < options.publishers(); p++) {
            NatsPublisher pub;
            try {
                pub = new NatsPublisher(ctx, this, p, timers);
            } catch (Exception e) {
                throw new IllegalStateException("publisher connection " + p + " failed: " + e.getMessage(), e);
            }
            publishers.add(pub);
            for (int w = 0; w < options.window(); w++) {
                links.add(pub);
            }
        }
        return links;
    }

    private boolean disconnected;

    @Override
    public synchronized void disconnect() {
        if (disconnected) {
            return;
        }
        disconnected = true;
        devices.forEach(NatsDevice::stop);
        devices.forEach(NatsDevice::close);
        publishers.forEach(NatsPublisher::close);
    }

    @Override
    public synchronized void close() {
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
