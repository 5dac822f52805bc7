package io.deliverycheck.environments.process;

/**
 * A JVM shutdown hook that closes an environment when the harness is interrupted (Ctrl-C, SIGTERM),
 * removed again when the environment is closed normally.
 */
public final class Cleanup {

    private final Thread hook;
    private boolean registered;

    public Cleanup(String name, Runnable close) {
        this.hook = new Thread(close, "cleanup-" + name);
    }

    public synchronized void register() {
        if (!registered) {
            Runtime.getRuntime().addShutdownHook(hook);
            registered = true;
        }
    }

    /** Removes the hook unless the JVM is already shutting down (then the hook is running us). */
    public synchronized void unregister() {
        if (registered && Thread.currentThread() != hook) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs or ran
            }
        }
        registered = false;
    }
}
