package io.deliverycheck.environments.nemesis;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.history.Recorder;
import io.deliverycheck.checker.runner.Fault;
import io.deliverycheck.checker.runner.FaultPlan;
import io.deliverycheck.checker.runner.Grudge;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The composing nemesis: plans that overlap faults (properties over many seeds) and their healing. */
class ComposedNemesisTest {

    private static final List<String> NODES = List.of("n1", "n2", "n3");

    /** The timing the test command uses for 30 s (DeliveryTest): fast cadence, short and long windows. */
    private static NemesisConfig thirtySeconds(List<String> names) {
        return NemesisConfig.of(names, Duration.ofSeconds(30)).withTiming(
                Duration.ofMillis(500), Duration.ofMillis(3000), Duration.ofMillis(500), Duration.ofMillis(7500));
    }

    @Test
    void plansAreAFunctionOfTheSeed() {
        NemesisConfig c = thirtySeconds(List.of("all"));
        for (long seed = 1; seed <= 20; seed++) {
            assertEquals(FaultPlans.generate(seed, NODES, c), FaultPlans.generate(seed, NODES, c), "seed " + seed);
            assertNotEquals(FaultPlans.generate(seed, NODES, c), FaultPlans.generate(seed + 1, NODES, c), "seed " + seed);
        }
    }

    @Test
    void everyRequestedKindIsExercisedInEveryRunAndEveryFaultEndsInTime() {
        for (List<String> names : List.of(List.of("all"), List.of("kill", "pause"), List.of("partition", "db-restart", "link-delay"))) {
            List<String> kinds = NemesisConfig.parse(names);
            for (long seed = 1; seed <= 200; seed++) {
                for (Duration limit : List.of(Duration.ofSeconds(30), Duration.ofSeconds(3))) {
                    NemesisConfig c = limit.getSeconds() == 30 ? thirtySeconds(names)
                            : NemesisConfig.of(names, limit).withTiming(Duration.ofMillis(500), Duration.ofMillis(3000),
                                    Duration.ofMillis(500), Duration.ofMillis(2500));
                    FaultPlan p = FaultPlans.generate(seed, NODES, c);
                    Set<String> seen = new HashSet<>();
                    p.faults().forEach(f -> seen.add(f.kind()));
                    assertEquals(new TreeSet<>(kinds), new TreeSet<>(seen), "seed " + seed + ", " + limit + ": " + p.faults());
                    assertTrue(p.faults().stream().allMatch(f -> f.endMs() <= limit.toMillis()), "seed " + seed);
                }
            }
        }
    }

    @Test
    void faultsOverlapWithShortAndLongWindowsAndTargetEveryNodeAndTheDatabase() {
        NemesisConfig c = thirtySeconds(List.of("all"));
        Set<String> targets = new HashSet<>();
        int overlapping = 0;
        int plans = 50;
        long shortest = Long.MAX_VALUE;
        long longest = 0;
        for (long seed = 1; seed <= plans; seed++) {
            FaultPlan p = FaultPlans.generate(seed, NODES, c);
            if (maxConcurrent(p) >= 2) {
                overlapping++;
            }
            assertTrue(maxConcurrent(p) <= c.lanes() + Fault.KINDS.size(), "seed " + seed);
            for (Fault f : p.faults()) {
                shortest = Math.min(shortest, f.durationMs());
                longest = Math.max(longest, f.durationMs());
                if (f.detail().has("node")) {
                    targets.add(f.detail().get("node").asText());
                }
                if (f.kind().equals(Fault.PARTITION)) {
                    Grudge g = Grudges.fromDetail(f.detail());
                    targets.addAll(g.refuses().keySet());
                }
            }
        }
        System.out.println("plans with overlapping faults: " + overlapping + " of " + plans + "; windows " + shortest + ".." + longest + " ms");
        assertEquals(plans, overlapping, "every plan overlaps faults");
        assertTrue(shortest < 1000 && longest > 5000, "short and long windows: " + shortest + ".." + longest);
        assertEquals(Set.of("n1", "n2", "n3", Grudge.DB), targets);
    }

    private static int maxConcurrent(FaultPlan p) {
        int max = 0;
        for (Fault f : p.faults()) {
            long at = f.atMs();
            int n = (int) p.faults().stream().filter(g -> g.atMs() <= at && g.endMs() > at).count();
            max = Math.max(max, n);
        }
        return max;
    }

