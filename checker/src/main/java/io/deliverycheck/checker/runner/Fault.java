package io.deliverycheck.checker.runner;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.Objects;

/**
 * One fault of a {@link FaultPlan}: start {@code atMs} after the nemesis starts, hold it for
 * {@code durationMs}, then heal it. Immutable and JSON-serialisable as one element of
 * {@code faults.json}: {@code {"at_ms":..,"duration_ms":..,"kind":"partition","shape":"halves","detail":{..}}}.
 *
 * <p>{@code detail} names every target chosen when the plan was generated (e.g. {@code {"node":"n2"}},
 * {@code {"partition":[["n1"],["n2","n3"]],"grudge":{"n1":["n2","n3"],..}}}, {@code {"delay_ms":200}}),
 * so replaying a plan needs no randomness.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Fault(@JsonProperty("at_ms") long atMs,
                    @JsonProperty("duration_ms") long durationMs,
                    @JsonProperty("kind") String kind,
                    @JsonProperty("shape") String shape,
                    @JsonProperty("detail") ObjectNode detail) {

    /** Network partition; {@code shape} is one of {@link #SHAPES}. */
    public static final String PARTITION = "partition";
    /** SIGKILL a node, start it again after the duration. */
    public static final String KILL = "kill";
    /** SIGSTOP a node, SIGCONT after the duration. */
    public static final String PAUSE = "pause";
    /** Crash-restart the database. */
    public static final String DB_RESTART = "db-restart";
    /** Delay every inter-node and node-to-database link. */
    public static final String LINK_DELAY = "link-delay";
    /** Close the client (device/sender) connections of a node. */
    public static final String DEVICE_DISCONNECT = "device-disconnect";
    /**
     * A coordinated power failure: SIGKILL the members named in the detail ({@code {"db":true,"nodes":["n1"]}})
     * at once, drop every byte their file systems hold unsynced, start them again after the duration.
     */
    public static final String POWER_LOSS = "power-loss";
    /**
     * Make one node's clock run fast or slow ({@code {"node":"n2","clock":"rate","rate":4.0}}) or step it
     * ({@code {"clock":"step","offset_ms":-30000}}, where the environment can); the heal puts it back.
     */
    public static final String CLOCK_SKEW = "clock-skew";
    /** Stop a minority of nodes, flip bits in or truncate one data file of each, start them again after the duration. */
    public static final String CORRUPT_FILE = "corrupt-file";
    /** Every kind, in a fixed order. */
    public static final List<String> KINDS = List.of(PARTITION, KILL, PAUSE, DB_RESTART, LINK_DELAY, DEVICE_DISCONNECT,
            POWER_LOSS, CLOCK_SKEW, CORRUPT_FILE);
    /** Partition shapes (Jepsen's): random halves, one node isolated, the database isolated from one node, bridge, majorities ring. */
    public static final List<String> SHAPES = List.of("halves", "isolate-one", "isolate-db", "bridge", "ring");
    /**
     * How a partition cuts (the detail's {@code mode}; absent means {@code refuse}): {@code refuse} closes
     * the connections across the cut and refuses new ones, so both sides learn of it at once;
     * {@code drop} forwards nothing and closes nothing, like packets lost on the wire, so only the
     * systems' own timeouts can tell.
     */
    public static final List<String> PARTITION_MODES = List.of("refuse", "drop");

    /** Validates the kind and the times; a missing detail becomes {@code {}}. */
    public Fault {
        Objects.requireNonNull(kind, "kind");
        if (!KINDS.contains(kind)) {
            throw new IllegalArgumentException("unknown fault kind '" + kind + "' (known: " + String.join(", ", KINDS) + ")");
        }
        if (PARTITION.equals(kind) && (shape == null || !SHAPES.contains(shape))) {
            throw new IllegalArgumentException("partition fault needs a shape, one of " + String.join(", ", SHAPES) + ", not '" + shape + "'");
        }
        if (atMs < 0 || durationMs < 0) {
            throw new IllegalArgumentException("fault times must be >= 0: at_ms=" + atMs + " duration_ms=" + durationMs);
        }
        detail = detail == null ? JsonNodeFactory.instance.objectNode() : canonical(detail);
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A copy as JSON text would read it back (200 as an int, not a long), so equal plans stay equal after a save and load. */
    private static ObjectNode canonical(ObjectNode detail) {
        try {
            return (ObjectNode) JSON.readTree(JSON.writeValueAsString(detail));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("fault detail is not JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** The history's {@code f} of the op that starts this fault (Contract 3): {@code start-partition}, {@code kill}, ... */
    @JsonIgnore
    public String startOp() {
        return switch (kind) {
            case KILL -> "kill";
            case PAUSE -> "pause";
            default -> "start-" + kind;
        };
    }

    /** The history's {@code f} of the op that heals this fault: {@code stop-partition}, {@code restart}, {@code resume}, ... */
    @JsonIgnore
    public String stopOp() {
        return switch (kind) {
            case KILL -> "restart";
            case PAUSE -> "resume";
            default -> "stop-" + kind;
        };
    }

    /** {@code atMs + durationMs}. */
    @JsonIgnore
    public long endMs() {
        return atMs + durationMs;
    }

    /** A defensive copy: the record's detail must stay unchanged. */
    @Override
    public ObjectNode detail() {
        return detail.deepCopy();
    }
}
