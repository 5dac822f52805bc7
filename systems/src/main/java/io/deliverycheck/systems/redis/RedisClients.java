package io.deliverycheck.systems.redis;

import io.deliverycheck.workloads.ClientAdapter;
import io.deliverycheck.workloads.SendLink;
import io.deliverycheck.workloads.WorkloadContext;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisBusyException;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The redis-streams system's clients for the generic delivery workload (docs/systems.md, "Redis
 * Streams: the client mapping"):
 * <ul>
 *   <li>{@link #prepare}: a stream {@code dc:s:<user>} per user and on it a consumer group
 *       {@code g:<device>} per device of the user ({@code XGROUP CREATE ... 0 MKSTREAM});</li>
 *   <li>{@link #connect}: one {@link RedisDevice} per device, its own connection, reading its group
 *       with XREADGROUP, acknowledging with XACK, taking back its entries pending too long with
 *       XAUTOCLAIM;</li>
 *   <li>{@link #senders}: {@code publishers} connections ({@link RedisPublisher}), each with
 *       {@code window} sender processes sharing it (Lettuce pipelines: up to {@code window} XADDs
 *       await their reply on each connection at once).</li>
 * </ul>
 * Lettuce reconnects by itself and re-sends what was queued (its default, at-least-once command
 * delivery), as a real application's client does; the history sees the outcome as {@code info}
 * sends and redeliveries.
 */
final class RedisClients implements ClientAdapter {
    /** The knobs of the mapping. */
    record Options(Duration claimIdle, int window, int publishers, int count) {
        Options {
            if (window < 1 || publishers < 1 || count < 1) {
                throw new IllegalArgumentException("window, publishers and count must be >= 1");
            }
        }
    }

    /** How long a device's XREADGROUP blocks. */
    static final Duration BLOCK = Duration.ofSeconds(1);

    private final Options options;
    private ClientResources resources;
    private RedisClient client;
    private ScheduledExecutorService timers;
    private final List<RedisDevice> devices = new ArrayList<>();
    private final List<RedisPublisher> publishers = new ArrayList<>();

    RedisClients(Options options) {
        this.options = options;
    }

    static String stream(String user) {
        return "dc:s:" + user;
    }

    static String group(String device) {
        return "g:" + device;
    }

    /** A Lettuce client for the environment's one server, reconnecting for ever, commands timed out after {@code timeout}. */
    static RedisClient client(ClientResources resources, java.net.URI endpoint, Duration timeout) {
        RedisClient c = RedisClient.create(resources, RedisURI.create(endpoint.toString()));
        c.setOptions(ClientOptions.builder().autoReconnect(true)
                .socketOptions(SocketOptions.builder().connectTimeout(timeout).build())
                .timeoutOptions(TimeoutOptions.enabled(timeout)).build());
        return c;
    }

    @Override
    public void prepare(WorkloadContext ctx) throws Exception {
        timers = Executors.newScheduledThreadPool(2, daemon("redis-clients"));
        resources = DefaultClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(2).build();
        client = client(resources, ctx.env.clientEndpoint(ctx.nodes.get(0)), Duration.ofMillis(Math.max(1000, ctx.timeoutMillis())));
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            for (String user : ctx.roster.users()) {
                for (String device : ctx.roster.devicesOf(user)) {
                    try {
                        c.sync().xgroupCreate(XReadArgs.StreamOffset.from(stream(user), "0"), group(device),
                                XGroupCreateArgs.Builder.mkstream());
                    } catch (RedisBusyException e) {
                        // BUSYGROUP: it exists already
                    }
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException("creating the redis streams and consumer groups failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void connect(WorkloadContext ctx) throws Exception {
        for (String user : ctx.roster.users()) {
            for (String device : ctx.roster.devicesOf(user)) {
                RedisDevice d = new RedisDevice(ctx, client, user, device, options);
                devices.add(d);
                d.start();
            }
        }
    }

    @Override
    public List<SendLink> senders(WorkloadContext ctx) {
        List<SendLink> links = new ArrayList<>();
        for (int p = 0; p < options.publishers(); p++) {
            RedisPublisher pub = new RedisPublisher(ctx, client, p, timers);
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
        devices.forEach(RedisDevice::stop);
        devices.forEach(RedisDevice::close);
        publishers.forEach(RedisPublisher::close);
    }

    @Override
    public synchronized void close() {
        disconnect();
        if (timers != null) {
            timers.shutdownNow();
        }
        if (client != null) {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            client = null;
        }
        if (resources != null) {
            resources.shutdown(0, 2, TimeUnit.SECONDS);
            resources = null;
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
