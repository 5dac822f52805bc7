package io.deliverycheck.systems.mqtt;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import io.deliverycheck.systems.bench.PlainResult;
import io.deliverycheck.workloads.PlannedSend;
import io.deliverycheck.workloads.Roster;
import io.deliverycheck.workloads.SendPlan;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Recorder;

/**
 * MQTT's plain client for {@code bench systems}: the traffic of the harness's workload (the same
 * roster and send plan: one PUBLISH per recipient user to its topic, a persistent session per
 * device subscribed to its user's topic) done the plain way with the HiveMQ client and nothing
 * recorded: {@code publishers} connections each keeping up to {@code window} messages awaiting their
 * PUBACK/PUBCOMP (the send maximum), devices acknowledging each message as the client hands it over.
 * A message is accepted when every one of its publishes is acknowledged (at QoS 0: written);
 * delivered counts messages devices were handed; latency is from the publish to each delivery.
 * Topics {@code dcb/u/<user>}, client ids {@code dcb-...}: the harness's workload can run after it.
 */
public final class BenchMqtt {
    private BenchMqtt() {
    }

    static PlainResult run(URI endpoint, Roster roster, SendPlan plan, MqttClients.Options o, Duration warmup,
            Duration duration) throws Exception {
        List<Mqtt5AsyncClient> clients = new ArrayList<>();
        AtomicLong accepted = new AtomicLong();
        AtomicLong delivered = new AtomicLong();
        Recorder latency = new Recorder(3);
        try {
            for (String user : roster.users()) {
                for (String d : roster.devicesOf(user)) {
                    Mqtt5AsyncClient c = MqttClients.builder(endpoint, "dcb-" + user + "-" + d).buildAsync();
                    clients.add(c);
                    c.publishes(MqttGlobalPublishFilter.ALL, p -> {
                        latency.recordValue(Math.max(1, (System.nanoTime() - ByteBuffer.wrap(p.getPayloadAsBytes()).getLong()) / 1000));
                        delivered.incrementAndGet();
                    });
                    c.connectWith().cleanStart(true).sessionExpiryInterval(MqttClients.SESSION_EXPIRY_S)
                            .keepAlive(o.keepAliveSeconds())
                            .restrictions().receiveMaximum(o.receiveMaximum()).applyRestrictions()
                            .send().get(30, TimeUnit.SECONDS);
                    c.subscribeWith().topicFilter("dcb/u/" + user).qos(o.mqttQos()).send().get(30, TimeUnit.SECONDS);
                }
            }
            List<Thread> threads = new ArrayList<>();
            AtomicLong next = new AtomicLong();
            long start = System.nanoTime();
            long measureFrom = start + warmup.toNanos();
            long end = measureFrom + duration.toNanos();
            for (int p = 0; p < o.publishers(); p++) {
                Mqtt5AsyncClient c = MqttClients.builder(endpoint, "dcb-publisher-" + p).buildAsync();
                clients.add(c);
                c.connectWith().cleanStart(true).sessionExpiryInterval(MqttClients.SESSION_EXPIRY_S).keepAlive(o.keepAliveSeconds())
                        .restrictions().sendMaximum(o.window()).applyRestrictions()
                        .send().get(30, TimeUnit.SECONDS);
                Thread t = new Thread(() -> publish(c, plan, next, o, end, accepted), "bench-mqtt-publisher-" + p);
                t.setDaemon(true);
                threads.add(t);
            }
            threads.forEach(Thread::start);
            sleepUntil(measureFrom);
            long a0 = accepted.get();
            long d0 = delivered.get();
            latency.getIntervalHistogram();
            sleepUntil(end);
            double secs = (System.nanoTime() - measureFrom) / 1e9;
            long a = accepted.get() - a0;
            long d = delivered.get() - d0;
            var h = latency.getIntervalHistogram();
            for (Thread t : threads) {
                t.join(10_000);
            }
            return new PlainResult(a / secs, d / secs, h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0,
                    h.getTotalCount());
        } finally {
            for (Mqtt5AsyncClient c : clients) {
                try {
                    c.disconnect().exceptionally(e -> null).get(5, TimeUnit.SECONDS);
                } catch (Exception e) {
                    // closing
                }
            }
        }
    }

    /** Publishes plan slots on one connection, at most {@code window} messages unacknowledged. */
    private static void publish(Mqtt5AsyncClient c, SendPlan plan, AtomicLong next, MqttClients.Options o, long end,
            AtomicLong accepted) {
        Semaphore permits = new Semaphore(o.window());
        try {
            while (System.nanoTime() < end) {
                if (!permits.tryAcquire(10, TimeUnit.MILLISECONDS)) {
                    continue;
                }
                PlannedSend m = plan.slot(next.getAndIncrement());
                AtomicInteger left = new AtomicInteger(m.to().size());
                for (String user : m.to()) {
                    byte[] body = ByteBuffer.allocate(64).putLong(System.nanoTime()).array();
                    c.publishWith().topic("dcb/u/" + user).qos(o.mqttQos()).payload(body).send().whenComplete((r, e) -> {
                        if (left.decrementAndGet() == 0) {
                            permits.release();
                            if (e == null && r.getError().isEmpty()) {
                                accepted.incrementAndGet();
                            }
                        }
                    });
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleepUntil(long deadline) throws InterruptedException {
        long left;
        while ((left = deadline - System.nanoTime()) > 0) {
            TimeUnit.NANOSECONDS.sleep(Math.min(left, 100_000_000L));
        }
    }
}
