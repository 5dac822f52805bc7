package io.deliverycheck.systems.mqtt;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.hivemq.client.mqtt.lifecycle.MqttClientDisconnectedContext;
import com.hivemq.client.mqtt.lifecycle.MqttDisconnectSource;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubRecException;
import com.hivemq.client.mqtt.mqtt5.lifecycle.Mqtt5ClientDisconnectedContext;
import com.hivemq.client.mqtt.mqtt5.message.connect.Mqtt5Connect;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import io.deliverycheck.checker.history.OpType;
import io.deliverycheck.workloads.Outcome;
import io.deliverycheck.workloads.PlannedSend;
import io.deliverycheck.workloads.SendLink;
import io.deliverycheck.workloads.WorkloadContext;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One publisher connection (an MQTT 5 client with a persistent session and a send maximum of
 * {@code window}), shared by {@code window} sender processes. A send is one PUBLISH at QoS
 * {@code qos} to {@code dc/u/<user>} per recipient user (the payload is the message id), and it is
 * <ul>
 *   <li>{@code ok} when the broker acknowledged every one of them (PUBACK at QoS 1; PUBREC, then
 *       PUBREL answered by PUBCOMP at QoS 2, the client's own handshake) with a success reason code,
 *       or, at QoS 0, when the client wrote every one of them (QoS 0 has no acknowledgement);</li>
 *   <li>{@code fail} when the broker refused every one of them with an error reason code;</li>
 *   <li>{@code info} otherwise: no acknowledgement within the request timeout, a lost connection,
 *       a session the broker no longer had.</li>
 * </ul>
 * Never retried by the harness: a QoS 1/2 publish whose acknowledgement did not come is still in the
 * client's session and the client sends it again (DUP) when it reconnects, which is how MQTT recovers
 * it; a new PUBLISH of the same message would be a second message that no QoS deduplicates, and at
 * QoS 0 a second copy is what at-most-once forbids. A lost connection reconnects through the
 * client's reconnector (100 ms to 2 s backoff), resuming the session (clean start off).
 */
final class MqttPublisher implements SendLink {
    private final WorkloadContext ctx;
    private final MqttClients.Options options;
    private final ScheduledExecutorService timers;
    private final ExecutorService thread;
    private final Mqtt5AsyncClient client;
    private final Mqtt5Connect reconnect;
    private volatile boolean connected;
    private volatile boolean closed;

    MqttPublisher(WorkloadContext ctx, URI endpoint, int index, MqttClients.Options options, ScheduledExecutorService timers) {
        this.ctx = ctx;
        this.options = options;
        this.timers = timers;
        this.thread = Executors.newSingleThreadExecutor(MqttClients.daemon("mqtt-publisher-" + index));
        this.reconnect = connect(false);
        this.client = MqttClients.builder(endpoint, "dc-publisher-" + index)
                .addDisconnectedListener(this::disconnected)
                .buildAsync();
    }

    private Mqtt5Connect connect(boolean cleanStart) {
        return Mqtt5Connect.builder().cleanStart(cleanStart).sessionExpiryInterval(MqttClients.SESSION_EXPIRY_S)
                .keepAlive(options.keepAliveSeconds())
                .restrictions().sendMaximum(options.window()).applyRestrictions()
                .build();
    }

    void start() {
        client.connect(connect(true)).whenComplete((ack, e) -> connected = e == null);
    }

    boolean connected() {
        return connected;
    }

    private void disconnected(MqttClientDisconnectedContext c) {
        if (closed || ctx.closed() || c.getSource() == MqttDisconnectSource.USER) {
            return;
        }
        long delay = Math.min(2000, 100L << Math.min(c.getReconnector().getAttempts(), 5));
        ((Mqtt5ClientDisconnectedContext) c).getReconnector().reconnect(true).connect(reconnect)
                .delay(delay, TimeUnit.MILLISECONDS);
    }

    @Override
    public void execute(Runnable task) {
        try {
            thread.execute(task);
        } catch (RejectedExecutionException e) {
            // closed: the workload is over
        }
    }

    @Override
    public void schedule(long delayMs, Runnable task) {
        try {
            timers.schedule(() -> execute(task), delayMs, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closed
        }
    }

    @Override
    public String node(PlannedSend m, int attempt) {
        return "n1";
    }

    @Override
    public CompletionStage<Outcome> send(String target, PlannedSend m, ObjectNode value, int attempt) {
        CompletableFuture<Outcome> result = new CompletableFuture<>();
        if (closed) {
            result.complete(unknown("client closed"));
            return result;
        }
        byte[] payload = m.id().getBytes(StandardCharsets.UTF_8);
        List<CompletableFuture<Mqtt5PublishResult>> parts = m.to().stream()
                .map(user -> client.publishWith().topic(MqttClients.topic(user)).qos(options.mqttQos()).payload(payload).send())
                .toList();
        timers.schedule(() -> result.complete(unknown("no " + (options.qos() == 2 ? "PUBCOMP" : options.qos() == 1 ? "PUBACK" : "write")
                + " within " + ctx.timeoutMillis() + " ms")), ctx.timeoutMillis(), TimeUnit.MILLISECONDS);
        CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).whenComplete((v, e) -> result.complete(outcome(parts)));
        return result;
    }

    /** Every part is done: ok when all succeeded, fail when the broker refused all, else unknown. */
    private static Outcome outcome(List<CompletableFuture<Mqtt5PublishResult>> parts) {
        int ok = 0;
        int refused = 0;
        String error = null;
        for (CompletableFuture<Mqtt5PublishResult> f : parts) {
            Throwable t;
            try {
                t = f.join().getError().orElse(null);
            } catch (RuntimeException e) {
                t = e.getCause() != null ? e.getCause() : e;
            }
            if (t == null) {
                ok++;
            } else {
                if (t instanceof Mqtt5PubAckException || t instanceof Mqtt5PubRecException) {
                    refused++;
                }
                error = t.getClass().getSimpleName() + ": " + t.getMessage();
            }
        }
        if (ok == parts.size()) {
            return Outcome.ok(null);
        }
        if (refused == parts.size()) {
            return Outcome.fail("the broker refused every publish: " + error, false);
        }
        return unknown(error);
    }

    /** Unknown, and not retried: the client's session owns the publish (see the class comment). */
    private static Outcome unknown(String error) {
        return new Outcome(OpType.INFO, error, null, false);
    }

    void close() {
        closed = true;
        connected = false;
        thread.shutdownNow();
        try {
            client.disconnect().exceptionally(e -> null).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            // not connected, or already gone
        }
    }
}
