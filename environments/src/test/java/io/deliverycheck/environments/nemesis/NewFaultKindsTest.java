package io.deliverycheck.environments.nemesis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.history.Recorder;
import io.deliverycheck.checker.runner.Fault;
import io.deliverycheck.checker.runner.FaultPlan;
import io.deliverycheck.checker.runner.Grudge;
import io.deliverycheck.checker.runner.HealException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fault kinds a kill cannot show (power-loss, clock-skew, corrupt-file) and the partition modes
 * (refuse, drop): drawn with their details, saved and replayed, applied and healed by the nemesis
 * with what they did recorded, healed by healAll when the schedule stops mid-fault.
 */
class NewFaultKindsTest {

    private static final List<String> NODES = List.of("n1", "n2", "n3");
    private static final ObjectMapper JSON = new ObjectMapper();

    private static NemesisConfig config(List<String> kinds, Duration limit) {
        return NemesisConfig.of(kinds, limit);
    }

    @Test
    void namedTheNewKindsAreDrawnWithTheirDetailAndTheSeedRepeatsThem(@TempDir Path dir) throws Exception {
        long seed = 11;
        System.out.println("seed " + seed);
        CapturingEnvironment env = new CapturingEnvironment(NODES);
        List<String> named = List.of("all", "power-loss", "clock-skew", "corrupt-file");
        assertTrue(FaultPlans.generate(seed, env, config(List.of("all"), Duration.ofMinutes(30))).faults().stream()
                .noneMatch(f -> NemesisConfig.NAMED_ONLY.contains(f.kind())), "all alone leaves out the kinds drawn only when named");
        FaultPlan plan = FaultPlans.generate(seed, env, config(named, Duration.ofMinutes(30)));
        assertEquals(plan, FaultPlans.generate(seed, env, config(named, Duration.ofMinutes(30))));
        Set<String> kinds = new HashSet<>();
        Set<String> modes = new HashSet<>();
        Set<Double> rates = new HashSet<>();
        for (Fault f : plan.faults()) {
            kinds.add(f.kind());
            ObjectNode d = f.detail();
            switch (f.kind()) {
                case Fault.PARTITION -> modes.add(d.path("mode").asText("none"));
                case Fault.POWER_LOSS -> {
                    assertTrue(d.path("db").asBoolean(), "the database has the data: " + d);
                    assertTrue(d.path("nodes").size() <= 3, d.toString());
                }
                case Fault.CLOCK_SKEW -> {
                    assertTrue(NODES.contains(d.path("node").asText()), d.toString());
                    assertEquals("rate", d.path("clock").asText(), d.toString());
                    rates.add(d.path("rate").asDouble());
                }
                case Fault.CORRUPT_FILE -> {
                    assertEquals(1, d.path("nodes").size(), "a minority of 3 is one node: " + d);
                    assertTrue(d.path("seed").canConvertToLong(), d.toString());
                }
                default -> { }
            }
        }
        assertTrue(kinds.containsAll(List.of(Fault.POWER_LOSS, Fault.CLOCK_SKEW, Fault.CORRUPT_FILE)), kinds.toString());
        assertEquals(Set.of("refuse", "drop"), modes, "the default draws both partition modes");
        assertTrue(FaultPlans.CLOCK_RATES.containsAll(rates), rates.toString());
        assertTrue(rates.stream().anyMatch(r -> r < 1) && rates.stream().anyMatch(r -> r > 1), "fast and slow clocks: " + rates);
        Path file = dir.resolve("faults.json");
        plan.write(file);
        assertEquals(plan, FaultPlan.read(file), "replayable from faults.json");
    }

    @Test
    void partitionModesAreNemesisOptions() {
        CapturingEnvironment env = new CapturingEnvironment(NODES);
        for (String mode : Fault.PARTITION_MODES) {
            FaultPlan plan = FaultPlans.generate(3, env, config(List.of("partition-" + mode), Duration.ofMinutes(5)));
            assertFalse(plan.faults().isEmpty());
            for (Fault f : plan.faults()) {
                assertEquals(Fault.PARTITION, f.kind());
                assertEquals(mode, f.detail().path("mode").asText(), f.toString());
            }
        }
        // a shape draws the mode
        Set<String> modes = new HashSet<>();
        FaultPlans.generate(3, env, config(List.of("partition-halves"), Duration.ofMinutes(5)))
                .faults().forEach(f -> modes.add(f.detail().path("mode").asText()));
        assertEquals(Set.of("refuse", "drop"), modes);
        assertTrue(NemesisConfig.known().contains("partition-drop"));
    }

