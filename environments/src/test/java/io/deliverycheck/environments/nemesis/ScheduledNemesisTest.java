package io.deliverycheck.environments.nemesis;

import io.deliverycheck.checker.history.Op;
import io.deliverycheck.checker.history.OpType;
import io.deliverycheck.checker.history.Recorder;
import io.deliverycheck.checker.runner.Fault;
import io.deliverycheck.checker.runner.FaultPlan;
import io.deliverycheck.checker.runner.HealException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ScheduledNemesisTest {

    private static final List<String> NODES = List.of("n1", "n2", "n3");

    private static NemesisConfig fast(List<String> kinds, long limitMs) {
        return NemesisConfig.of(kinds, Duration.ofMillis(limitMs)).withTiming(
                Duration.ofMillis(5), Duration.ofMillis(20), Duration.ofMillis(10), Duration.ofMillis(30));
    }

    @Test
    void sameSeedSamePlanAndItRoundTripsThroughJson(@TempDir Path dir) throws Exception {
        long seed = 42;
        System.out.println("seed " + seed);
        NemesisConfig config = NemesisConfig.of(List.of("all"), Duration.ofMinutes(10));
        FaultPlan a = FaultPlans.generate(seed, NODES, config);
        FaultPlan b = FaultPlans.generate(seed, NODES, config);
        assertEquals(a, b);
        assertNotEquals(a, FaultPlans.generate(seed + 1, NODES, config));
        assertTrue(a.faults().size() > 10, "10 minutes of 5-15 s faults and gaps: " + a.faults().size());
        assertTrue(a.faults().stream().allMatch(f -> f.endMs() <= Duration.ofMinutes(10).toMillis()));
        long end = 0;
        for (Fault f : FaultPlans.generate(seed, NODES, config.withLanes(1)).faults()) {
            assertTrue(f.atMs() >= end, "one lane: faults do not overlap");
            end = f.endMs();
        }
        assertTrue(end <= Duration.ofMinutes(10).toMillis());

        Path file = dir.resolve("faults.json");
        a.write(file);
        assertEquals(a, FaultPlan.read(file));
        assertTrue(a.toJson().contains("\"at_ms\""), a.toJson());
    }

    @Test
    void unknownFaultNamesAreRejectedWithTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NemesisConfig.parse(List.of("kill", "explode")));
        assertTrue(e.getMessage().contains("explode") && e.getMessage().contains("partition-halves"), e.getMessage());
        assertEquals(List.of(), NemesisConfig.parse(List.of("none")));
    }

    @Test
    void playsEveryFaultHealsEachAndRecordsStartAndStop(@TempDir Path dir) throws Exception {
        long seed = 7;
        System.out.println("seed " + seed);
        FaultPlan plan = FaultPlans.generate(seed, NODES, fast(List.of("all"), 1000));
        assertTrue(plan.faults().size() >= 10, "plan " + plan.faults().size());
        CapturingEnvironment env = new CapturingEnvironment(NODES);
        Path history = dir.resolve("history.jsonl");
        ScheduledNemesis nemesis = new ScheduledNemesis(plan);
        try (Recorder rec = Recorder.open(history)) {
            nemesis.start(env, rec);
            long last = plan.faults().get(plan.faults().size() - 1).endMs();
            await().atMost(Duration.ofSeconds(10)).until(() -> rec.now() / 1_000_000 > last + 50 && env.healthy());
            nemesis.healAll();
        }
        List<Op> ops = read(history);
        assertEquals(2 * plan.faults().size(), ops.size(), "one start and one stop per fault");
        // faults overlap, so ops interleave: each fault's start is the first unmatched op of its name
        List<Op> left = new ArrayList<>(ops);
        for (Fault f : plan.faults()) {
            Op start = left.stream().filter(o -> o.f().equals(f.startOp())).findFirst().orElseThrow();
            left.remove(start);
            assertEquals("nemesis", start.process());
            assertEquals(OpType.INFO, start.type());
            assertTrue(start.time() >= f.atMs() * 1_000_000L, "played on the harness clock");
            assertFalse(start.value().has("error"));
            assertNull(start.error());
            if (f.kind().equals(Fault.PARTITION)) {
                assertTrue(start.value().has("grudge") && start.value().has("shape"), start.value().toString());
            }
        }
        assertTrue(ops.stream().allMatch(o -> o.error() == null), "every step applied and healed: " + ops);
        assertTrue(env.healthy());
    }

    @Test
    void healAllStopsTheScheduleMidFaultAndHealsIt(@TempDir Path dir) throws Exception {
        FaultPlan plan = new FaultPlan(1, List.of(
                new Fault(0, 60_000, Fault.KILL, null, node("n2")),
                new Fault(70_000, 1000, Fault.PAUSE, null, node("n1"))));
        CapturingEnvironment env = new CapturingEnvironment(NODES);
        Path history = dir.resolve("history.jsonl");
        ScheduledNemesis nemesis = new ScheduledNemesis(plan);
        try (Recorder rec = Recorder.open(history)) {
            nemesis.start(env, rec);
            await().atMost(Duration.ofSeconds(5)).until(() -> env.killed.contains("n2"));
            nemesis.healAll();
            nemesis.healAll(); // idempotent
        }
        assertTrue(env.healthy());
        List<Op> ops = read(history);
        assertEquals(List.of("kill", "restart"), ops.stream().map(Op::f).toList());
        assertFalse(env.calls.contains("pause n1"), "the schedule stopped");
    }

    @Test
    void aFaultThatFailsIsRecordedWithItsErrorAndHealAllRetries(@TempDir Path dir) throws Exception {
        FaultPlan plan = new FaultPlan(1, List.of(
                new Fault(0, 10, Fault.KILL, null, node("n3")),
                new Fault(20, 10, Fault.PARTITION, "isolate-one",
                        Grudges.isolateOne(NODES, new java.util.Random(1)).detail())));
        CapturingEnvironment env = new CapturingEnvironment(NODES);
        env.failures.put("restart", 1);
        env.failures.put("partition", 1);
        Path history = dir.resolve("history.jsonl");
        ScheduledNemesis nemesis = new ScheduledNemesis(plan);
        try (Recorder rec = Recorder.open(history)) {
            nemesis.start(env, rec);
            await().atMost(Duration.ofSeconds(5)).until(() -> rec.size() == 4);
            assertTrue(env.killed.contains("n3"), "the failed restart left n3 down");
            nemesis.healAll();
        }
        assertTrue(env.healthy(), "healAll restarted n3: " + env.calls);
        List<Op> ops = read(history);
        assertEquals(List.of("kill", "restart", "start-partition", "stop-partition"), ops.stream().map(Op::f).toList());
        // the op's error field, which HISTORY.md counts as a harness error
        assertTrue(ops.get(1).error().contains("injected failure of restart"), ops.get(1).toString());
        assertTrue(ops.get(2).error().contains("injected failure of partition"), ops.get(2).toString());
        assertNull(ops.get(3).error());
        assertNull(ops.get(0).error());
    }

    @Test
    void healAllThrowsWhenSomethingCannotBeHealed(@TempDir Path dir) throws Exception {
        FaultPlan plan = new FaultPlan(1, List.of(new Fault(0, 60_000, Fault.PAUSE, null, node("n1"))));
        CapturingEnvironment env = new CapturingEnvironment(NODES);
        env.failures.put("resume", 2);
        ScheduledNemesis nemesis = new ScheduledNemesis(plan);
        try (Recorder rec = Recorder.open(dir.resolve("h.jsonl"))) {
            nemesis.start(env, rec);
            await().atMost(Duration.ofSeconds(5)).until(() -> env.paused.contains("n1"));
            HealException e = assertThrows(HealException.class, nemesis::healAll);
            assertTrue(e.getMessage().contains("resume"), e.getMessage());
            // the failed stop op is in the history; the sweep's second try is not: the runner records it
            assertEquals(1, e.unrecorded().size(), e.unrecorded().toString());
            assertTrue(e.unrecorded().get(0).startsWith("resume n1: "), e.unrecorded().toString());
        }
    }

    private static com.fasterxml.jackson.databind.node.ObjectNode node(String n) {
        return com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode().put("node", n);
    }

    private static List<Op> read(Path history) throws Exception {
        // Plain JSON lines (the history reader is the checker's to test).
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        List<Op> ops = new ArrayList<>();
        for (String line : java.nio.file.Files.readAllLines(history)) {
            com.fasterxml.jackson.databind.JsonNode n = json.readTree(line);
            ops.add(new Op(n.get("index").asLong(), n.get("time").asLong(), n.get("process").asText(),
                    OpType.parse(n.get("type").asText()), n.get("f").asText(),
                    (com.fasterxml.jackson.databind.node.ObjectNode) n.get("value"), null,
                    n.hasNonNull("error") ? n.get("error").asText() : null));
        }
        return ops;
    }
}
