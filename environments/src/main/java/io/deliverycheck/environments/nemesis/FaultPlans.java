package io.deliverycheck.environments.nemesis;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.runner.Fault;
import io.deliverycheck.checker.runner.FaultPlan;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Generates a {@link FaultPlan} from a seed, up front: the same seed, nodes and config give the same
 * plan, so a run can be repeated. Faults never overlap: quiet interval, fault, quiet interval, ...
 */
public final class FaultPlans {

    private FaultPlans() {
    }

    /** The plan for {@code seed} over {@code nodes}; empty when the config has no choices. */
    public static FaultPlan generate(long seed, List<String> nodes, NemesisConfig config) {
        Random rnd = new Random(seed);
        List<String> choices = expand(config.choices(), nodes.size());
        List<Fault> faults = new ArrayList<>();
        if (choices.isEmpty() || nodes.isEmpty()) {
            return new FaultPlan(seed, faults);
        }
        long limit = config.timeLimit().toMillis();
        long t = between(rnd, config.minInterval(), config.maxInterval());
        while (true) {
            String choice = choices.get(rnd.nextInt(choices.size()));
            long d = between(rnd, config.minDuration(), config.maxDuration());
            if (t + d > limit) {
                break;
            }
            faults.add(fault(choice, t, d, nodes, config, rnd));
            t += d + between(rnd, config.minInterval(), config.maxInterval());
        }
        return new FaultPlan(seed, faults);
    }

    private static Fault fault(String choice, long at, long duration, List<String> nodes, NemesisConfig config, Random rnd) {
        ObjectNode detail = JsonNodeFactory.instance.objectNode();
        if (choice.equals(Fault.PARTITION)) {
            List<String> shapes = suitableShapes(nodes.size());
            choice = "partition-" + shapes.get(rnd.nextInt(shapes.size()));
        }
        if (choice.startsWith("partition-")) {
            Grudges.Shaped s = Grudges.shape(choice.substring("partition-".length()), nodes, rnd);
            return new Fault(at, duration, Fault.PARTITION, s.shape(), s.detail());
        }
        switch (choice) {
            case Fault.KILL, Fault.PAUSE, Fault.DEVICE_DISCONNECT -> detail.put("node", nodes.get(rnd.nextInt(nodes.size())));
            case Fault.LINK_DELAY -> detail.put("delay_ms", config.linkDelay().toMillis());
            case Fault.DB_RESTART -> { }
            default -> throw new IllegalArgumentException("unknown fault choice " + choice);
        }
        return new Fault(at, duration, choice, null, detail);
    }

    /**
     * The choices that can happen with {@code n} nodes: partitions need 2 nodes, a bare
     * {@code partition} (one choice, its shape drawn when it happens) needs a suitable shape.
     */
    static List<String> expand(List<String> choices, int n) {
        List<String> out = new ArrayList<>();
        for (String c : choices) {
            boolean possible = !c.startsWith(Fault.PARTITION) || (n >= 2 && (!c.equals(Fault.PARTITION) || !suitableShapes(n).isEmpty()));
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
