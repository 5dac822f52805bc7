package io.deliverycheck.environments.nemesis;

import io.deliverycheck.checker.runner.Fault;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What a generated fault schedule may contain and how it is timed: quiet for a random interval,
 * one fault for a random duration, heal, repeat, until the time limit (the last fault ends before it).
 *
 * @param choices    what may be injected, each a {@link Fault#KINDS} kind or {@code partition-<shape>}
 *                   (a bare {@code partition} stands for every shape that suits the node count)
 * @param linkDelay  the one-way delay of a {@code link-delay} fault
 */
public record NemesisConfig(List<String> choices, Duration minInterval, Duration maxInterval,
                            Duration minDuration, Duration maxDuration, Duration timeLimit, Duration linkDelay) {

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
    }

    /**
     * The named faults ({@link #parse}) with timing scaled to the time limit: quiet intervals and fault
     * durations both in [T/20, T/6], the lower end clamped to 1..5 s, the upper to 2..15 s (60 s:
     * 3-10 s; 5 min and more: 5-15 s); 200 ms link delay.
     */
    public static NemesisConfig of(List<String> names, Duration timeLimit) {
        Duration lo = clamp(timeLimit.dividedBy(20), Duration.ofSeconds(1), Duration.ofSeconds(5));
        Duration hi = clamp(timeLimit.dividedBy(6), Duration.ofSeconds(2), Duration.ofSeconds(15));
        return new NemesisConfig(parse(names), lo, hi, lo, hi, timeLimit, Duration.ofMillis(200));
    }

    private static Duration clamp(Duration d, Duration min, Duration max) {
        return d.compareTo(min) < 0 ? min : d.compareTo(max) > 0 ? max : d;
    }

    /** The same config with other interval and duration ranges. */
    public NemesisConfig withTiming(Duration minInterval, Duration maxInterval, Duration minDuration, Duration maxDuration) {
        return new NemesisConfig(choices, minInterval, maxInterval, minDuration, maxDuration, timeLimit, linkDelay);
    }

    /**
     * Parses user names of faults: kinds ({@code kill}, {@code pause}, {@code partition}, ...),
     * {@code partition-<shape>}, {@code all} (every kind), {@code none} (nothing). Duplicates are
     * dropped. An unknown name throws a one-line message listing what is known.
     */
    public static List<String> parse(List<String> names) {
        Set<String> out = new LinkedHashSet<>();
        for (String raw : names) {
            String name = raw.trim().toLowerCase(java.util.Locale.ROOT);
            if (name.isEmpty() || name.equals("none")) {
                continue;
            }
            if (name.equals("all")) {
                out.addAll(Fault.KINDS);
            } else if (Fault.KINDS.contains(name)) {
                out.add(name);
            } else if (name.startsWith("partition-") && Fault.SHAPES.contains(name.substring("partition-".length()))) {
                out.add(name);
            } else {
                throw new IllegalArgumentException("unknown nemesis fault '" + raw + "'; known: " + String.join(", ", known()) + ", all, none");
            }
        }
        return new ArrayList<>(out);
    }

    /** Every name {@link #parse} accepts besides {@code all} and {@code none}. */
    public static List<String> known() {
        List<String> k = new ArrayList<>(Fault.KINDS);
        Fault.SHAPES.forEach(s -> k.add("partition-" + s));
        return k;
    }

    private static void requireRange(String what, Duration min, Duration max) {
        if (min.isNegative() || max.compareTo(min) < 0) {
            throw new IllegalArgumentException("nemesis " + what + " range must be 0 <= min <= max, not " + min + ".." + max);
        }
    }
}
