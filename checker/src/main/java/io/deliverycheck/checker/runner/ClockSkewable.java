package io.deliverycheck.checker.runner;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * An {@link Environment} whose nodes' clocks can be moved without touching the machine's clock:
 * fault {@code clock-skew}.
 */
public interface ClockSkewable {

    /**
     * Moves {@code node}'s clock as {@code skew} says: {@code {"clock":"step","offset_ms":-30000}}
     * (the wall clock jumps by the offset from real time) or {@code {"clock":"rate","rate":1.5}} (it
     * runs that much fast or slow from where it is). Throws {@link IllegalArgumentException} naming
     * the field for a bad skew.
     */
    void skewClock(String node, ObjectNode skew) throws Exception;

    /** Puts {@code node}'s clock back to real time. Idempotent. */
    void resetClock(String node) throws Exception;
}
