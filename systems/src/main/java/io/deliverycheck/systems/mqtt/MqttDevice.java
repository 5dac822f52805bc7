package io.deliverycheck.systems.mqtt;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.lifecycle.MqttClientDisconnectedContext;
import com.hivemq.client.mqtt.lifecycle.MqttDisconnectSource;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.lifecycle.Mqtt5ClientDisconnectedContext;
import com.hivemq.client.mqtt.mqtt5.message.connect.Mqtt5Connect;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.deliverycheck.checker.history.Op;
import io.deliverycheck.checker.history.OpType;
import io.deliverycheck.workloads.WorkloadContext;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * A device process {@code d:<user>/<device>}: one MQTT 5 client with the client id
 * {@code dc-<user>-<device>} and a persistent session (session expiry an hour; the first connect
 * starts it clean, every reconnect resumes it with clean start off), subscribed at QoS {@code qos} to
 * {@code dc/u/<user>}, with manual acknowledgement: each message the client hands over is applied in
 * the order handed, a {@code receive} recorded, then the {@code ack} invoked, the message acknowledged
 * (PUBACK at QoS 1, PUBREC at QoS 2, whose PUBREL/PUBCOMP the client completes; nothing at QoS 0) and
 * the ack completed {@code ok}, or {@code info} when the client refuses the acknowledgement. MQTT has
 * no reply to a PUBACK, so {@code ack ok} means the client took it, not that the broker processed it.
 *
 * <p>A lost connection (its source not the device itself) reconnects through the client's reconnector
 * after a jittered backoff (100 ms to 2 s, drawn from the seed), resuming the session: the broker
 * resends what was not acknowledged, and the device records each delivery it is handed again. If the
 * broker lost the session (a restart without it in its database), the client subscribes again (HiveMQ's
 * {@code resubscribeIfSessionExpired}, on by default).
 */
final class MqttDevice {
    private final WorkloadContext ctx;
    private final String user;
    private final String device;
    private final MqttClients.Options options;
    private final SplittableRandom random;
    private final Mqtt5AsyncClient client;
    private final Mqtt5Connect reconnect;
    private final Object ops = new Object();
    private volatile boolean subscribed;
    private volatile boolean closed;

    MqttDevice(WorkloadContext ctx, URI endpoint, String user, String device, int index, MqttClients.Options options) {
        this.ctx = ctx;
        this.user = user;
        this.device = device;
        this.options = options;
        this.random = new SplittableRandom(ctx.config.seed() * 31 + 2_000_000_011L + index);
        this.reconnect = connect(false);
        this.client = MqttClients.builder(endpoint, "dc-" + user + "-" + device)
                .addDisconnectedListener(this::disconnected)
                .buildAsync();
        client.publishes(MqttGlobalPublishFilter.ALL, this::handle, true);
    }

    private Mqtt5Connect connect(boolean cleanStart) {
        return Mqtt5Connect.builder().cleanStart(cleanStart).sessionExpiryInterval(MqttClients.SESSION_EXPIRY_S)
                .keepAlive(options.keepAliveSeconds())
                .restrictions().receiveMaximum(options.receiveMaximum()).applyRestrictions()
                .build();
    }

    void start() {
        client.connect(connect(true))
                .thenCompose(ack -> client.subscribeWith().topicFilter(MqttClients.topic(user)).qos(options.mqttQos()).send())
                .whenComplete((subAck, e) -> {
                    if (e == null && subAck.getReasonCodes().stream().noneMatch(c -> c.isError())) {
                        subscribed = true;
                    }
                });
    }

    boolean subscribed() {
        return subscribed;
    }

    /** The client's connection ended: unless the device closed it, reconnect after a jittered backoff. */
    private void disconnected(MqttClientDisconnectedContext c) {
        if (closed || ctx.closed() || c.getSource() == MqttDisconnectSource.USER) {
            return;
        }
        int attempts = c.getReconnector().getAttempts();
        long base = Math.min(2000, 100L << Math.min(attempts, 5));
        long delay;
        synchronized (random) {
            delay = base / 2 + random.nextLong(base / 2 + 1);
        }
        ((Mqtt5ClientDisconnectedContext) c).getReconnector().reconnect(true).connect(reconnect)
                .delay(delay, TimeUnit.MILLISECONDS);
    }

    /** One message handed over by the client (its thread, one at a time, in order). */
    private void handle(Mqtt5Publish p) {
        synchronized (ops) {
            if (closed || ctx.closed()) {
                return;
            }
            String id = new String(p.getPayloadAsBytes(), StandardCharsets.UTF_8);
            ctx.received(user, device, id, "n1");
            Op ack = ctx.ackInvoked(user, device, id, "n1");
            try {
                p.acknowledge();
                ctx.ackDone(ack, OpType.OK, null);
            } catch (RuntimeException e) {
                ctx.ackDone(ack, OpType.INFO, "acknowledge refused: " + e.getMessage());
            }
        }
    }

    void close() {
        closed = true;
        subscribed = false;
        try {
            client.disconnect().exceptionally(e -> null).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            // not connected, or already gone
        }
    }
}
