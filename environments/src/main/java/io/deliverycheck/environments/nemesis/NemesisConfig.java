package io.deliverycheck.environments.nemesis;

import io.deliverycheck.checker.runner.Fault;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What a generated fault schedule may contain and how it is timed: in each of {@code lanes} lanes,
 * quiet for a random interval, one fault for a random duration, heal, repeat, until the time limit
 * (the last fault ends before it). Lanes run side by side, so up to {@code lanes} faults overlap.
 *
 * @param choices    what may be injected, each a {@link Fault#KINDS} kind, {@code partition-<shape>} or
 *                   {@code partition-<mode>} ({@code partition-refuse}, {@code partition-drop}: any shape, that
 *                   mode); a bare {@code partition} stands for every shape that suits the node count, and a
 *                   partition without a mode draws one of the modes the environment has
 * @param linkDelay  the one-way delay of a {@code link-delay} fault
 * @param lanes      how many faults may be active at once (1: one at a time, never overlapping)
 */
public record NemesisConfig(List<String> choices, Duration minInterval, Duration maxInterval,
                            Duration minDuration, Duration maxDuration, Duration timeLimit, Duration linkDelay,
                            int lanes) {

    /** How many lanes {@link #of} composes: three faults at most at once. */
    public static final int DEFAULT_LANES = 3;

    /** Validates the ranges and expands the choices. */
    public NemesisConfig {
        choices = List.copyOf(choices);
        requireRange("interval", minInterval, maxInterval);
        requireRange("duration", minDuration, maxDuration);
        if (timeLimit.isNegative()) {
            throw new IllegalArgumentException("nemesis time limit must be >= 0, not " + timeLimit);
        }
        if (linkDelay.isNegative()) {
            throw new IllegalArgumentException("link delay must be >= 0, not " + linkDelay);
        }
        if (lanes < 1) {
            throw new IllegalArgumentException("nemesis lanes must be >= 1, not " + lanes);
        }
    }

    /**
     * The named faults ({@link #parse}) with timing scaled to the time limit: quiet intervals and fault
     * durations both in [T/20, T/6], the lower end clamped to 1..5 s, the upper to 2..15 s (60 s:
     * 3-10 s; 5 min and more: 5-15 s); 200 ms link delay; {@link #DEFAULT_LANES} lanes.
     */
    public static NemesisConfig of(List<String> names, Duration timeLimit) {
        Duration lo = clamp(timeLimit.dividedBy(20), Duration.ofSeconds(1), Duration.ofSeconds(5));
        Duration hi = clamp(timeLimit.dividedBy(6), Duration.ofSeconds(2), Duration.ofSeconds(15));
        return new NemesisConfig(parse(names), lo, hi, lo, hi, timeLimit, Duration.ofMillis(200), DEFAULT_LANES);
    }

    private static Duration clamp(Duration d, Duration min, Duration max) {
        return d.compareTo(min) < 0 ? min : d.compareTo(max) > 0 ? max : d;
    }

    /** The same config with other interval and duration ranges. */
    public NemesisConfig withTiming(Duration minInterval, Duration maxInterval, Duration minDuration, Duration maxDuration) {
        return new NemesisConfig(choices, minInterval, maxInterval, minDuration, maxDuration, timeLimit, linkDelay, lanes);
    }

    /** The same config with {@code n} lanes (1: faults one at a time). */
    public NemesisConfig withLanes(int n) {
        return new NemesisConfig(choices, minInterval, maxInterval, minDuration, maxDuration, timeLimit, linkDelay, n);
    }

    /**
     * Parses user names of faults: kinds ({@code kill}, {@code pause}, {@code partition}, ...),
     * {@code partition-<shape>}, {@code partition-refuse}, {@code partition-drop}, {@code all} (every kind but {@link #NAMED_ONLY}), {@code none} (nothing). Duplicates are
     * dropped. An unknown name throws a one-line message listing what is known.
     */
    /**
     * Kinds {@code all} leaves out: they are drawn only when named ({@code --nemesis all,power-loss,clock-skew}).
     * A power loss's heal (PostgreSQL's crash recovery through the FUSE mount, then the nodes) takes
     * minutes on a loaded machine, and what the reference node does under clock rates is still being
     * judged (docs/findings.md); a default run should not inherit either.
     */
    public static final List<String> NAMED_ONLY = List.of(Fault.POWER_LOSS, Fault.CLOCK_SKEW, Fault.CORRUPT_FILE);

    public static List<String> parse(List<String> names) {
        Set<String> out = new LinkedHashSet<>();
        for (String raw : names) {
            String name = raw.trim().toLowerCase(java.util.Locale.ROOT);
            if (name.isEmpty() || name.equals("none")) {
                continue;
            }
            if (name.equals("all")) {
                Fault.KINDS.stream().filter(k -> !NAMED_ONLY.contains(k)).forEach(out::add);
            } else if (Fault.KINDS.contains(name)) {
                out.add(name);
            } else if (name.startsWith("partition-") && (Fault.SHAPES.contains(name.substring("partition-".length()))
                    || Fault.PARTITION_MODES.contains(name.substring("partition-".length())))) {
                out.add(name);
            } else {
                throw new IllegalArgumentException("unknown nemesis fault '" + raw + "'; known: " + String.join(", ", known()) + ", all, none");
            }
        }
        return new ArrayList<>(out);
    }

    /**
     * {@link #parse} for a system that offers only {@code supported} fault kinds: {@code all} means
     * every kind it offers; a kind it does not offer, named explicitly, throws a one-line message
     * saying what it offers.
     */
    public static List<String> parseFor(List<String> names, java.util.Collection<String> supported) {
        boolean all = names.stream().anyMatch(n -> n.trim().equalsIgnoreCase("all"));
        List<String> out = new ArrayList<>();
        for (String c : parse(names)) {
            String kind = kindOf(c);
            if (supported.contains(kind)) {
                out.add(c);
            } else if (!all || !Fault.KINDS.contains(c) || names.stream().anyMatch(n -> n.trim().equalsIgnoreCase(c))) {
                throw new IllegalArgumentException("the system under test cannot suffer the fault '" + c
                        + "'; it supports: " + (supported.isEmpty() ? "none" : String.join(", ", supported)));
            }
        }
        return out;
    }

    /** The fault kind a parsed name draws: {@code partition-<shape>} and {@code partition-<mode>} are partitions. */
    public static String kindOf(String name) {
        return name.startsWith(Fault.PARTITION) ? Fault.PARTITION : name;
    }

    /** Every name {@link #parse} accepts besides {@code all} and {@code none}. */
    public static List<String> known() {
        List<String> k = new ArrayList<>(Fault.KINDS);
        Fault.SHAPES.forEach(s -> k.add("partition-" + s));
        Fault.PARTITION_MODES.forEach(m -> k.add("partition-" + m));
        return k;
    }

    private static void requireRange(String what, Duration min, Duration max) {
        if (min.isNegative() || max.compareTo(min) < 0) {
            throw new IllegalArgumentException("nemesis " + what + " range must be 0 <= min <= max, not " + min + ".." + max);
        }
    }
}
