package io.deliverycheck.systems.mqtt;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import io.deliverycheck.systems.nats.PlainLoop;
import org.HdrHistogram.Histogram;

import java.time.Duration;
import java.util.BitSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The plain HiveMQ MQTT 5 client throughput loop against a {@link MosquittoEnvironment}: QoS 1
 * (PUBACK) or QoS 2 (PUBCOMP) publishes with at most {@code window} in flight (the client's send
 * maximum, itself capped by the broker's Receive Maximum), and a subscriber at the same QoS whose
 * client acknowledges each message once its callback returned. A connection lost midway ends the
 * loop with its cause (a plain loop does not reconnect). No recording: the
 * loop {@code bench systems} compares the harness with.
 */
public final class MosquittoPlainBench {

    private static final String TOPIC = "bench/u1";

    private MosquittoPlainBench() {
    }

    /**
     * @param window the publisher's send maximum (publishes awaiting PUBACK/PUBCOMP)
     * @param receiveMaximum the subscriber's Receive Maximum (its prefetch); MQTT's default is 65535.
     *     Mosquitto 2.0.11 (Debian 12) exceeds a smaller one at QoS 2 (its issue 2306, fixed in
     *     2.0.13), and a client that follows the specification, as HiveMQ's does, then disconnects
     */
    public record Params(int messages, int window, int receiveMaximum, int payloadBytes, int qos, Duration timeout) {
        public Params {
            if (qos < 1 || qos > 2) {
                throw new IllegalArgumentException("the plain MQTT loop publishes with QoS 1 or 2, not " + qos);
            }
        }

        public static Params defaults(int messages, int qos) {
            return new Params(messages, 64, 65535, 100, qos, Duration.ofSeconds(120));
        }
    }

    public static PlainLoop.Result run(MosquittoEnvironment env, Params p) throws Exception {
        MqttQos qos = MqttQos.fromCode(p.qos());
        int port = env.clientEndpoint("n1").getPort();
        Histogram accept = PlainLoop.histogram();
        Histogram endToEnd = PlainLoop.histogram();
        BitSet seen = new BitSet(p.messages());
        AtomicLong redelivered = new AtomicLong();
        CountDownLatch all = new CountDownLatch(p.messages());
        AtomicReference<Throwable> lost = new AtomicReference<>();
        Mqtt5AsyncClient sub = client("bench-sub", port, lost);
        Mqtt5AsyncClient pub = client("bench-pub", port, lost);
        try {
            sub.connectWith().cleanStart(true).sessionExpiryInterval(600)
                    .restrictions().receiveMaximum(p.receiveMaximum()).applyRestrictions()
                    .send().get(10, TimeUnit.SECONDS);
            sub.subscribeWith().topicFilter(TOPIC).qos(qos).callback(m -> {
                byte[] payload = m.getPayloadAsBytes();
                int seq = PlainLoop.seqOf(payload);
                synchronized (seen) {
                    if (seen.get(seq)) {
                        redelivered.incrementAndGet();
                        return;
                    }
                    seen.set(seq);
                }
                PlainLoop.record(endToEnd, PlainLoop.ageMicros(payload));
                all.countDown();
            }).send().get(10, TimeUnit.SECONDS);
            pub.connectWith().cleanStart(true)
                    .restrictions().sendMaximum(Math.max(p.window(), 1)).applyRestrictions()
                    .send().get(10, TimeUnit.SECONDS);
            long start = System.nanoTime();
            long publishNanos = PlainLoop.publishAll(p.messages(), p.window(), p.payloadBytes(),
                    (seq, payload) -> pub.publishWith().topic(TOPIC).qos(qos).payload(payload).send()
                            .thenApply(r -> {
                                r.getError().ifPresent(e -> {
                                    throw new IllegalStateException(e);
                                });
                                return r;
                            }),
                    accept, p.timeout());
            long deadline = System.nanoTime() + p.timeout().toNanos();
            while (!all.await(100, TimeUnit.MILLISECONDS) && System.nanoTime() < deadline && lost.get() == null) {
                // waiting for the subscriber; a lost connection ends the wait (a plain loop does not reconnect)
            }
            if (lost.get() != null) {
                throw new IllegalStateException("QoS " + p.qos() + ": a client lost its connection after " + (p.messages() - all.getCount()) + " of "
                        + p.messages() + " consumed: " + lost.get(), lost.get());
            }
            if (all.getCount() > 0) {
                throw new IllegalStateException("consumed " + (p.messages() - all.getCount()) + " of " + p.messages() + " within " + p.timeout());
            }
            long total = System.nanoTime() - start;
            return new PlainLoop.Result("mqtt-qos" + p.qos(), p.messages(), p.window(), p.payloadBytes(), publishNanos, total,
                    accept, endToEnd, redelivered.get());
        } finally {
            pub.disconnect().exceptionally(e -> null).get(10, TimeUnit.SECONDS);
            sub.disconnect().exceptionally(e -> null).get(10, TimeUnit.SECONDS);
        }
    }

    private static Mqtt5AsyncClient client(String id, int port, AtomicReference<Throwable> lost) {
        return MqttClient.builder().useMqttVersion5().identifier(id).serverHost("127.0.0.1").serverPort(port)
                .addDisconnectedListener(c -> {
                    if (c.getSource() != com.hivemq.client.mqtt.lifecycle.MqttDisconnectSource.USER) {
                        lost.compareAndSet(null, new IllegalStateException(id + " disconnected by " + c.getSource() + ": " + c.getCause(), c.getCause()));
                    }
                })
                .buildAsync();
    }
}
