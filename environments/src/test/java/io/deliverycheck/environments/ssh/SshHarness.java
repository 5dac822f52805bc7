package io.deliverycheck.environments.ssh;

import io.deliverycheck.checker.history.Recorder;
import io.deliverycheck.checker.runner.Grudge;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * A harness that sets up an ssh environment of fake nodes from a hosts file, cuts n1 from n2 (so the
 * hosts hold rules), prints {@code READY <chain tag> <remote dir of h1> <remote dir of h2>} and waits
 * to be killed: the test SIGKILLs it and checks that the hosts' watchdogs leave nothing behind.
 */
public final class SshHarness {

    public static void main(String[] args) throws Exception {
        SshEnvironment env = new SshEnvironment(SshEnvironmentTest.fakeNodes(2), HostsFile.read(Path.of(args[0])));
        java.nio.file.Files.createDirectories(Path.of(args[1]));
        try (Recorder rec = Recorder.open(Path.of(args[1], "history.jsonl"))) {
            env.setup(Path.of(args[1]), rec);
            env.partition(new Grudge(Map.of("n1", Set.of("n2"))));
            System.out.println("READY " + env.chainTag() + " " + env.remoteDir("h1") + " " + env.remoteDir("h2"));
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE); // until killed: that is the point of this program
        }
    }
}
