package io.deliverycheck.systems.kafka;

import io.deliverycheck.checker.history.Recorder;
import io.deliverycheck.checker.runner.Fault;
import io.deliverycheck.checker.runner.Grudge;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static io.deliverycheck.systems.kafka.KafkaClients.admin;
import static io.deliverycheck.systems.kafka.KafkaClients.consume;
import static io.deliverycheck.systems.kafka.KafkaClients.ids;
import static io.deliverycheck.systems.kafka.KafkaClients.partition;
import static io.deliverycheck.systems.kafka.KafkaClients.send;
import static io.deliverycheck.systems.kafka.KafkaClients.values;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three real KRaft brokers (slow tier: a start takes 20-40 s on the loaded 2-core machine): a topic
 * with replication 3 and min.insync.replicas 2 keeps taking acks=all writes through a killed broker,
 * an isolated broker and a paused one, every write is read back once and in order, and close leaves
 * no broker alive.
 */
@Tag("slow")
class KafkaEnvironmentTest {

    private static final String TOPIC = "t";

    @Test
    void threeBrokersTakeWritesThroughKillPartitionAndPauseAndLeaveNothingBehind(@TempDir Path dir) throws Exception {
        KafkaEnvironment env = new KafkaEnvironment(KafkaClusterConfig.defaults(3));
        List<String> sent = new ArrayList<>();
        Collection<Long> pids;
        List<InetSocketAddress> proxies = new ArrayList<>();
        try (Recorder rec = Recorder.open(dir.resolve("history.jsonl"))) {
            env.setup(dir, rec);
            assertEquals(List.of("n1", "n2", "n3"), env.nodes());
            assertEquals(Set.of(Fault.PARTITION, Fault.KILL, Fault.PAUSE, Fault.LINK_DELAY, Fault.DEVICE_DISCONNECT), env.faultKinds());
            assertEquals(3, env.pids().size());
            assertEquals("4.3.1", KafkaEnvironment.kafkaVersion());
            for (String n : env.nodes()) {
                URI e = env.clientEndpoint(n);
                assertEquals("kafka", e.getScheme());
                proxies.add(new InetSocketAddress(e.getHost(), e.getPort()));
                assertTrue(Files.size(dir.resolve("logs/kafka-" + n + ".log")) > 0);
                String meta = Files.readString(dir.resolve("kafka/" + n + "/data/meta.properties"));
                assertTrue(meta.contains("cluster.id=" + env.clusterId()), meta);
            }

            try (KafkaProducer<String, String> producer = KafkaClients.producer(env)) {
                try (Admin admin = admin(env, "n1")) {
                    admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 3)
                            .configs(Map.of("min.insync.replicas", "2")))).all().get(30, TimeUnit.SECONDS);
                }
                send(producer, TOPIC, values("a", 10));
                sent.addAll(values("a", 10));
                assertEquals(sent, consume(env, TOPIC, "g1", sent.size()));

