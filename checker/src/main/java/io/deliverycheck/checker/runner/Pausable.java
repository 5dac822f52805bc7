package io.deliverycheck.checker.runner;

/** An {@link Environment} whose nodes can be frozen: fault {@code pause}. */
public interface Pausable {

    /** SIGSTOP the node's process. */
    void pause(String node) throws Exception;

    /** SIGCONT the node's process. */
    void resume(String node) throws Exception;
}
