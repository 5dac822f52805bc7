package io.deliverycheck.checker.runner;

import io.deliverycheck.checker.history.Recorder;

/**
 * Plays a seeded {@link FaultPlan} against an {@link Environment} (Jepsen's nemesis with its
 * generator). Every fault it starts it also stops, and every start and stop is recorded as an
 * {@code info} op of process {@code nemesis} (names in Contract 3, e.g. {@code start-partition}).
 * A fault that fails to apply or to heal is recorded the same way with the op's {@code error}
 * field ({@link Recorder#info(String, String, com.fasterxml.jackson.databind.node.ObjectNode, String)}),
 * never dropped: HISTORY.md counts it as a harness error.
 *
 * <p>Contract: {@link #start} is called at most once, after {@link Environment#setup}; it returns at
 * once and plays the plan on a background thread, with each fault's {@code at_ms} counted from the
 * call. {@link #healAll} may be called at any time (also without {@code start}, then it only heals).
 */
public interface Nemesis {

    /** The plan this nemesis plays: a value, saved by the runner as {@code faults.json}. */
    FaultPlan plan();

    /** Starts playing the plan in the background; records nemesis ops on {@code rec}. */
    void start(Environment env, Recorder rec);

    /**
     * Stops the schedule, then heals every fault (resume paused nodes, restart killed ones, heal the
     * network, clear delays, make sure the database is up) and records the stop ops. Blocks until
     * done; throws after trying everything if some fault could not be healed: a
     * {@link HealException} when the history already shows each failure or the exception lists the
     * ones it does not (the runner records those), any other exception when it cannot say (the
     * runner records it as one {@code error} op). Idempotent.
     */
    void healAll() throws Exception;
}
