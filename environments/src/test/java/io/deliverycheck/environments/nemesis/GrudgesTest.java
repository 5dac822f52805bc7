package io.deliverycheck.environments.nemesis;

import io.deliverycheck.checker.runner.Grudge;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GrudgesTest {

    private static final List<String> N3 = List.of("n1", "n2", "n3");
    private static final List<String> N5 = List.of("n1", "n2", "n3", "n4", "n5");

    @Test
    void halvesCutsSmallerHalfFromTheRest() {
        for (long seed = 0; seed < 20; seed++) {
            Grudge g = Grudges.halves(N5, new Random(seed)).grudge();
            long isolated = N5.stream().filter(n -> g.refuses().getOrDefault(n, Set.of()).size() == 3).count();
            long majority = N5.stream().filter(n -> g.refuses().getOrDefault(n, Set.of()).size() == 2).count();
            assertEquals(2, isolated, "minority of 2 refuses the 3 others: " + g);
            assertEquals(3, majority, "majority of 3 refuses the 2 others: " + g);
            assertSymmetric(g);
            assertFalse(g.refuses().containsKey(Grudge.DB), "node partitions leave the database alone");
        }
    }

    @Test
    void isolateOneCutsOneNodeFromAllOthers() {
        Grudges.Shaped s = Grudges.isolateOne(N3, new Random(7));
        String x = s.detail().get("partition").get(0).get(0).asText();
        Grudge g = s.grudge();
        assertEquals(new HashSet<>(N3) {{ remove(x); }}, g.refuses().get(x));
        N3.stream().filter(n -> !n.equals(x)).forEach(n -> assertEquals(Set.of(x), g.refuses().get(n)));
    }

    @Test
    void isolateDbCutsOnlyTheDatabaseLinkOfOneNode() {
        Grudge g = Grudges.isolateDb(N3, new Random(3)).grudge();
        assertEquals(2, g.refuses().size());
        String x = g.refuses().keySet().stream().filter(k -> !k.equals(Grudge.DB)).findFirst().orElseThrow();
        assertEquals(Set.of(Grudge.DB), g.refuses().get(x));
        assertEquals(Set.of(x), g.refuses().get(Grudge.DB));
    }

    @Test
    void bridgeNodeHearsEveryoneAndTheHalvesDoNotHearEachOther() {
        for (long seed = 0; seed < 20; seed++) {
            Grudges.Shaped s = Grudges.bridge(N5, new Random(seed));
            String bridge = s.detail().get("bridge").asText();
            Grudge g = s.grudge();
            for (String n : N5) {
                assertFalse(g.cuts(bridge, n), "bridge " + bridge + " reaches " + n + " in " + g);
            }
            assertEquals(4, g.refuses().size(), "every node but the bridge refuses someone: " + g);
            assertSymmetric(g);
        }
    }

    @Test
    void ringGivesEveryNodeADifferentMajority() {
        for (long seed = 0; seed < 20; seed++) {
            Grudge g = Grudges.ring(N5, new Random(seed)).grudge();
            Set<Set<String>> views = new HashSet<>();
            for (String n : N5) {
                Set<String> sees = new HashSet<>(N5);
                sees.removeAll(g.refuses().getOrDefault(n, Set.of()));
                assertEquals(3, sees.size(), n + " sees a majority in " + g);
                assertTrue(sees.contains(n));
                views.add(sees);
            }
            assertEquals(5, views.size(), "no two nodes see the same majority: " + g);
            assertSymmetric(g);
        }
    }

    @Test
    void detailRebuildsTheSameGrudge() {
        for (String shape : io.deliverycheck.checker.runner.Fault.SHAPES) {
            Grudges.Shaped s = Grudges.shape(shape, N5, new Random(11));
            assertEquals(s.grudge(), Grudges.fromDetail(s.detail()), shape);
        }
        assertThrows(IllegalArgumentException.class, () -> Grudges.shape("star", N3, new Random(1)));
    }

    @Test
    void grudgeValueNormalises() {
        Grudge g = new Grudge(Map.of("n1", Set.of("n1", "n2"), "n3", Set.of()));
        assertEquals(Map.of("n1", Set.of("n2")), g.refuses());
        assertTrue(g.cuts("n2", "n1"));
        assertFalse(g.cuts("n2", "n3"));
        assertTrue(Grudge.none().isEmpty());
    }

    private static void assertSymmetric(Grudge g) {
        g.refuses().forEach((a, set) -> set.forEach(b -> assertTrue(g.refuses(b, a), "symmetric " + a + "/" + b + " in " + g)));
    }
}
