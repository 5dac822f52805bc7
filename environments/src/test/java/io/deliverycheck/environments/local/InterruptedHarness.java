package io.deliverycheck.environments.local;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A harness that sets up a local environment of fake nodes, prints the PIDs it started (nodes, then
 * the postmaster), its reaper's and its registry file, and waits to be interrupted: the cleanup
 * tests send it SIGINT or SIGKILL and check that nothing outlives it.
 */
public final class InterruptedHarness {

    public static void main(String[] args) throws Exception {
        LocalEnvironment env = new LocalEnvironment(LocalEnvironmentTest.fakeNodes(2)
                .withStartTimeout(Duration.ofSeconds(30)));
        try (io.deliverycheck.checker.history.Recorder rec = io.deliverycheck.checker.history.Recorder.open(Path.of(args[0], "history.jsonl"))) {
            env.setup(Path.of(args[0]), rec);
            List<Long> pids = new java.util.ArrayList<>(env.pids().values());
            pids.add(env.database().postmasterPid());
            System.out.println("PIDS " + pids.stream().map(String::valueOf).reduce((a, b) -> a + " " + b).orElse(""));
            System.out.println("REAPER " + io.deliverycheck.environments.process.OwnedProcesses.reaperPid());
            System.out.println("REGISTRY " + io.deliverycheck.environments.process.OwnedProcesses.registryFile());
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE); // until interrupted: that is the point of this program
        }
    }
}
