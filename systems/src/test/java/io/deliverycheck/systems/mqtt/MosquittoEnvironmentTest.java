package io.deliverycheck.systems.mqtt;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAck;
import io.deliverycheck.checker.history.Recorder;
import io.deliverycheck.checker.runner.Fault;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A private Mosquitto with persistence: a QoS 2 round trip with the HiveMQ MQTT 5 client (the
 * broker's log shows the PUBREC/PUBREL/PUBCOMP handshake), the in-flight window the broker grants,
 * a message queued for an offline persistent session surviving a SIGKILL once saved, every fault
 * ability, and close leaving no process.
 */
class MosquittoEnvironmentTest {

    @Test
    void roundTripEveryFaultAndNothingLeftBehind(@TempDir Path dir) throws Exception {
        // save after every change, so "saved" is observable right after a publish
        MosquittoEnvironment env = new MosquittoEnvironment(MosquittoConfig.defaults().withAutosave(1, true).withLogPackets(true));
        List<Long> pids = new ArrayList<>();
        List<Mqtt5AsyncClient> clients = new ArrayList<>();
        try (Recorder rec = Recorder.open(dir.resolve("history.jsonl")); env) {
          try {
            env.setup(dir, rec);
            pids.add(env.pids().get("n1"));
            assertEquals(Set.of(Fault.PARTITION, Fault.KILL, Fault.PAUSE, Fault.DEVICE_DISCONNECT), env.faultKinds());
            assertTrue(env.clientEndpoint("n1").toString().startsWith("mqtt://127.0.0.1:"));
            assertTrue(Files.readString(dir.resolve("mosquitto/mosquitto.conf")).contains("persistence true"));
            int port = env.clientEndpoint("n1").getPort();

            List<String> received = new CopyOnWriteArrayList<>();
            AtomicInteger connects = new AtomicInteger();
            Mqtt5AsyncClient device = client("d-u2-phone", port, connects);
            clients.add(device);
            Mqtt5ConnAck ack = device.connectWith().cleanStart(false).sessionExpiryInterval(3600)
                    .restrictions().receiveMaximum(64).sendMaximum(64).applyRestrictions()
                    .send().get(10, TimeUnit.SECONDS);
            assertEquals(64, ack.getRestrictions().getReceiveMaximum(), "the broker grants a window of max_inflight_messages");
            device.subscribeWith().topicFilter("u/u2").qos(MqttQos.EXACTLY_ONCE)
                    .callback(p -> received.add(new String(p.getPayloadAsBytes(), StandardCharsets.UTF_8)))
                    .send().get(10, TimeUnit.SECONDS);

            Mqtt5AsyncClient sender = client("c1", port, new AtomicInteger());
            clients.add(sender);
            sender.connectWith().cleanStart(false).sessionExpiryInterval(3600)
                    .restrictions().sendMaximum(64).applyRestrictions().send().get(10, TimeUnit.SECONDS);
            publish(sender, "m1");
            await().atMost(Duration.ofSeconds(10)).until(() -> received.contains("m1"));
            String log = Files.readString(dir.resolve("logs/n1.log"));
            for (String step : List.of("Sending PUBREC to c1", "Received PUBREL from c1", "Sending PUBCOMP to c1",
                    "Received PUBREC from d-u2-phone", "Sending PUBREL to d-u2-phone", "Received PUBCOMP from d-u2-phone")) {
                assertTrue(log.contains(step), "QoS 2 handshake step missing from the broker log: " + step);
            }

            // a message queued for the offline device survives a kill once the database was saved
            device.disconnect().get(10, TimeUnit.SECONDS);
            FileTime before = savedAt(env);
            publish(sender, "m2");
            await().atMost(Duration.ofSeconds(10)).until(() -> savedAt(env).compareTo(before) > 0);
            long pid = env.pids().get("n1");
            env.kill("n1");
            assertFalse(alive(pid));
            env.restart("n1");
            assertNotEquals(pid, env.pids().get("n1"));
            pids.add(env.pids().get("n1"));
            device.connectWith().cleanStart(false).sessionExpiryInterval(3600)
                    .restrictions().receiveMaximum(64).applyRestrictions().send().get(10, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(20)).until(() -> received.contains("m2"));

            // pause and resume
            long pid2 = env.pids().get("n1");
            env.pause("n1");
            assertEquals("T", state(pid2));
            env.resume("n1");
            assertNotEquals("T", state(pid2));
            env.awaitHealthy(Duration.ofSeconds(10));

            // client disconnect: the device reconnects by itself
            int connected = connects.get();
            env.disconnectClients("n1");
            await().atMost(Duration.ofSeconds(20)).until(() -> connects.get() > connected && device.getState().isConnected());
            await().atMost(Duration.ofSeconds(20)).until(() -> sender.getState().isConnected());
            publish(sender, "m3");
            await().atMost(Duration.ofSeconds(10)).until(() -> received.contains("m3"));

            // client link cut: a new connection is closed at once until restored
            env.cutClients("n1");
            assertEquals(-1, connackByte(port), "the proxy closes new connections while cut");
            env.restoreClients("n1");
            await().atMost(Duration.ofSeconds(10)).until(() -> connackByte(port) == 0x20);
            assertEquals(List.of("m1", "m2", "m3"), received.stream().distinct().toList());
          } finally {
            // before the broker and its proxy go, so the clients do not reconnect into a closing proxy
            for (Mqtt5AsyncClient c : clients) {
                c.disconnect().exceptionally(e -> null).get(10, TimeUnit.SECONDS);
            }
          }
        }
        for (long pid : pids) {
            assertFalse(alive(pid), "pid " + pid + " still alive after close");
        }
    }

    @Test
    void plainThroughputLoopsAtQos1And2ConsumeEveryMessage(@TempDir Path dir) throws Exception {
        try (Recorder rec = Recorder.open(dir.resolve("history.jsonl")); MosquittoEnvironment env = new MosquittoEnvironment(MosquittoConfig.defaults())) {
            env.setup(dir, rec);
            for (int qos : new int[]{1, 2}) {
                io.deliverycheck.systems.nats.PlainLoop.Result r = MosquittoPlainBench.run(env,
                        MosquittoPlainBench.Params.defaults(2000, qos));
                System.out.println(r.summary()); // diagnostics only (target/surefire-reports/*-output.txt), never a recorded result
                assertEquals(2000, r.accept().getTotalCount(), r.summary());
                assertEquals(2000, r.endToEnd().getTotalCount(), r.summary());
            }
        }
    }

    @Test
    void badLimitsAreOneClearLine() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MosquittoConfig.defaults().withMaxInflightMessages(70000));
        assertEquals("Mosquitto max_inflight_messages=70000: expected 0 to 65535", e.getMessage());
    }

    static Mqtt5AsyncClient client(String id, int port, AtomicInteger connects) {
        return MqttClient.builder().useMqttVersion5().identifier(id).serverHost("127.0.0.1").serverPort(port)
                .automaticReconnect().initialDelay(100, TimeUnit.MILLISECONDS).maxDelay(1, TimeUnit.SECONDS).applyAutomaticReconnect()
                .addConnectedListener(c -> connects.incrementAndGet())
                .buildAsync();
    }

    static void publish(Mqtt5AsyncClient sender, String id) throws Exception {
        sender.publishWith().topic("u/u2").qos(MqttQos.EXACTLY_ONCE).payload(id.getBytes(StandardCharsets.UTF_8))
                .send().get(10, TimeUnit.SECONDS);
    }

    static FileTime savedAt(MosquittoEnvironment env) throws Exception {
        Path f = env.persistenceFile();
        return Files.exists(f) ? Files.getLastModifiedTime(f) : FileTime.fromMillis(0);
    }

    /** The first byte answering a CONNECT through the proxy (0x20 = CONNACK), or -1 when closed. */
    static int connackByte(int port) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(3000);
            s.getOutputStream().write(MosquittoEnvironment.connectPacket("deliverycheck-probe"));
            InputStream in = s.getInputStream();
            return in.read();
        } catch (java.net.SocketException e) {
            return -1;
        }
    }

    static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    static String state(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        return stat.substring(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    }
}
