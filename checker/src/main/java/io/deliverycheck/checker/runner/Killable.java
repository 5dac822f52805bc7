package io.deliverycheck.checker.runner;

/** An {@link Environment} whose nodes can crash: fault {@code kill}. */
public interface Killable {

    /** SIGKILL the node's process (and its descendants). */
    void kill(String node) throws Exception;

    /** Start a killed node again with the same flags, ports and data; returns once it is serving. */
    void restart(String node) throws Exception;

    /**
     * Start a killed node again as {@link #restart} does, without waiting until it serves: the
     * nemesis restarts a node this way while other faults are active (a partition that cuts it from
     * its database or its peers would keep it from serving until that fault ends, which a waiting
     * restart would never reach); the runner's {@link Environment#awaitHealthy} after the heal is
     * then what says it came back. By default the same as {@link #restart}.
     */
    default void start(String node) throws Exception {
        restart(node);
    }
}