                // kill a follower: acks=all goes on once the ISR drops it, and it rejoins after restart
                String leader = leader(env, "n1");
                String killed = follower(env, leader);
                long pid = env.pids().get(killed);
                env.kill(killed);
                assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "SIGKILLed");
                send(producer, TOPIC, values("b", 5));
                sent.addAll(values("b", 5));
                awaitIsrWithout(env, leader, killed);
                env.restart(killed);
                assertTrue(env.pids().get(killed) != pid, "a new process");
                awaitFullIsr(env, leader);

                // isolate a follower from the other brokers: the majority fences it and goes on
                leader = leader(env, "n1");
                String isolated = follower(env, leader);
                List<String> others = env.nodes().stream().filter(n -> !n.equals(isolated)).toList();
                env.partition(Grudge.ofComponents(env.nodes(), List.of(List.of(isolated), others)));
                for (String o : others) {
                    assertEquals(0, env.linkProxy(isolated, o).openConnections(), isolated + " -> " + o);
                    assertEquals(0, env.linkProxy(o, isolated).openConnections(), o + " -> " + isolated);
                }
                String majority = leader;
                await().atMost(Duration.ofSeconds(60)).until(() -> {
                    try (Admin a = admin(env, majority)) {
                        return !ids(a.describeCluster().nodes().get(10, TimeUnit.SECONDS)).contains(env.brokerId(isolated));
                    }
                });
                send(producer, TOPIC, values("c", 5));
                sent.addAll(values("c", 5));
                awaitIsrWithout(env, leader, isolated);
                assertTrue(env.linkProxy(isolated, leader).counts()[1] > 0, "the isolated broker kept trying and was refused");
                env.heal();
                env.awaitHealthy(Duration.ofSeconds(90));
                awaitFullIsr(env, leader);

                // pause a broker: it answers nothing until resumed
                String paused = follower(env, leader(env, "n1"));
                env.pause(paused);
                try (Admin a = admin(env, leader(env, "n1"))) {
                    ConfigResource r = new ConfigResource(ConfigResource.Type.BROKER, Integer.toString(env.brokerId(paused)));
                    ExecutionException e = assertThrows(ExecutionException.class,
                            () -> a.describeConfigs(List.of(r)).all().get(30, TimeUnit.SECONDS));
                    assertNotNull(e.getCause());
                }
                env.resume(paused);
                env.awaitHealthy(Duration.ofSeconds(90));
                send(producer, TOPIC, values("d", 5));
                sent.addAll(values("d", 5));

                // clients at a broker are disconnected and come back
                env.disconnectClients(leader(env, "n1"));
                send(producer, TOPIC, values("e", 5));
                sent.addAll(values("e", 5));
            }
            assertEquals(sent, consume(env, TOPIC, "g2", sent.size()), "every acknowledged write once, in order");

            // the plain-client loop of bench systems, on the healed cluster
            KafkaPlainBench.Result bench = KafkaPlainBench.run(env, 3, 0);
            assertTrue(bench.acked() > 0 && bench.failed() == 0, bench.lines().toString());
            assertEquals(bench.acked(), bench.consumed(), bench.lines().toString());
            assertEquals(0, bench.duplicates());
            assertEquals(bench.acked(), bench.ack().count());
            assertTrue(bench.ack().p50() > 0 && bench.endToEnd().p50() >= bench.ack().p50() / 10, bench.lines().toString());
            System.out.println(String.join("\n", bench.lines()));
            pids = env.pids().values();
            assertEquals(3, pids.size());
        } finally {
            env.close();
        }
        for (long pid : pids) {
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "pid " + pid + " outlived close");
        }
        assertTrue(env.pids().isEmpty());
        env.close(); // idempotent
        for (InetSocketAddress a : proxies) {
            assertThrows(IOException.class, () -> {
                try (Socket s = new Socket()) {
                    s.connect(a, 1000);
                }
            }, "client proxy " + a + " still listens");
        }
    }

    private static String leader(KafkaEnvironment env, String askVia) throws Exception {
        try (Admin a = admin(env, askVia)) {
            return env.nodeOf(partition(a, TOPIC).leader().id());
        }
    }

    private static String follower(KafkaEnvironment env, String leader) {
        return env.nodes().stream().filter(n -> !n.equals(leader)).reduce((x, y) -> y).orElseThrow();
    }

    /** Waits until the leader's view of the ISR excludes {@code node}. */
    private static void awaitIsrWithout(KafkaEnvironment env, String leader, String node) {
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            try (Admin a = admin(env, leader)) {
                TopicPartitionInfo p = partition(a, TOPIC);
                return !ids(p.isr()).contains(env.brokerId(node)) && ids(p.isr()).size() == 2;
            }
        });
    }

    private static void awaitFullIsr(KafkaEnvironment env, String askVia) {
        await().atMost(Duration.ofSeconds(90)).until(() -> {
            try (Admin a = admin(env, askVia)) {
                return partition(a, TOPIC).isr().size() == 3;
            }
        });
    }
}
