package io.deliverycheck.environments.nemesis;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.runner.Fault;
import io.deliverycheck.checker.runner.FaultPlan;
import io.deliverycheck.checker.runner.Environment;
import io.deliverycheck.checker.runner.Grudge;
import io.deliverycheck.checker.runner.Partitionable;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Generates a {@link FaultPlan} from a seed, up front: the same seed, nodes and config give the same
 * plan, so a run can be repeated. Faults overlap as Jepsen's combined packages do: several lanes of
 * quiet interval, fault, quiet interval, ... ({@link NemesisConfig#lanes}; one lane never overlaps).
 */
public final class FaultPlans {

    private FaultPlans() {
    }

    /** The plan for {@code seed} over {@code nodes} and their database; empty when the config has no choices. */
    public static FaultPlan generate(long seed, List<String> nodes, NemesisConfig config) {
        return withModes(generate(seed, nodes, true, config), Fault.PARTITION_MODES);
    }

    /**
     * The plan for {@code seed} over the environment's nodes: partitions isolate its database only
     * when it has one ({@link Partitionable#partitionMembers}).
     */
    public static FaultPlan generate(long seed, Environment env, NemesisConfig config) {
        boolean db = env instanceof Partitionable p && p.partitionMembers().contains(Grudge.DB);
        List<String> modes = env instanceof Partitionable p ? p.partitionModes() : List.of();
        for (String c : config.choices()) {
            String mode = c.startsWith("partition-") ? c.substring("partition-".length()) : "";
            if (Fault.PARTITION_MODES.contains(mode) && !modes.contains(mode)) {
                throw new IllegalArgumentException("the system under test cannot partition in mode '" + mode
                        + "' (it can: " + (modes.isEmpty() ? "none" : String.join(", ", modes)) + ")");
            }
        }
        return withModes(generate(seed, env.nodes(), db, config), modes);
    }

    /**
     * Gives every partition without a {@code mode} one of {@code modes}: the only one, or one drawn from
     * a random of its own seeded by the plan's seed (so the other draws of the plan stay as they were).
     */
    static FaultPlan withModes(FaultPlan plan, List<String> modes) {
        if (modes.isEmpty()) {
            return plan;
        }
        Random rnd = new Random(plan.seed() ^ 0x6d6f6465L);
        List<Fault> out = new ArrayList<>();
        for (Fault f : plan.faults()) {
            if (f.kind().equals(Fault.PARTITION) && !f.detail().has("mode")) {
                ObjectNode d = f.detail();
                d.put("mode", modes.size() == 1 ? modes.get(0) : modes.get(rnd.nextInt(modes.size())));
                f = new Fault(f.atMs(), f.durationMs(), f.kind(), f.shape(), d);
            }
            out.add(f);
        }
        return new FaultPlan(plan.seed(), out);
    }

    /**
     * Jepsen's combined packages: {@link NemesisConfig#lanes} independent lanes, each a sequence of
     * quiet interval, fault, quiet interval, ..., so up to that many faults overlap (a pause during a
     * partition, a kill of a paused node; {@link ScheduledNemesis} composes them). Lanes draw their
     * next fault in time order from one shuffled bag of the choices, refilled when empty, so each
     * choice comes once before any comes twice; a choice the lanes had no room for is then placed at
     * a random time with a short window, so every requested choice is exercised in each run (as long
     * as the time limit holds the shortest window). Durations are drawn log-uniformly in
     * [minDuration, maxDuration]: many short windows, some long ones. One {@link Random} of the seed
     * makes every draw, so the plan is a function of (seed, nodes, config).
     */
    private static FaultPlan generate(long seed, List<String> nodes, boolean hasDb, NemesisConfig config) {
        Random rnd = new Random(seed);
        List<String> choices = expand(config.choices(), nodes.size());
        if (!hasDb) {
            choices.remove("partition-isolate-db");
        }
        List<Fault> faults = new ArrayList<>();
        if (choices.isEmpty() || nodes.isEmpty()) {
            return new FaultPlan(seed, faults);
        }
        // every corrupt-file of the run damages nodes of one minority, fixed for the run and drawn
        // from a random of its own (the other draws stay as they were): damage stays on disk after
        // the node restarts, so overlapping or successive corruptions of different minorities would
        // together damage a majority's copies, a loss no system can be blamed for
        List<String> corruptMinority = pick(nodes, Math.max(1, (nodes.size() - 1) / 2), new Random(seed ^ 0x636f7272L));
        long limit = config.timeLimit().toMillis();
        int lanes = Math.max(1, config.lanes());
        long[] next = new long[lanes];
        for (int i = 0; i < lanes; i++) {
            next[i] = between(rnd, config.minInterval(), config.maxInterval());
        }
        List<String> bag = new ArrayList<>();
        java.util.Set<String> used = new java.util.HashSet<>();
        boolean[] done = new boolean[lanes];
        int open = lanes;
        while (open > 0) {
            int lane = -1;
            for (int i = 0; i < lanes; i++) {
                if (!done[i] && (lane < 0 || next[i] < next[lane])) {
                    lane = i;
                }
            }
            long t = next[lane];
            long d = logUniform(rnd, config.minDuration(), config.maxDuration());
            if (t + d > limit) {
                done[lane] = true;
                open--;
                continue;
            }
            if (bag.isEmpty()) {
                bag.addAll(choices);
                java.util.Collections.shuffle(bag, rnd);
            }
            String choice = bag.remove(bag.size() - 1);
            used.add(choice);
            faults.add(fault(choice, t, d, nodes, corruptMinority, hasDb, config, rnd));
            next[lane] = t + d + between(rnd, config.minInterval(), config.maxInterval());
        }
        for (String choice : choices) {
            long d = config.minDuration().toMillis();
            if (!used.contains(choice) && d <= limit) {
                long t = (long) (rnd.nextDouble() * (limit - d + 1));
                faults.add(fault(choice, t, d, nodes, corruptMinority, hasDb, config, rnd));
            }
        }
        return new FaultPlan(seed, faults);
    }

    /** A duration log-uniform in [min, max] (uniform when min is 0). */
    private static long logUniform(Random rnd, Duration min, Duration max) {
        long lo = min.toMillis();
        long hi = max.toMillis();
        if (lo <= 0 || hi <= lo) {
            return between(rnd, min, max);
        }
        return Math.min(hi, Math.round(Math.exp(Math.log(lo) + rnd.nextDouble() * (Math.log(hi) - Math.log(lo)))));
    }

    private static Fault fault(String choice, long at, long duration, List<String> nodes, List<String> corruptMinority,
            boolean hasDb, NemesisConfig config, Random rnd) {
        ObjectNode detail = JsonNodeFactory.instance.objectNode();
        String mode = null;
        if (choice.startsWith("partition-") && Fault.PARTITION_MODES.contains(choice.substring("partition-".length()))) {
            mode = choice.substring("partition-".length());
            choice = Fault.PARTITION;
        }
        if (choice.equals(Fault.PARTITION)) {
            List<String> shapes = suitableShapes(nodes.size());
            if (!hasDb) {
                shapes.remove("isolate-db");
            }
            choice = "partition-" + shapes.get(rnd.nextInt(shapes.size()));
        }
        if (choice.startsWith("partition-")) {
            Grudges.Shaped s = Grudges.shape(choice.substring("partition-".length()), nodes, rnd);
            ObjectNode d = s.detail();
            if (mode != null) {
                d.put("mode", mode);
            }
            return new Fault(at, duration, Fault.PARTITION, s.shape(), d);
        }
        switch (choice) {
            case Fault.KILL, Fault.PAUSE, Fault.DEVICE_DISCONNECT -> detail.put("node", nodes.get(rnd.nextInt(nodes.size())));
            case Fault.LINK_DELAY -> detail.put("delay_ms", config.linkDelay().toMillis());
            case Fault.DB_RESTART -> { }
            case Fault.POWER_LOSS -> {
                // with a database: none, some or all of the nodes go down with it; without: at least one node
                detail.put("db", hasDb);
                int k = hasDb ? rnd.nextInt(nodes.size() + 1) : 1 + rnd.nextInt(nodes.size());
                nodeList(detail.putArray("nodes"), pick(nodes, k, rnd));
            }
            case Fault.CLOCK_SKEW -> {
                // a rate, not a step: the local environment fakes every clock of a node (a step of
                // the wall clock alone breaks a JVM's timed waits with libfaketime 0.9.10); a plan
                // written by hand may still name a step for an environment that can take it
                detail.put("node", nodes.get(rnd.nextInt(nodes.size())));
                detail.put("clock", "rate");
                detail.put("rate", CLOCK_RATES.get(rnd.nextInt(CLOCK_RATES.size())));
            }
            case Fault.CORRUPT_FILE -> {
                // 1 .. (n-1)/2 nodes of the run's one minority (expand offers the kind from 3 nodes on)
                int k = 1 + rnd.nextInt(corruptMinority.size());
                nodeList(detail.putArray("nodes"), pick(corruptMinority, k, rnd));
                detail.put("seed", rnd.nextLong());
            }
            default -> throw new IllegalArgumentException("unknown fault choice " + choice);
        }
        return new Fault(at, duration, choice, null, detail);
    }

    /** The clock rates a {@code clock-skew} draws: a quarter, half, twice and four times real speed. */
    static final List<Double> CLOCK_RATES = List.of(0.25, 0.5, 2.0, 4.0);

    /** {@code k} of {@code nodes}, drawn without repetition, in node order. */
    private static List<String> pick(List<String> nodes, int k, Random rnd) {
        List<String> copy = new ArrayList<>(nodes);
        java.util.Collections.shuffle(copy, rnd);
        List<String> chosen = copy.subList(0, k);
        return nodes.stream().filter(chosen::contains).toList();
    }

    private static void nodeList(com.fasterxml.jackson.databind.node.ArrayNode a, List<String> nodes) {
        nodes.forEach(a::add);
    }

    /**
     * The choices that can happen with {@code n} nodes: partitions need 2 nodes, a bare
     * {@code partition} (one choice, its shape drawn when it happens) needs a suitable shape; a
     * {@code corrupt-file} needs 3 (one node of 2 is not a minority).
     */
    static List<String> expand(List<String> choices, int n) {
        List<String> out = new ArrayList<>();
        for (String c : choices) {
            boolean possible = (!c.startsWith(Fault.PARTITION) || (n >= 2 && (!c.equals(Fault.PARTITION) || !suitableShapes(n).isEmpty())))
                    && (!c.equals(Fault.CORRUPT_FILE) || n >= 3);
            if (possible && !out.contains(c)) {
                out.add(c);
            }
        }
        return out;
    }

    /** The shapes a bare {@code partition} draws from: a ring needs 4 nodes (with 3 it is a total split), a bridge 3. */
    static List<String> suitableShapes(int n) {
        List<String> out = new ArrayList<>();
        for (String shape : Fault.SHAPES) {
            if (n >= 2 && !(shape.equals("ring") && n < 4) && !(shape.equals("bridge") && n < 3)) {
                out.add(shape);
            }
        }
        return out;
    }

    private static long between(Random rnd, Duration min, Duration max) {
        long lo = min.toMillis();
        long hi = max.toMillis();
        return hi == lo ? lo : lo + (long) (rnd.nextDouble() * (hi - lo + 1));
    }
}