    @Test
    void aKillOfAPausedNodeAndOverlappingPartitionsHealToWhatTheActiveFaultsSay(@TempDir Path dir) throws Exception {
        Grudge a = Grudge.ofComponents(List.of("n1", "n2", "n3"), List.of(List.of("n1"), List.of("n2", "n3")));
        Grudge b = Grudge.ofComponents(List.of("n3", Grudge.DB), List.of(List.of("n3"), List.of(Grudge.DB)));
        // pause n1 0-600; kill n1 100-300 (restart must pause it again); partition a 0-400, b 200-500
        FaultPlan plan = new FaultPlan(1, List.of(
                new Fault(0, 600, Fault.PAUSE, null, node("n1")),
                new Fault(100, 200, Fault.KILL, null, node("n1")),
                new Fault(0, 400, Fault.PARTITION, "halves", grudge(a)),
                new Fault(200, 300, Fault.PARTITION, "isolate-db", grudge(b))));
        CapturingEnvironment env = new CapturingEnvironment(NODES);
        Path history = dir.resolve("history.jsonl");
        ScheduledNemesis nemesis = new ScheduledNemesis(plan);
        try (Recorder rec = Recorder.open(history)) {
            nemesis.start(env, rec);
            await().atMost(Duration.ofSeconds(10)).until(() -> rec.size() == 8);
        }
        List<String> calls = List.copyOf(env.calls); // the plan's own steps (healAll's sweep adds more)
        nemesis.healAll();
        // the restart comes while partition b and the pause are active: started without waiting until it serves
        assertEquals(List.of("pause n1", "kill n1", "start n1", "pause n1", "resume n1"),
                calls.stream().filter(x -> x.endsWith("n1") && !x.startsWith("partition")).toList(), calls.toString());
        List<String> partitions = calls.stream().filter(x -> x.startsWith("partition") || x.equals("heal")).toList();
        assertEquals(4, partitions.size(), partitions.toString());
        assertEquals("partition refuse " + a.refuses(), partitions.get(0));
        assertEquals("partition refuse " + Grudges.union(List.of(a, b)).refuses(), partitions.get(1), "b adds to a");
        assertEquals("partition refuse " + b.refuses(), partitions.get(2), "a healed, b stays");
        assertEquals("heal", partitions.get(3));
        assertTrue(env.healthy(), calls.toString());
        String text = Files.readString(history);
        assertFalse(text.contains("\"error\""), text);
        assertTrue(text.contains("n1 paused again: a pause of it is active"), text);
        assertTrue(text.contains("started without waiting until it serves: pause, partition active"), text);
    }

    @Test
    void twoKillsOfOneNodeKeepItDownUntilTheLastEndsAndHealAllMidOverlapHealsEverything(@TempDir Path dir) throws Exception {
        FaultPlan plan = new FaultPlan(1, List.of(
                new Fault(0, 200, Fault.KILL, null, node("n2")),
                new Fault(100, 60_000, Fault.KILL, null, node("n2")),
                new Fault(150, 60_000, Fault.PAUSE, null, node("n2")),
                new Fault(150, 60_000, Fault.PAUSE, null, node("n3")),
                new Fault(150, 60_000, Fault.LINK_DELAY, null, JsonNodeFactory.instance.objectNode().put("delay_ms", 100))));
        CapturingEnvironment env = new CapturingEnvironment(NODES);
        ScheduledNemesis nemesis = new ScheduledNemesis(plan);
        try (Recorder rec = Recorder.open(dir.resolve("h.jsonl"))) {
            nemesis.start(env, rec);
            await().atMost(Duration.ofSeconds(10)).until(() -> rec.size() == 6);
            assertTrue(env.killed.contains("n2"), "the second kill keeps n2 down: " + env.calls);
            assertEquals(Set.of("n3"), Set.copyOf(env.paused));
            nemesis.healAll();
        }
        assertEquals(1, env.calls.stream().filter(x -> x.equals("restart n2") || x.equals("start n2")).count(), env.calls.toString());
        assertFalse(env.calls.contains("pause n2"), "n2 was down for its whole pause: " + env.calls);
        assertTrue(env.healthy(), env.calls.toString());
    }

    @Test
    void randomComposedPlansPlayWithoutAFailedStepAndEndHealthy(@TempDir Path dir) throws Exception {
        NemesisConfig c = NemesisConfig.of(List.of("all"), Duration.ofMillis(1500)).withTiming(
                Duration.ofMillis(5), Duration.ofMillis(40), Duration.ofMillis(5), Duration.ofMillis(120)).withLanes(4);
        for (long seed = 1; seed <= 3; seed++) {
            System.out.println("seed " + seed);
            FaultPlan plan = FaultPlans.generate(seed, NODES, c);
            CapturingEnvironment env = new CapturingEnvironment(NODES);
            Path history = dir.resolve("h" + seed + ".jsonl");
            ScheduledNemesis nemesis = new ScheduledNemesis(plan);
            try (Recorder rec = Recorder.open(history)) {
                nemesis.start(env, rec);
                await().atMost(Duration.ofSeconds(20)).until(() -> rec.size() == 2L * plan.faults().size());
                assertTrue(env.healthy(), "healthy once the plan is over (seed " + seed + "): " + env.calls);
                nemesis.healAll();
            }
            String text = Files.readString(history);
            assertFalse(text.contains("\"error\""), "seed " + seed + ": " + text);
        }
    }

    private static ObjectNode node(String n) {
        return JsonNodeFactory.instance.objectNode().put("node", n);
    }

    private static ObjectNode grudge(Grudge g) {
        ObjectNode d = JsonNodeFactory.instance.objectNode();
        ObjectNode m = d.putObject("grudge");
        for (Map.Entry<String, List<String>> e : g.asLists().entrySet()) {
            var arr = m.putArray(e.getKey());
            e.getValue().forEach(arr::add);
        }
        return d;
    }
}