    @Test
    void anEnvironmentThatOnlyRefusesIsNeverGivenADrop() {
        Partitioner refuser = new Partitioner();
        FaultPlan plan = FaultPlans.generate(5, refuser, config(List.of("partition"), Duration.ofMinutes(5)));
        plan.faults().forEach(f -> assertEquals("refuse", f.detail().path("mode").asText(), f.toString()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FaultPlans.generate(5, refuser, config(List.of("partition-drop"), Duration.ofMinutes(5))));
        assertEquals("the system under test cannot partition in mode 'drop' (it can: refuse)", e.getMessage());
    }

    @Test
    void corruptFileNeedsAMinorityAndPowerLossWithoutADatabaseTakesANode() {
        NemesisConfig c = config(List.of("corrupt-file"), Duration.ofMinutes(5));
        assertTrue(FaultPlans.generate(1, List.of("n1", "n2"), c).faults().isEmpty(), "one of two nodes is no minority");
        for (Fault f : FaultPlans.generate(1, List.of("n1", "n2", "n3", "n4", "n5"), c).faults()) {
            assertTrue(f.detail().path("nodes").size() <= 2, f.toString());
        }
        // damage outlasts a restart, and lanes overlap: every corruption of a run stays within one minority
        for (long seed = 1; seed <= 20; seed++) {
            java.util.Set<String> damaged = new java.util.TreeSet<>();
            for (Fault f : FaultPlans.generate(seed, NODES, c).faults()) {
                f.detail().path("nodes").forEach(n -> damaged.add(n.asText()));
            }
            assertEquals(1, damaged.size(), "seed " + seed + ": " + damaged);
            java.util.Set<String> of5 = new java.util.TreeSet<>();
            for (Fault f : FaultPlans.generate(seed, List.of("n1", "n2", "n3", "n4", "n5"), c).faults()) {
                f.detail().path("nodes").forEach(n -> of5.add(n.asText()));
            }
            assertTrue(of5.size() <= 2, "seed " + seed + ": " + of5);
        }
        Partitioner noDb = new Partitioner();
        noDb.members = NODES;
        for (Fault f : FaultPlans.generate(2, noDb, config(List.of("power-loss"), Duration.ofMinutes(5))).faults()) {
            assertFalse(f.detail().path("db").asBoolean(), f.toString());
            assertTrue(f.detail().path("nodes").size() >= 1, f.toString());
        }
    }

    @Test
    void theNemesisAppliesAndHealsEachNewKindAndRecordsWhatItDid(@TempDir Path dir) throws Exception {
        ObjectNode power = JsonNodeFactory.instance.objectNode().put("db", true);
        power.putArray("nodes").add("n1").add("n3");
        ObjectNode skew = JsonNodeFactory.instance.objectNode().put("node", "n2").put("clock", "step").put("offset_ms", -30000);
        ObjectNode corrupt = JsonNodeFactory.instance.objectNode().put("seed", 99);
        corrupt.putArray("nodes").add("n2");
        ObjectNode replayed = corrupt.deepCopy();
        replayed.putObject("corruptions").putObject("n2").put("file", "stored.log").put("kind", "truncate").put("cut_bytes", 3);
        ObjectNode drop = Grudges.isolateOne(NODES, new Random(1)).detail().put("mode", "drop");
        FaultPlan plan = new FaultPlan(1, List.of(
                new Fault(0, 20, Fault.POWER_LOSS, null, power),
                new Fault(30, 20, Fault.CLOCK_SKEW, null, skew),
                new Fault(60, 20, Fault.CORRUPT_FILE, null, corrupt),
                new Fault(90, 20, Fault.CORRUPT_FILE, null, replayed),
                new Fault(120, 20, Fault.PARTITION, "isolate-one", drop)));
        CapturingEnvironment env = new CapturingEnvironment(NODES);
        Path history = dir.resolve("history.jsonl");
        ScheduledNemesis nemesis = new ScheduledNemesis(plan);
        try (Recorder rec = Recorder.open(history)) {
            nemesis.start(env, rec);
            await().atMost(Duration.ofSeconds(10)).until(() -> rec.size() == 10);
            nemesis.healAll();
        }
        assertTrue(env.healthy(), env.calls.toString());
        List<JsonNode> ops = read(history);
        assertEquals(List.of("start-power-loss", "stop-power-loss", "start-clock-skew", "stop-clock-skew",
                "start-corrupt-file", "stop-corrupt-file", "start-corrupt-file", "stop-corrupt-file",
                "start-partition", "stop-partition"), ops.stream().map(o -> o.get("f").asText()).toList());
        ops.forEach(o -> assertFalse(o.has("error"), o.toString()));
        assertEquals(1, ops.get(0).at("/value/dropped/reverted_files").asInt(), "the drop's counts: " + ops.get(0));
        assertEquals("data/n2-99.log", ops.get(4).at("/value/corruptions/n2/file").asText(), ops.get(4).toString());
        assertEquals("stored.log", ops.get(6).at("/value/corruptions/n2/file").asText(), "a replay applies the stored corruption");
        assertEquals("drop", ops.get(8).at("/value/mode").asText());
        assertEquals(List.of("powerOff [db, n1, n3]", "powerOn [db, n1, n3]",
                "skewClock n2 Skew[kind=step, offset=PT-30S, rate=1.0]", "resetClock n2",
                "corruptFiles n2 {\"seed\":99}", "restartCorrupted n2"), env.calls.subList(0, 6));
        assertTrue(env.calls.get(8).startsWith("partition drop "), env.calls.toString());
        assertEquals("drop", env.partitionMode);
    }

    @Test
    void healAllPowersOnResetsClocksAndRestartsCorruptedNodesLeftBroken(@TempDir Path dir) throws Exception {
        ObjectNode power = JsonNodeFactory.instance.objectNode().put("db", true);
        power.putArray("nodes").add("n2");
        ObjectNode corrupt = JsonNodeFactory.instance.objectNode().put("seed", 1);
        corrupt.putArray("nodes").add("n3");
        FaultPlan plan = new FaultPlan(1, List.of(
                new Fault(0, 10, Fault.POWER_LOSS, null, power),
                new Fault(20, 10, Fault.CLOCK_SKEW, null,
                        JsonNodeFactory.instance.objectNode().put("node", "n1").put("clock", "rate").put("rate", 2.0)),
                new Fault(40, 60_000, Fault.CORRUPT_FILE, null, corrupt)));
        CapturingEnvironment env = new CapturingEnvironment(NODES);
        env.failures.put("powerOn", 1);
        env.failures.put("resetClock", 1);
        ScheduledNemesis nemesis = new ScheduledNemesis(plan);
        try (Recorder rec = Recorder.open(dir.resolve("h.jsonl"))) {
            nemesis.start(env, rec);
            await().atMost(Duration.ofSeconds(10)).until(() -> env.corrupted.contains("n3"));
            assertFalse(env.healthy(), "the failed heals left the power off and the clock skewed");
            HealException none = null;
            try {
                nemesis.healAll();
            } catch (HealException e) {
                none = e;
            }
            assertEquals(null, none, "the sweep's retries succeed");
        }
        assertTrue(env.healthy(), env.calls.toString());
        List<String> calls = new ArrayList<>(env.calls);
        int restart = calls.lastIndexOf("restartCorrupted n3");
        int powerOn = calls.lastIndexOf("powerOn [db, n2]");
        int reset = calls.lastIndexOf("resetClock n1");
        assertTrue(restart > 0 && powerOn > restart && reset > powerOn, "healAll healed the active fault, then swept: " + calls);
    }

    /** A partitionable environment with the default mode (refuse) only. */
    @Test
    void aMemberOfTwoOverlappingPowerLossesStaysDownUntilTheLastEnds(@TempDir Path dir) throws Exception {
        // a broker powered on while its peers are still off cannot form a quorum (Kafka exits): the
        // shorter power loss inside the longer one powers nothing on
        CapturingEnvironment env = new CapturingEnvironment(NODES);
        ObjectNode all = JsonNodeFactory.instance.objectNode().put("db", false);
        NODES.forEach(all.putArray("nodes")::add);
        ObjectNode one = JsonNodeFactory.instance.objectNode().put("db", false);
        one.putArray("nodes").add("n1");
        FaultPlan plan = new FaultPlan(1, List.of(new Fault(0, 400, Fault.POWER_LOSS, null, all),
                new Fault(50, 100, Fault.POWER_LOSS, null, one)));
        ScheduledNemesis nemesis = new ScheduledNemesis(plan);
        Path history = dir.resolve("h.jsonl");
        try (Recorder rec = Recorder.open(history)) {
            nemesis.start(env, rec);
            await().atMost(Duration.ofSeconds(10)).until(() -> rec.size() == 4);
            nemesis.healAll();
        }
        List<String> power = env.calls.stream().filter(c -> c.startsWith("power")).toList();
        assertEquals(List.of("powerOff " + NODES, "powerOff [n1]", "powerOn " + NODES), power.subList(0, 3), env.calls.toString());
        String text = Files.readString(history);
        assertTrue(text.contains("stay down: another active power loss took"), text);
        assertFalse(text.contains("\"error\""), text);
    }

    @Test
    void aPartitionWithoutAModeTakesTheEnvironmentsOwnCut(@TempDir Path dir) throws Exception {
        // a plan written by hand names no mode; an environment that only drops (netns, ssh) must not be asked to refuse
        Dropper env = new Dropper();
        Grudges.Shaped s = Grudges.isolateOne(NODES, new Random(1));
        assertFalse(s.detail().has("mode"));
        FaultPlan plan = new FaultPlan(1, List.of(new Fault(0, 50, Fault.PARTITION, s.shape(), s.detail())));
        ScheduledNemesis nemesis = new ScheduledNemesis(plan);
        Path history = dir.resolve("h.jsonl");
        try (Recorder rec = Recorder.open(history)) {
            nemesis.start(env, rec);
            await().atMost(Duration.ofSeconds(10)).until(() -> rec.size() == 2);
            nemesis.healAll();
        }
        for (JsonNode op : read(history)) {
            assertFalse(op.has("error"), op.toString());
        }
        assertEquals(List.of("cut", "heal"), env.calls.subList(0, 2), "its own cut, then the heal (healAll may heal again)");
    }

    private static final class Dropper implements io.deliverycheck.checker.runner.Environment, io.deliverycheck.checker.runner.Partitionable {
        final List<String> calls = java.util.Collections.synchronizedList(new ArrayList<>());
        @Override public void setup(Path runDir, Recorder rec) { }
        @Override public List<String> nodes() { return NODES; }
        @Override public java.net.URI clientEndpoint(String node) { return null; }
        @Override public java.net.URI adminEndpoint(String node) { return null; }
        @Override public List<Path> logs() { return List.of(); }
        @Override public void close() { }
        @Override public List<String> partitionMembers() { return NODES; }
        @Override public List<String> partitionModes() { return List.of("drop"); }
        @Override public void partition(Grudge grudge) { calls.add("cut"); }
        @Override public void heal() { calls.add("heal"); }
    }

    private static final class Partitioner implements io.deliverycheck.checker.runner.Environment, io.deliverycheck.checker.runner.Partitionable {
        List<String> members = List.of("n1", "n2", "n3", Grudge.DB);
        @Override public void setup(Path runDir, Recorder rec) { }
        @Override public List<String> nodes() { return NODES; }
        @Override public java.net.URI clientEndpoint(String node) { return null; }
        @Override public java.net.URI adminEndpoint(String node) { return null; }
        @Override public List<Path> logs() { return List.of(); }
        @Override public void close() { }
        @Override public List<String> partitionMembers() { return members; }
        @Override public void partition(Grudge grudge) { }
        @Override public void heal() { }
    }

    private static List<JsonNode> read(Path history) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(history)) {
            out.add(JSON.readTree(line));
        }
        return out;
    }
}
