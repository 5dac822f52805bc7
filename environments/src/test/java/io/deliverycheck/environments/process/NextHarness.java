package io.deliverycheck.environments.process;

/**
 * The next harness to start after one was killed: it only starts (and waits for) one short-lived
 * owned process, which is enough for {@link OwnedProcesses} to clean up what a dead harness left.
 */
public final class NextHarness {

    public static void main(String[] args) throws Exception {
        Process p = OwnedProcesses.start(new ProcessBuilder("true"), "true");
        p.waitFor();
        OwnedProcesses.release(p.pid());
        System.out.println("STARTED");
    }
}
