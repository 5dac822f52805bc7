package io.deliverycheck.environments.ssh;

import io.deliverycheck.checker.runner.Grudge;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class FirewallTest {

    private static Map<String, Firewall.NodeAt> nodes() {
        Map<String, Firewall.NodeAt> m = new LinkedHashMap<>();
        m.put("n1", new Firewall.NodeAt("a", "10.0.0.11", 7800));
        m.put("n2", new Firewall.NodeAt("b", "10.0.0.12", 7801));
        m.put("n3", new Firewall.NodeAt("c", "10.0.0.13", 7802));
        return m;
    }

    @Test
    void nodeRefusalsDropTheClusterPortsBothWays() {
        Firewall fw = new Firewall(nodes(), null, "10.0.0.1", 5432);
        Grudge g = Grudge.ofComponents(List.of("n1", "n2", "n3"), List.of(List.of("n1"), List.of("n2", "n3")));
        Map<String, List<String>> r = fw.rules(g);
        assertEquals(List.of("a", "b", "c"), List.copyOf(r.keySet()));
        assertEquals(List.of(
                "I -s 10.0.0.12 -p tcp --dport 7800 -j DROP", "I -s 10.0.0.12 -p tcp --sport 7801 -j DROP",
                "I -s 10.0.0.13 -p tcp --dport 7800 -j DROP", "I -s 10.0.0.13 -p tcp --sport 7802 -j DROP"), r.get("a"));
        assertEquals(List.of("I -s 10.0.0.11 -p tcp --dport 7801 -j DROP", "I -s 10.0.0.11 -p tcp --sport 7800 -j DROP"), r.get("b"));
        assertEquals(List.of("I -s 10.0.0.11 -p tcp --dport 7802 -j DROP", "I -s 10.0.0.11 -p tcp --sport 7800 -j DROP"), r.get("c"));
    }

    @Test
    void theHarnessDatabaseIsCutAtTheNodeHostByPort() {
        Firewall fw = new Firewall(nodes(), null, "10.0.0.1", 5432);
        Grudge g = new Grudge(Map.of("n2", Set.of(Grudge.DB), Grudge.DB, Set.of("n2")));
        Map<String, List<String>> r = fw.rules(g);
        assertEquals(List.of("I -s 10.0.0.1 -p tcp --sport 5432 -j DROP", "O -d 10.0.0.1 -p tcp --dport 5432 -j DROP"), r.get("b"));
        assertEquals(List.of(), r.get("a"));
        assertEquals(List.of(), r.get("c"));
    }

    @Test
    void aDatabaseOnAHostRefusesOnItsOwnHost() {
        Map<String, Firewall.NodeAt> n = nodes();
        Firewall fw = new Firewall(n, "d", "10.0.0.14", 15432);
        assertEquals(List.of("a", "b", "c", "d"), fw.hosts());
        Map<String, List<String>> r = fw.rules(new Grudge(Map.of(Grudge.DB, Set.of("n1", "n3"))));
        assertEquals(List.of("I -s 10.0.0.11 -p tcp --dport 15432 -j DROP", "I -s 10.0.0.13 -p tcp --dport 15432 -j DROP"), r.get("d"));
        assertEquals(List.of(), r.get("a"));
        r = fw.rules(new Grudge(Map.of("n1", Set.of(Grudge.DB))));
        assertEquals(List.of("I -s 10.0.0.14 -p tcp --sport 15432 -j DROP"), r.get("a"));
        assertEquals(List.of(), r.get("d"));
    }

    @Test
    void healIsEveryHostWithoutRulesAndUnknownMembersAreRefused() {
        Firewall fw = new Firewall(nodes(), null, "10.0.0.1", 5432);
        assertEquals(Map.of("a", List.of(), "b", List.of(), "c", List.of()), fw.rules(Grudge.none()));
        assertThrows(IllegalArgumentException.class, () -> fw.rules(new Grudge(Map.of("n9", Set.of("n1")))));
    }
}
