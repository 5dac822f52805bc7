package io.deliverycheck.systems;

import io.deliverycheck.checker.Guarantee;
import io.deliverycheck.checker.runner.Environment;
import io.deliverycheck.checker.runner.Workload;
import java.util.List;

/**
 * One system under test (shared DESIGN.md, "Systems under test"): how it runs, how its clients
 * talk to it, and what it claims, for a given set of {@link Settings}. Each system lives in its own
 * package of this module (one room per system), holding these three parts side by side; this
 * interface is the door of the room, and {@link Systems} lists the rooms.
 *
 * <p>Contract: {@link #options} is a constant list; {@link Settings} passed in were validated
 * against it ({@link Settings#parse}). {@link #claims} is the system's documented promise for those
 * settings, cited in docs/systems.md, never what we hope it does. {@link #environment} and
 * {@link #workload} make fresh, not yet set-up roles for one run; they throw
 * {@link IllegalArgumentException} with one line naming the option at fault when the run asks for
 * something the system cannot do (an environment kind, a workload, a node count).
 */
public interface SystemUnderTest {

    /** The name used by {@code --system NAME}: {@code reference}, {@code rabbitmq}, {@code kafka}, ... */
    String name();

    /** One line for {@code deliverycheck systems}. */
    String summary();

    /** The options {@code --system-opt K=V} may set, with their defaults and allowed values. */
    List<SystemOption> options();

    /**
     * Options the rest of the command line implies, parsed before the user's own {@code --system-opt}
     * pairs (which win): the reference node runs in the mode {@code --guarantee} names. Empty by
     * default. {@code requested} is null when the command line names no guarantee.
     */
    default List<String> impliedOptions(Guarantee requested, List<String> bugs) {
        if (!bugs.isEmpty()) {
            throw new IllegalArgumentException("--bug: planted bugs belong to the reference system, not to " + name());
        }
        return List.of();
    }

    /** What the system claims for these settings (the {@code system} op's guarantee, receipts, order). */
    Claims claims(Settings settings);

    /** The fault kinds ({@code Fault.KINDS}) its environment supports with these settings. */
    List<String> faults(Settings settings);

    /** The {@code --env} kinds it runs in; the first is the default. */
    default List<String> environments() {
        return List.of("local");
    }

    /** The {@code --workload} kinds its clients implement. */
    default List<String> workloads() {
        return List.of("chat", "payments");
    }

    /**
     * Whether it can run on this machine: null when it can, else one line saying what to install
     * (e.g. {@code apt-get install rabbitmq-server}).
     */
    default String missing(Settings settings) {
        return null;
    }

    /**
     * Throws {@link IllegalArgumentException} with one line naming the option at fault when this
     * system cannot run {@code run} with {@code settings}: an environment kind or workload it lacks, a
     * bad option value. The default checks {@link #environments} and {@link #workloads}.
     */
    default void validate(RunParameters run, Settings settings) {
        if (!environments().contains(run.env())) {
            throw new IllegalArgumentException("--env " + run.env() + ": the " + name() + " system runs in "
                    + String.join(", ", environments()));
        }
        if (!workloads().contains(run.workload().kind())) {
            throw new IllegalArgumentException("--workload " + run.workload().kind() + ": the " + name()
                    + " system's clients implement " + String.join(", ", workloads()));
        }
    }

    /**
     * The system's plain client for {@code bench systems} (its own client library, nothing recorded),
     * for these settings; null when the system has none.
     */
    default io.deliverycheck.systems.bench.PlainClient plainClient(RunParameters run, Settings settings) {
        return null;
    }

    /** A fresh environment for one run. */
    Environment environment(RunParameters run, Settings settings);

    /** A fresh workload for one run, whose clients speak this system's protocol. */
    Workload workload(RunParameters run, Settings settings);
}
