package io.deliverycheck.systems.kafka;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.history.Recorder;
import io.deliverycheck.checker.runner.Fault;
import io.deliverycheck.environments.disk.PowerLossFs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static io.deliverycheck.systems.kafka.KafkaClients.admin;
import static io.deliverycheck.systems.kafka.KafkaClients.consume;
import static io.deliverycheck.systems.kafka.KafkaClients.send;
import static io.deliverycheck.systems.kafka.KafkaClients.values;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A coordinated power loss of three real KRaft brokers (slow tier; root, /dev/fuse and fuse3, which
 * .ci/run installs: it fails rather than skips without them). Two topics, replication 3,
 * {@code min.insync.replicas=2}, each written with {@code acks=all}: one with Kafka's default flush
 * policy (the OS flushes), one with {@code flush.messages=1} (an fsync per record). After every
 * broker loses power at once, the second has every acknowledged record and the first has lost the
 * ones no disk held: an acknowledgement by every replica is not durability when all of them lose
 * power together (Kafka documents that it relies on replication, not on fsync).
 */
@Tag("slow")
class KafkaPowerLossTest {

    @Test
    void aPowerLossOfEveryBrokerKeepsFsyncedRecordsAndTakesBackTheRest(@TempDir Path dir) throws Exception {
        assertNull(PowerLossFs.problem(), "the power-loss file system must run here (CI installs fuse3)");
        KafkaEnvironment env = new KafkaEnvironment(KafkaClusterConfig.defaults(3));
        env.prepareFaults(Set.of(Fault.POWER_LOSS));
        try (Recorder rec = Recorder.open(dir.resolve("history.jsonl"))) {
            env.setup(dir, rec);
            assertTrue(env.faultKinds().contains(Fault.POWER_LOSS), env.faultKinds().toString());
            assertEquals(env.nodes(), env.powerLossMembers());
            for (String n : env.nodes()) {
                assertTrue(PowerLossFs.isMounted(dir.resolve("power-loss").resolve(n)), n + "'s log directory is mounted");
                assertTrue(Files.exists(dir.resolve("power-loss").resolve(n).resolve("meta.properties")));
            }
            try (Admin admin = admin(env, "n1")) {
                admin.createTopics(List.of(
                        new NewTopic("synced", 1, (short) 3).configs(Map.of("min.insync.replicas", "2", "flush.messages", "1")),
                        new NewTopic("unsynced", 1, (short) 3).configs(Map.of("min.insync.replicas", "2"))))
                        .all().get(30, TimeUnit.SECONDS);
            }
            env.workloadReady(); // the topics are on disk, as in a run: only the records are at risk
            try (KafkaProducer<String, String> producer = KafkaClients.producer(env)) {
                send(producer, "synced", values("s", 20));
                send(producer, "unsynced", values("u", 20));
            }
            assertEquals(20, endOffset(env, "unsynced"), "every record acknowledged by all three replicas");

            ObjectNode dropped = env.powerOff(env.nodes());
            assertTrue(dropped.path("reverted_files").asLong() + dropped.path("undone_ops").asLong() > 0, dropped.toString());
            for (long pid : env.pids().values()) {
                assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "every broker lost power");
            }
            env.powerOn(env.nodes());
            env.powerOn(env.nodes()); // idempotent: every broker is up

            assertEquals(values("s", 20), consume(env, "synced", "g-synced", 20), "fsynced records survive");
            long kept = endOffset(env, "unsynced");
            assertTrue(kept < 20, "records no disk held are gone after a power loss of every replica: kept " + kept);
        } finally {
            env.close();
        }
        for (String n : List.of("n1", "n2", "n3")) {
            assertFalse(PowerLossFs.isMounted(dir.resolve("power-loss").resolve(n)), "close unmounts " + n);
        }
    }

    /** The log end offset of partition 0 of {@code topic}, once a leader answers for it. */
    private static long endOffset(KafkaEnvironment env, String topic) {
        TopicPartition tp = new TopicPartition(topic, 0);
        long[] out = new long[1];
        await().atMost(Duration.ofSeconds(90)).ignoreExceptions().until(() -> {
            try (Admin a = admin(env, "n1")) {
                out[0] = a.listOffsets(Map.of(tp, OffsetSpec.latest())).partitionResult(tp).get(10, TimeUnit.SECONDS).offset();
                return true;
            }
        });
        return out[0];
    }
}
