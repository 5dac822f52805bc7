package io.deliverycheck.systems.mqtt;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5ClientBuilder;
import io.deliverycheck.workloads.ClientAdapter;
import io.deliverycheck.workloads.SendLink;
import io.deliverycheck.workloads.WorkloadContext;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The mqtt system's clients for the generic delivery workload (docs/systems.md, "MQTT: the client
 * mapping"):
 * <ul>
 *   <li>{@link #prepare}: nothing to declare (MQTT topics need no set-up);</li>
 *   <li>{@link #connect}: one {@link MqttDevice} per device, its own MQTT 5 persistent session
 *       subscribed at QoS {@code qos} to its user's topic {@code dc/u/<user>}, acknowledging each
 *       message after its {@code receive} is recorded; then the {@code publishers} connections;</li>
 *   <li>{@link #senders}: each publisher connection ({@link MqttPublisher}) with {@code window}
 *       sender processes sharing it, so up to {@code window} publishes are in flight on it.</li>
 * </ul>
 */
final class MqttClients implements ClientAdapter {
    /** The knobs of the mapping. */
    record Options(int qos, int window, int publishers, int receiveMaximum, int keepAliveSeconds) {
        Options {
            if (qos < 0 || qos > 2) {
                throw new IllegalArgumentException("qos " + qos + ": choose 0, 1 or 2");
            }
            if (window < 1 || publishers < 1 || receiveMaximum < 1 || keepAliveSeconds < 1) {
                throw new IllegalArgumentException("window, publishers, receive-maximum and keep-alive must be >= 1");
            }
        }

        MqttQos mqttQos() {
            return MqttQos.fromCode(qos);
        }
    }

    /** Sessions outlive a disconnect by this long (an hour: far longer than any run). */
    static final long SESSION_EXPIRY_S = 3600;

    private final Options options;
    private ScheduledExecutorService timers;
    private final List<MqttDevice> devices = new ArrayList<>();
    private final List<MqttPublisher> publishers = new ArrayList<>();

    MqttClients(Options options) {
        this.options = options;
    }

    /** The topic of {@code user}'s messages. */
    static String topic(String user) {
        return "dc/u/" + user;
    }

    /** An MQTT 5 client builder for the broker behind {@code endpoint} (its proxy), with the given client id. */
    static Mqtt5ClientBuilder builder(URI endpoint, String clientId) {
        return MqttClient.builder().useMqttVersion5().identifier(clientId)
                .serverHost(endpoint.getHost()).serverPort(endpoint.getPort());
    }

    @Override
    public void prepare(WorkloadContext ctx) {
        timers = Executors.newScheduledThreadPool(2, daemon("mqtt-clients"));
    }

    @Override
    public void connect(WorkloadContext ctx) throws Exception {
        URI endpoint = ctx.env.clientEndpoint(ctx.nodes.get(0));
        int i = 0;
        for (String user : ctx.roster.users()) {
            for (String device : ctx.roster.devicesOf(user)) {
                devices.add(new MqttDevice(ctx, endpoint, user, device, i++, options));
            }
        }
        devices.forEach(MqttDevice::start);
        for (int p = 0; p < options.publishers(); p++) {
            publishers.add(new MqttPublisher(ctx, endpoint, p, options, timers));
        }
        publishers.forEach(MqttPublisher::start);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!devices.stream().allMatch(MqttDevice::subscribed) || !publishers.stream().allMatch(MqttPublisher::connected)) {
            if (System.nanoTime() > deadline) {
                long down = devices.stream().filter(d -> !d.subscribed()).count();
                long pubs = publishers.stream().filter(p -> !p.connected()).count();
                throw new IllegalStateException(down + " of " + devices.size() + " devices could not subscribe and " + pubs
                        + " of " + publishers.size() + " publishers could not connect within 30 s");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }

    @Override
    public List<SendLink> senders(WorkloadContext ctx) {
        List<SendLink> links = new ArrayList<>();
        for (MqttPublisher pub : publishers) {
            for (int w = 0; w < options.window(); w++) {
                links.add(pub);
            }
        }
        return links;
    }

    @Override
    public void disconnect() {
        devices.forEach(MqttDevice::close);
        publishers.forEach(MqttPublisher::close);
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
