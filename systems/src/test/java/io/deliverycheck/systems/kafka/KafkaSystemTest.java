package io.deliverycheck.systems.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deliverycheck.checker.runner.Fault;
import io.deliverycheck.systems.Claims;
import io.deliverycheck.systems.RunParameters;
import io.deliverycheck.systems.Systems;
import io.deliverycheck.workloads.WorkloadConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The kafka door without a broker: options, the settings the brokers get, claims, one-line user errors. */
class KafkaSystemTest {
    private static final WorkloadConfig WC = WorkloadConfig.defaults(1);

    private static KafkaMapping.Options options(int nodes, String... pairs) {
        Systems.Chosen c = Systems.choose("kafka", List.of(pairs), null, List.of());
        return ((KafkaSystem) c.system()).options(new RunParameters(nodes, "local", WC), c.settings());
    }

    @Test
    void defaultsAreKafkasDurableSettingsOnThreeBrokers() {
        KafkaMapping.Options o = options(3);
        assertEquals(KafkaMapping.Options.defaults(3), o);
        assertEquals("all", o.acks());
        assertTrue(o.idempotent());
        assertEquals(3, o.replication());
        assertEquals(2, o.minInsync());
        assertFalse(o.uncleanElection());
        assertEquals(64, o.window());
        Systems.Chosen c = Systems.choose("kafka", List.of("unclean-election=true", "min-insync=1"), null, List.of());
        KafkaClusterConfig cfg = ((KafkaSystem) c.system()).config(new RunParameters(3, "local", WC), c.settings());
        assertEquals("true", cfg.broker().get("unclean.leader.election.enable"));
        assertEquals("1", cfg.broker().get("min.insync.replicas"));
        assertEquals(1, options(1).replication());
        assertEquals(1, options(1).minInsync());
    }

    @Test
    void acksOneTurnsIdempotenceOffAsKafkaDoesUnlessItIsAskedFor() {
        KafkaMapping.Options o = options(3, "acks=1");
        assertEquals("1", o.acks());
        assertFalse(o.idempotent());
        assertFalse(options(3, "idempotence=false").idempotent());
        assertMessage("--system-opt idempotence=true: Kafka's idempotent producer needs acks=all, not acks=1"
                + " (use idempotence=auto or false)", () -> options(3, "acks=1", "idempotence=true"));
    }

    @Test
    void claimsAtLeastOnceAndPerSenderOrderForEverySetting() {
        for (String s : List.of("acks=all", "acks=1", "unclean-election=true", "partitions=4")) {
            Claims c = Systems.choose("kafka", List.of(s), null, List.of()).claims();
            assertEquals("at-least-once", c.guarantee(), s);
            assertEquals("per-sender", c.order(), s);
            assertFalse(c.receipts(), s);
            assertTrue(c.source().contains("kafka.apache.org"), s);
        }
        // power-loss where the machine can mount the power-loss file system (CI can: .ci/run installs fuse3)
        assertEquals(List.of(Fault.PARTITION, Fault.KILL, Fault.PAUSE, Fault.LINK_DELAY, Fault.DEVICE_DISCONNECT, Fault.POWER_LOSS),
                new KafkaSystem().faults(null));
    }

    @Test
    void badValuesAreOneLineNamingTheOption() {
        assertMessage("--system-opt replication=4: more than the 3 brokers", () -> options(3, "replication=4"));
        assertMessage("--system-opt min-insync=3: more than the replication factor 2",
                () -> options(3, "replication=2", "min-insync=3"));
        assertMessage("--system-opt window=0: must be >= 1", () -> options(3, "window=0"));
        assertMessage("--system-opt partitions=x: expected an integer", () -> options(3, "partitions=x"));
        assertMessage("--system-opt acks=0: choose one of all, 1",
                () -> Systems.choose("kafka", List.of("acks=0"), null, List.of()));
        assertMessage("--nodes 10: the kafka system runs 1 to 9 brokers", () -> options(10));
        Systems.Chosen ok = Systems.choose("kafka", List.of(), null, List.of());
        assertMessage("--workload poison: the kafka system's clients implement chat, payments",
                () -> ok.system().validate(new RunParameters(3, "local", WC.withKind("poison")), ok.settings()));
        assertMessage("--env netns: the kafka system runs in local",
                () -> ok.system().validate(new RunParameters(3, "netns", WC), ok.settings()));
    }

    @Test
    void aSendersRecordsGoWhereKafkasDefaultPartitionerPutsThem() {
        // murmur2 of the key, as org.apache.kafka.clients.producer.internals.BuiltInPartitioner does
        assertEquals(0, KafkaPublisher.partition("u1", 1));
        int p = KafkaPublisher.partition("u1", 4);
        assertTrue(p >= 0 && p < 4);
        assertEquals(p, KafkaPublisher.partition("u1", 4));
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable e) {
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, e);
        assertEquals(expected, x.getMessage());
        assertFalse(x.getMessage().contains("\n"));
    }
}
