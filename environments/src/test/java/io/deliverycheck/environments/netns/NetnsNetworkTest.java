package io.deliverycheck.environments.netns;

import io.deliverycheck.checker.runner.Grudge;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The commands the netns network runs, captured: no root needed. */
class NetnsNetworkTest {

    private final List<String> ran = new ArrayList<>();
    private final Shell capture = cmd -> {
        ran.add(String.join(" ", cmd));
        return new Shell.Result(0, "");
    };

    @Test
    void createBuildsABridgeAndOneNamespacePerNodeAndDestroyRemovesThem() throws Exception {
        NetnsNetwork net = new NetnsNetwork(capture, 5, List.of("n1", "n2"));
        net.create();
        assertTrue(ran.contains("ip link add dc5br type bridge"), ran.toString());
        assertTrue(ran.contains("ip addr add 10.77.5.1/24 dev dc5br"));
        assertTrue(ran.contains("ip netns add dc5-n2"));
        assertTrue(ran.contains("ip link add dc5n2h type veth peer name eth0 netns dc5-n2"));
        assertTrue(ran.contains("ip netns exec dc5-n2 ip addr add 10.77.5.12/24 dev eth0"));
        assertTrue(ran.stream().noneMatch(c -> c.contains("route") || c.contains("ip_forward") || c.contains("MASQUERADE")),
                "no route out of the machine");
        ran.clear();
        net.destroy();
        assertEquals(List.of("ip netns del dc5-n1", "ip netns del dc5-n2", "ip link del dc5n1h", "ip link del dc5n2h",
                "ip link del dc5br"), ran);
        ran.clear();
        net.destroy();
        assertEquals(List.of(), ran, "idempotent");
    }

    @Test
    void partitionDropsInputFromRefusedNodesAndMatchesTheDatabaseByPort() throws Exception {
        NetnsNetwork net = new NetnsNetwork(capture, 3, List.of("n1", "n2", "n3"));
        net.databasePort(5555);
        net.partition(new Grudge(Map.of("n1", Set.of("n2", "n3"), "n2", Set.of(Grudge.DB), Grudge.DB, Set.of("n3"))));
        assertTrue(ran.contains("ip netns exec dc3-n1 iptables -F INPUT"), "replaces the previous grudge");
        assertTrue(ran.contains("ip netns exec dc3-n1 iptables -A INPUT -s 10.77.3.12 -j DROP"), ran.toString());
        assertTrue(ran.contains("ip netns exec dc3-n1 iptables -A INPUT -s 10.77.3.13 -j DROP"));
        assertTrue(ran.contains("ip netns exec dc3-n2 iptables -A INPUT -s 10.77.3.1 -p tcp --sport 5555 -j DROP"));
        assertTrue(ran.contains("ip netns exec dc3-n3 iptables -A OUTPUT -d 10.77.3.1 -p tcp --dport 5555 -j DROP"));
        assertEquals(6 + 4, ran.size(), "6 flushes and 4 rules: " + ran);
        assertThrows(IllegalArgumentException.class, () -> net.partition(new Grudge(Map.of("n7", Set.of("n1")))));
    }

    @Test
    void missingNetemIsReportedAsUnsupported() {
        Shell noNetem = cmd -> new Shell.Result(2, "Error: Specified qdisc kind is unknown.");
        NetnsNetwork net = new NetnsNetwork(noNetem, 3, List.of("n1"));
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> net.delay(java.time.Duration.ofMillis(100)));
        assertTrue(e.getMessage().contains("netem"), e.getMessage());
    }
}
