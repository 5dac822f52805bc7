package io.deliverycheck.checker.runner;

import java.util.List;

/** An {@link Environment} whose links can be cut: fault {@code partition}. */
public interface Partitionable {

    /**
     * The members a grudge may name: the nodes, and {@link Grudge#DB} where the system has a
     * database of its own that a partition can isolate.
     */
    List<String> partitionMembers();

    /** Cut the links the grudge names (replacing any current grudge); existing connections across the cut are broken. */
    void partition(Grudge grudge) throws Exception;

    /**
     * The {@link Fault#PARTITION_MODES} this environment can cut links in; by default only the mode
     * {@link #partition(Grudge)} has, {@code refuse}. An environment whose cut is a packet filter's
     * {@code DROP} says {@code drop}.
     */
    default List<String> partitionModes() {
        return List.of("refuse");
    }

    /**
     * Cut the links the grudge names in {@code mode} (one of {@link #partitionModes}); throws
     * {@link UnsupportedOperationException} naming the modes it has for any other.
     */
    default void partition(Grudge grudge, String mode) throws Exception {
        if (!partitionModes().contains(mode)) {
            throw new UnsupportedOperationException("this environment cannot partition in mode '" + mode
                    + "' (it can: " + String.join(", ", partitionModes()) + ")");
        }
        partition(grudge);
    }

    /** Restore every link cut by {@link #partition}. */
    void heal() throws Exception;
}
