package io.deliverycheck.systems.support;

import io.deliverycheck.checker.Guarantee;
import io.deliverycheck.checker.history.HistoryReader;
import io.deliverycheck.checker.history.Op;
import io.deliverycheck.checker.runner.Environment;
import io.deliverycheck.checker.runner.FaultPlan;
import io.deliverycheck.checker.runner.TestSpec;
import io.deliverycheck.environments.nemesis.ScheduledNemesis;
import io.deliverycheck.systems.RunParameters;
import io.deliverycheck.systems.Systems;
import io.deliverycheck.workloads.WorkloadConfig;
import java.nio.file.Path;
import java.time.Duration;
import io.deliverycheck.checker.history.OpType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/** A test run of a system through the runner, as {@code deliverycheck test --system} makes it. */
public final class SystemRuns {
    private SystemRuns() {
    }

    /**
     * The spec of one run of {@code system} with {@code options}, its guarantee the system's claim;
     * {@code plan} makes the fault plan from the environment's nodes; the environment is kept in
     * {@code env} so a test can look at it after the run.
     */
    public static TestSpec spec(String system, List<String> options, int nodes, WorkloadConfig workload,
            Function<List<String>, FaultPlan> plan, Duration timeLimit, Path results, AtomicReference<Environment> env) {
        Systems.Chosen chosen = Systems.choose(system, options, null, List.of());
        Guarantee g = Guarantee.parse(chosen.claims().guarantee());
        WorkloadConfig wc = workload.withGuarantee(g);
        RunParameters run = new RunParameters(nodes, "local", wc);
        chosen.system().validate(run, chosen.settings());
        return TestSpec.builder().name(system).seed(wc.seed()).guarantee(g)
                .environment(s -> {
                    Environment e = chosen.system().environment(run, chosen.settings());
                    // as DeliveryTest does: the kinds the plan injects (power-loss mounts only when told)
                    java.util.Set<String> kinds = new java.util.HashSet<>();
                    plan.apply(e.nodes()).faults().forEach(f -> kinds.add(f.kind()));
                    e.prepareFaults(kinds);
                    env.set(e);
                    return e;
                })
                .workload(s -> chosen.system().workload(run, chosen.settings()))
                .nemesis((e, s, limit) -> new ScheduledNemesis(plan.apply(e.nodes())))
                .timeLimit(timeLimit).quiet(Duration.ofSeconds(3)).drainCap(Duration.ofSeconds(60))
                .resultsRoot(results).build();
    }

    /** Every op of a history. */
    public static List<Op> read(Path history) throws Exception {
        List<Op> ops = new ArrayList<>();
        try (HistoryReader r = HistoryReader.open(history)) {
            for (Op op; (op = r.next()) != null; ) {
                ops.add(op);
            }
        }
        return ops;
    }

    /**
     * Asserts each device process's ops run receive, ack invoke, ack ok (or info), in that order,
     * never two open, each at one of {@code nodes}; returns the device processes seen.
     */
    public static Set<String> assertDeviceOpsInOrder(List<Op> ops, List<String> nodes) {
        Map<String, String> last = new HashMap<>();
        for (Op o : ops) {
            if (!o.process().startsWith("d:")) {
                continue;
            }
            String step = o.f() + ":" + o.type().wire();
            String before = last.put(o.process(), step);
            boolean fits = switch (step) {
                case "receive:ok" -> before == null || before.equals("ack:ok") || before.equals("ack:info");
                case "ack:invoke" -> "receive:ok".equals(before);
                case "ack:ok", "ack:info" -> "ack:invoke".equals(before);
                default -> false;
            };
            if (!fits || !nodes.contains(o.node())) {
                throw new AssertionError("device op out of order (after " + before + ") or at an unknown node: " + o);
            }
        }
        return last.keySet();
    }

    /** Sends completed {@code ok}. */
    public static long sendsOk(List<Op> ops) {
        return ops.stream().filter(o -> o.f().equals("send") && o.type() == OpType.OK).count();
    }
}
