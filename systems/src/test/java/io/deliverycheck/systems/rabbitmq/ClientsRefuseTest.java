package io.deliverycheck.systems.rabbitmq;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.deliverycheck.checker.runner.Grudge;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which nodes a partition also cuts off from the clients. */
class ClientsRefuseTest {
    private static final List<String> NODES = List.of("n1", "n2", "n3");

    @Test
    void aNodeWithoutAMajorityLosesItsClients() {
        Grudge isolateN2 = Grudge.ofComponents(NODES, List.of(List.of("n2"), List.of("n1", "n3")));
        assertEquals(Set.of("n2"), RabbitCluster.clientsRefuse(isolateN2, NODES));
    }

    @Test
    void noPartitionAndAMajoritiesRingCutNoClients() {
        assertEquals(Set.of(), RabbitCluster.clientsRefuse(Grudge.none(), NODES));
        List<String> five = List.of("n1", "n2", "n3", "n4", "n5");
        Grudge ring = new Grudge(Map.of("n1", Set.of("n3", "n4"), "n2", Set.of("n4", "n5"), "n3", Set.of("n5", "n1"),
                "n4", Set.of("n1", "n2"), "n5", Set.of("n2", "n3")));
        assertEquals(Set.of(), RabbitCluster.clientsRefuse(ring, five));
    }

    @Test
    void aGrudgeNamingTheClientsSaysExactlyWhichNodesTheyRefuse() {
        Grudge g = new Grudge(Map.of(RabbitCluster.CLIENTS, Set.of("n1")));
        assertEquals(Set.of("n1"), RabbitCluster.clientsRefuse(g, NODES));
        Grudge both = new Grudge(Map.of("n3", Set.of("n1", "n2"), RabbitCluster.CLIENTS, Set.of("n1")));
        assertEquals(Set.of("n1"), RabbitCluster.clientsRefuse(both, NODES));
    }
}
