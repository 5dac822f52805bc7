package io.deliverycheck.environments.nemesis;

import io.deliverycheck.checker.runner.Environment;
import io.deliverycheck.checker.runner.FaultPlan;
import io.deliverycheck.checker.runner.Nemesis;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Ways to make a {@link Nemesis}: generated from a seed and fault names, replayed from a saved
 * {@code faults.json}, or none. {@link #generated(List, Environment, long, Duration)} has the shape of
 * the runner's {@code NemesisFactory} ({@code (env, seed, timeLimit) -> nemesis}).
 */
public final class Nemeses {

    private Nemeses() {
    }

    /**
     * A seeded schedule of the named faults ({@link NemesisConfig#parseFor} what the environment
     * offers) with timing scaled to the time limit.
     */
    public static Nemesis generated(List<String> faultNames, Environment env, long seed, Duration timeLimit) {
        NemesisConfig config = NemesisConfig.of(NemesisConfig.parseFor(faultNames, env.faultKinds()), timeLimit);
        return new ScheduledNemesis(FaultPlans.generate(seed, env, config));
    }

    /** A seeded schedule. */
    public static Nemesis generated(NemesisConfig config, List<String> nodes, long seed) {
        return new ScheduledNemesis(FaultPlans.generate(seed, nodes, config));
    }

    /** Replays a plan saved as {@code faults.json}. */
    public static Nemesis replay(Path faultsJson) throws IOException {
        return new ScheduledNemesis(FaultPlan.read(faultsJson));
    }

    /** Plays {@code plan}. */
    public static Nemesis of(FaultPlan plan) {
        return new ScheduledNemesis(plan);
    }

    /** No faults (healAll does nothing). */
    public static Nemesis none(long seed) {
        return new ScheduledNemesis(FaultPlan.empty(seed));
    }
}
