package io.deliverycheck.environments.ssh;

import io.deliverycheck.checker.history.Recorder;
import io.deliverycheck.environments.EnvironmentConfig;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a user sees when a host cannot be used: one line naming the host and what to do, and nothing
 * left on it. Against one sshd in a namespace ({@link SshTestbed}); netns tier, root only.
 */
@Tag("netns")
class SshErrorsTest {

    @BeforeAll
    static void needs() throws Exception {
        Assumptions.assumeTrue(SshTestbed.rootOnLinux(), "the ssh environment's netns tests need root on Linux");
        assertNull(SshTestbed.missingTools());
    }

    private static String setupError(Path hosts, EnvironmentConfig config, Path run) throws IOException {
        SshEnvironment env = new SshEnvironment(config, HostsFile.read(hosts));
        Exception e = assertThrows(Exception.class, () -> {
            try (Recorder rec = Recorder.open(run.resolve("history.jsonl"))) {
                env.setup(run, rec);
            }
        });
        env.close();
        return e.getMessage();
    }

    @Test
    void anUnknownHostKeyARefusedKeyAndAMissingJavaAreOneLineEach(@TempDir Path dir) throws Exception {
        try (SshTestbed bed = new SshTestbed(dir.resolve("bed"), 1)) {
            Path hosts = bed.hostsFile("{\"host\": \"harness\", \"address\": \"" + bed.harnessAddress() + "\"}", "");
            EnvironmentConfig one = SshEnvironmentTest.fakeNodes(1);
            Files.createDirectories(dir.resolve("run"));

            String known = Files.readString(bed.knownHosts());
            Files.writeString(bed.knownHosts(), "");
            String m = setupError(hosts, one, dir.resolve("run"));
            assertTrue(m.startsWith("host h1 (root@" + bed.address(1) + ":" + bed.sshPort(1) + "): its host key is not in "
                    + bed.knownHosts() + " or differs from it; check the fingerprint, then add it: ssh-keyscan -p "), m);
            Files.writeString(bed.knownHosts(), known);

            Path other = dir.resolve("other_key");
            new ProcessBuilder("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", other.toString()).start().waitFor();
            Path wrongKey = dir.resolve("wrong-key.json");
            Files.writeString(wrongKey, Files.readString(hosts).replace(bed.clientKey().toString(), other.toString()));
            m = setupError(wrongKey, one, dir.resolve("run"));
            assertTrue(m.startsWith("host h1 (root@" + bed.address(1) + ":" + bed.sshPort(1) + "): login refused with the key " + other), m);

            Path noJava = dir.resolve("no-java.json");
            Files.writeString(noJava, Files.readString(hosts).replace("\"user\": \"root\"", "\"user\": \"root\", \"java\": \"/nonexistent/java\""));
            m = setupError(noJava, one, dir.resolve("run"));
            assertTrue(m.contains("host h1 (root@" + bed.address(1) + ":" + bed.sshPort(1) + "): '/nonexistent/java' not found; install a JDK 17+"), m);
            await().atMost(java.time.Duration.ofSeconds(10)).untilAsserted(() -> assertEquals(List.of(), bed.pidsInHost(1)));
            assertTrue(!Files.exists(bed.remoteBase()), "nothing left on the host after a failed setup");
        }
    }
}
