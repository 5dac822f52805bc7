package io.deliverycheck.checker.runner;

/** An {@link Environment} with a database of the harness's own: fault {@code db-restart}. */
public interface DatabaseRestartable {

    /** Crash-stop the database (immediate shutdown, no checkpoint) and start it again on the same data. */
    void restartDatabase() throws Exception;
}
