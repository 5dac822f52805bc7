package io.deliverycheck.systems.kafka;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The brokers' addresses, properties and hosts files, and the config's rules: no process is started. */
class KafkaLayoutTest {

    /** {@code n} nodes with made-up ports: client 1000+i, broker 2000+i, controller 3000+i, client proxy 4000+i. */
    static KafkaLayout layout(int n, int voters) {
        List<KafkaLayout.Node> nodes = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            boolean voter = i <= voters;
            nodes.add(new KafkaLayout.Node("n" + i, i, voter, 1000 + i, 2000 + i, voter ? 3000 + i : -1,
                    new InetSocketAddress("127.0.0.1", 4000 + i)));
        }
        return new KafkaLayout(nodes);
    }

    @Test
    void aVoterListensOnItsOwnAddressAndAdvertisesItsProxies() {
        KafkaLayout l = layout(3, 3);
        Map<String, String> p = l.properties(l.node("n2"), Path.of("/run/kafka/n2/data"), Map.of("min.insync.replicas", "2"));
        assertEquals("broker,controller", p.get("process.roles"));
        assertEquals("2", p.get("node.id"));
        assertEquals("1@kafka-n1:3001,2@kafka-n2:3002,3@kafka-n3:3003", p.get("controller.quorum.voters"));
        assertEquals("CLIENT://127.0.0.12:1002,BROKER://127.0.0.12:2002,CONTROLLER://127.0.0.12:3002", p.get("listeners"));
        assertEquals("CLIENT://127.0.0.1:4002,BROKER://kafka-n2:2002", p.get("advertised.listeners"));
        assertEquals("BROKER", p.get("inter.broker.listener.name"));
        assertEquals("CONTROLLER", p.get("controller.listener.names"));
        assertEquals("/run/kafka/n2/data", p.get("log.dirs"));
        assertEquals("2", p.get("min.insync.replicas"));
    }

    @Test
    void nodesBeyondThreeAreBrokersOnlyAndUseTheSameQuorum() {
        KafkaLayout l = layout(5, 3);
        Map<String, String> p = l.properties(l.node("n5"), Path.of("/d"), Map.of());
        assertEquals("broker", p.get("process.roles"));
        assertEquals("1@kafka-n1:3001,2@kafka-n2:3002,3@kafka-n3:3003", p.get("controller.quorum.voters"));
        assertEquals("CLIENT://127.0.0.15:1005,BROKER://127.0.0.15:2005", p.get("listeners"));
    }

    @Test
    void eachBrokerReachesEveryOtherThroughThePairProxy() {
        KafkaLayout l = layout(3, 3);
        String hosts = l.hostsFile(l.node("n2"), "box");
        assertTrue(hosts.contains("127.0.0.1 localhost box\n"), hosts);
        assertTrue(hosts.contains("127.0.12.11 kafka-n1\n"), hosts);
        assertTrue(hosts.contains("127.0.0.12 kafka-n2\n"), "itself directly: " + hosts);
        assertTrue(hosts.contains("127.0.12.13 kafka-n3\n"), hosts);
        assertEquals("127.0.13.11", KafkaLayout.pairHost(3, 1));
        assertNotEquals(KafkaLayout.pairHost(1, 3), KafkaLayout.pairHost(3, 1), "each direction has its own proxy");
    }

    @Test
    void propertiesTextEscapesBackslashesAndRefusesLineBreaks() {
        String text = KafkaLayout.propertiesText("h", new java.util.LinkedHashMap<>(Map.of("a", "x\\y")));
        assertEquals("# h\na=x\\\\y\n", text);
        assertThrows(IllegalArgumentException.class, () -> KafkaLayout.propertiesText("h", Map.of("a", "x\ny")));
    }

    @Test
    void defaultsFollowTheNodeCountAndOverridesReplace() {
        KafkaClusterConfig three = KafkaClusterConfig.defaults(3);
        assertEquals("3", three.broker().get("default.replication.factor"));
        assertEquals("2", three.broker().get("min.insync.replicas"));
        assertEquals("false", three.broker().get("unclean.leader.election.enable"));
        assertEquals(3, three.voters());
        KafkaClusterConfig one = KafkaClusterConfig.defaults(1);
        assertEquals("1", one.broker().get("default.replication.factor"));
        assertEquals("1", one.broker().get("min.insync.replicas"));
        assertEquals("1", one.broker().get("offsets.topic.replication.factor"));
        assertEquals(1, one.voters());
        assertEquals(3, KafkaClusterConfig.defaults(5).voters());
        KafkaClusterConfig weak = three.with("unclean.leader.election.enable", "true").with(Map.of("log.flush.interval.messages", "1"));
        assertEquals("true", weak.broker().get("unclean.leader.election.enable"));
        assertEquals("1", weak.broker().get("log.flush.interval.messages"));
        assertEquals("false", three.broker().get("unclean.leader.election.enable"), "configs are values");
        assertEquals(List.of("n1", "n2", "n3"), three.nodeNames());
    }

    @Test
    void theHarnessOwnsListenersQuorumAndDataDirectories() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KafkaClusterConfig.defaults(3).with("advertised.listeners", "PLAINTEXT://x:1"));
        assertTrue(e.getMessage().startsWith("kafka setting advertised.listeners: set by the harness"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        assertThrows(IllegalArgumentException.class, () -> KafkaClusterConfig.defaults(3).with("log.dirs", "/tmp"));
        assertThrows(IllegalArgumentException.class, () -> KafkaClusterConfig.defaults(0));
        assertThrows(IllegalArgumentException.class, () -> KafkaClusterConfig.defaults(10));
    }

    @Test
    void theClusterIdIsKafkasShapeAndFollowsTheRunFolder() {
        String a = KafkaEnvironment.clusterIdFor(Path.of("/results/x/1"));
        assertEquals(a, KafkaEnvironment.clusterIdFor(Path.of("/results/x/1")));
        assertNotEquals(a, KafkaEnvironment.clusterIdFor(Path.of("/results/x/2")));
        assertEquals(22, a.length(), a);
        assertEquals(a, org.apache.kafka.common.Uuid.fromString(a).toString());
        for (int i = 0; i < 200; i++) {
            assertFalse(KafkaEnvironment.clusterIdFor(Path.of("/r/" + i)).startsWith("-"));
        }
    }
}
