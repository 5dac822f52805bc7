package io.deliverycheck.systems.rabbitmq;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.deliverycheck.workloads.ClientAdapter;
import io.deliverycheck.workloads.Roster;
import io.deliverycheck.workloads.SendLink;
import io.deliverycheck.workloads.WorkloadContext;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The rabbitmq system's clients for the generic delivery workload (docs/systems.md, "RabbitMQ: the
 * client mapping"):
 * <ul>
 *   <li>{@link #prepare}: a durable fanout exchange {@code dc.x.<user>} per user and a durable queue
 *       {@code dc.q.<user>.<device>} per device ({@code x-queue-type} quorum or classic) bound to
 *       it, each queue declared through a connection to node {@code i mod N}, so queue leaders (and
 *       classic queues' homes) are spread over the cluster;</li>
 *   <li>{@link #connect}: one {@link RabbitDevice} per device, its own connection, prefetch
 *       {@code prefetch}, manual acks;</li>
 *   <li>{@link #senders}: {@code publishers} connections ({@link RabbitPublisher}), each with
 *       publisher confirms and {@code window} sender processes sharing it, so up to {@code window}
 *       publishes are unconfirmed on each connection at once.</li>
 * </ul>
 * No automatic recovery of the Java client: every reconnect is explicit and visible in the history
 * (a send that loses its connection is {@code info}; a device that loses its connection gets its
 * unacknowledged messages again, and records each as it is handed out).
 */
final class RabbitClients implements ClientAdapter {
    /** The knobs of the mapping. */
    record Options(String queueType, int window, int publishers, int prefetch, int heartbeatSeconds) {
        Options {
            if (!queueType.equals("quorum") && !queueType.equals("classic")) {
                throw new IllegalArgumentException("queue-type " + queueType + ": choose quorum or classic");
            }
            if (window < 1 || publishers < 1 || prefetch < 1) {
                throw new IllegalArgumentException("window, publishers and prefetch must be >= 1");
            }
        }
    }

    private final Options options;
    private ScheduledExecutorService timers;
    private ExecutorService dispatch;
    private ExecutorService reconnects;
    private final List<RabbitDevice> devices = new ArrayList<>();
    private final List<RabbitPublisher> publishers = new ArrayList<>();

    RabbitClients(Options options) {
        this.options = options;
    }

    static String exchange(String user) {
        return "dc.x." + user;
    }

    static String queue(String user, String device) {
        return "dc.q." + user + "." + device;
    }

    /** A connection factory for {@code node}'s client endpoint (through its proxy). */
    static ConnectionFactory factory(WorkloadContext ctx, String node, int heartbeatSeconds) {
        URI u = ctx.env.clientEndpoint(node);
        ConnectionFactory f = new ConnectionFactory();
        f.setHost(u.getHost());
        f.setPort(u.getPort());
        f.setUsername("guest");
        f.setPassword("guest");
        f.setAutomaticRecoveryEnabled(false);
        f.setTopologyRecoveryEnabled(false);
        f.setRequestedHeartbeat(heartbeatSeconds);
        f.setConnectionTimeout((int) ctx.timeoutMillis());
        f.setHandshakeTimeout((int) (2 * ctx.timeoutMillis()));
        f.setShutdownTimeout(0);
        return f;
    }

    @Override
    public void prepare(WorkloadContext ctx) throws Exception {
        timers = Executors.newScheduledThreadPool(2, daemon("rabbitmq-clients"));
        dispatch = Executors.newFixedThreadPool(2, daemon("rabbitmq-dispatch"));
        reconnects = Executors.newFixedThreadPool(2, daemon("rabbitmq-reconnect"));
        Roster roster = ctx.roster;
        List<Connection> admin = new ArrayList<>();
        try {
            for (String n : ctx.nodes) {
                admin.add(factory(ctx, n, options.heartbeatSeconds()).newConnection("deliverycheck-setup-" + n));
            }
            List<Channel> channels = new ArrayList<>();
            for (Connection c : admin) {
                channels.add(c.createChannel());
            }
            int i = 0;
            for (String user : roster.users()) {
                channels.get(0).exchangeDeclare(exchange(user), "fanout", true, false, null);
                for (String device : roster.devicesOf(user)) {
                    Channel ch = channels.get(i++ % channels.size());
                    ch.queueDeclare(queue(user, device), true, false, false, Map.of("x-queue-type", options.queueType()));
                    ch.queueBind(queue(user, device), exchange(user), "");
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException("declaring the rabbitmq exchanges and queues failed: " + e, e);
        } finally {
            for (Connection c : admin) {
                try {
                    c.abort(2000);
                } catch (RuntimeException ignored) {
                    // closing a setup connection
                }
            }
        }
    }

    @Override
    public void connect(WorkloadContext ctx) throws Exception {
        int i = 0;
        for (String user : ctx.roster.users()) {
            for (String device : ctx.roster.devicesOf(user)) {
                devices.add(new RabbitDevice(ctx, user, device, i++, options, timers, dispatch, reconnects));
            }
        }
        devices.forEach(RabbitDevice::start);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!devices.stream().allMatch(RabbitDevice::consuming)) {
            if (System.nanoTime() > deadline) {
                long down = devices.stream().filter(d -> !d.consuming()).count();
                throw new IllegalStateException(down + " of " + devices.size()
                        + " devices could not start consuming their queue within 30 s");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }

    @Override
    public List<SendLink> senders(WorkloadContext ctx) {
        List<SendLink> links = new ArrayList<>();
        for (int p = 0; p < options.publishers(); p++) {
            RabbitPublisher pub = new RabbitPublisher(ctx, p, options, timers);
            publishers.add(pub);
            for (int w = 0; w < options.window(); w++) {
                links.add(pub);
            }
        }
        return links;
    }

    @Override
    public void disconnect() {
        devices.forEach(RabbitDevice::close);
        publishers.forEach(RabbitPublisher::close);
    }

    @Override
    public void close() {
        disconnect();
        for (ExecutorService e : new ExecutorService[] {timers, dispatch, reconnects}) {
            if (e != null) {
                e.shutdownNow();
            }
        }
    }

    static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
