package io.deliverycheck.checker.runner;

/** An {@link Environment} whose nodes can crash: fault {@code kill}. */
public interface Killable {

    /** SIGKILL the node's process (and its descendants). */
    void kill(String node) throws Exception;

    /** Start a killed node again with the same flags, ports and data; returns once it is serving. */
    void restart(String node) throws Exception;
}
