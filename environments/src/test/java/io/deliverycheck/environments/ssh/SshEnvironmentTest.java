package io.deliverycheck.environments.ssh;

import io.deliverycheck.checker.history.Recorder;
import io.deliverycheck.checker.runner.Environment;
import io.deliverycheck.checker.runner.Fault;
import io.deliverycheck.checker.runner.Grudge;
import io.deliverycheck.environments.EnvironmentConfig;
import io.deliverycheck.environments.Environments;
import io.deliverycheck.environments.local.FakeNode;
import io.deliverycheck.environments.process.HealthProbe;
import io.deliverycheck.environments.process.OwnedProcesses;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ssh environment against three "hosts" made on this machine ({@link SshTestbed}: a network
 * namespace each, running its own sshd), in the netns tier ({@code mvn test -P netns}). As root it
 * fails when a tool is missing, naming the packages; it is skipped only where it cannot run at all
 * (not root, not Linux).
 */
@Tag("netns")
class SshEnvironmentTest {

    private static final HealthProbe PROBE = new HealthProbe(null);

    @BeforeAll
    static void needs() throws Exception {
        Assumptions.assumeTrue(SshTestbed.rootOnLinux(), "the ssh environment's netns tests need root on Linux");
        assertNull(SshTestbed.missingTools());
    }

    @Test
    void referenceClusterAcrossThreeHostsWithKillPausePartitionAndNothingLeft(@TempDir Path dir) throws Exception {
        try (SshTestbed bed = new SshTestbed(dir.resolve("bed"), 3)) {
            Path hosts = bed.hostsFile("{\"host\": \"harness\", \"address\": \"" + bed.harnessAddress() + "\"}", "");
            EnvironmentConfig config = EnvironmentConfig.defaults(3).withStartTimeout(Duration.ofSeconds(120))
                    .withJvmOptions(List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
            Environment created = Environments.create("ssh", config, hosts);
            SshEnvironment env = (SshEnvironment) created;
            assertEquals(Set.of(Fault.PARTITION, Fault.KILL, Fault.PAUSE, Fault.DB_RESTART, Fault.DEVICE_DISCONNECT), env.faultKinds());
            Path run = dir.resolve("run");
            try (Recorder rec = Recorder.open(dir.resolve("history.jsonl"))) {
                env.setup(run, rec);
                assertEquals(URI.create("http://" + bed.address(2) + ":8080"), env.adminEndpoint("n2"));
                for (int i = 1; i <= 3; i++) {
                    assertTrue(Files.isDirectory(Path.of(env.remoteDir(bed.hostName(i)), "lib")), "uploaded to host " + i);
                    assertEquals(1, bed.pidsInHost(i).stream().filter(p -> isJava(p)).count(), "one node JVM in host " + i);
                    assertTrue(bed.inHost(i, "iptables", "-S").contains("-A INPUT -j DCI-" + env.chainTag()), "chain jump in host " + i);
                }
                assertTrue(PROBE.probe(env.clientEndpoint("n1")).healthyWith(env.nodes()));
                assertEquals(200, send(env.clientEndpoint("n1"), "m1"));

                // partition: n3 alone; the others keep each other
                env.partition(Grudge.ofComponents(env.nodes(), List.of(List.of("n3"), List.of("n1", "n2"))));
                assertTrue(bed.inHost(3, "iptables", "-S", "DCI-" + env.chainTag()).contains("-s " + bed.address(1) + "/32"));
                await().atMost(Duration.ofSeconds(60)).until(() -> PROBE.probe(env.adminEndpoint("n3")).view().equals(List.of("n3")));
                env.heal();
                assertFalse(bed.inHost(3, "iptables", "-S", "DCI-" + env.chainTag()).contains("DROP"));
                env.awaitHealthy(Duration.ofSeconds(90));

                // the database refuses n1, and n1 the database
                env.partition(new Grudge(Map.of(Grudge.DB, Set.of("n1"), "n1", Set.of(Grudge.DB))));
                await().atMost(Duration.ofSeconds(60)).until(() -> PROBE.probe(env.adminEndpoint("n1")).status() == 503);
                env.heal();
                env.awaitHealthy(Duration.ofSeconds(90));

                // kill: the JVM on host 2 is gone, then back with the same ports
                env.kill("n2");
                assertEquals(0, bed.pidsInHost(2).stream().filter(p -> isJava(p)).count(), "n2's JVM killed");
                assertEquals(0, PROBE.probe(env.adminEndpoint("n2")).status());
                env.restart("n2");
                env.awaitHealthy(Duration.ofSeconds(90));

                // pause: n1 answers nothing until resumed
                env.pause("n1");
                assertEquals(0, PROBE.probe(env.adminEndpoint("n1")).status(), "a stopped JVM does not answer");
                env.resume("n1");
                env.awaitHealthy(Duration.ofSeconds(90));

                env.restartDatabase();
                env.disconnectClients("n3");
                env.awaitHealthy(Duration.ofSeconds(90));
                assertEquals(200, send(env.clientEndpoint("n2"), "m2"));
            } finally {
                env.close();
            }
            for (String n : env.nodes()) {
                assertTrue(Files.size(run.resolve("logs").resolve(n + ".log")) > 0, n + ".log collected");
                assertTrue(Files.readString(run.resolve("logs").resolve(n + ".out")).contains("READY " + n), n + ".out streamed");
            }
            assertNothingLeft(bed, env);
        }
    }

    @Test
    void theWatchdogsCleanUpAfterTheHarnessIsKilled(@TempDir Path dir) throws Exception {
        try (SshTestbed bed = new SshTestbed(dir.resolve("bed"), 2)) {
            Path hosts = bed.hostsFile("{\"host\": \"harness\", \"address\": \"" + bed.harnessAddress() + "\"}", ",\n \"watchdog_timeout_s\": 20");
            Process harness = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), SshHarness.class.getName(), hosts.toString(), dir.resolve("run").toString())
                    .redirectErrorStream(true).start();
            String tag;
            List<String> remote;
            try (BufferedReader out = new BufferedReader(new InputStreamReader(harness.getInputStream()))) {
                String line;
                StringBuilder seen = new StringBuilder();
                while ((line = out.readLine()) != null && !line.startsWith("READY ")) {
                    seen.append(line).append('\n');
                }
                System.out.println("harness said:\n" + seen);
                assertNotNull(line, "the harness did not get ready: " + seen);
                String[] f = line.split(" ");
                tag = f[1];
                remote = List.of(f[2], f[3]);
                for (int i = 1; i <= 2; i++) {
                    assertTrue(bed.inHost(i, "iptables", "-S").contains("DCI-" + tag), "chain in host " + i);
                    assertEquals(1, bed.pidsInHost(i).stream().filter(p -> isJava(p)).count(), "a node in host " + i);
                    assertTrue(Files.isDirectory(Path.of(remote.get(i - 1))));
                }
                harness.destroyForcibly(); // SIGKILL: no shutdown hook runs; only the hosts' watchdogs can clean up
                harness.waitFor();
            }
            // the TCP connections close with the harness, so the watchdogs act at once (well before their timeout)
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
                for (int i = 1; i <= 2; i++) {
                    assertEquals(List.of(), bed.pidsInHost(i), "processes left in host " + i);
                    assertFalse(bed.inHost(i, "iptables", "-S").contains("DC"), "chains left in host " + i);
                    assertFalse(Files.exists(Path.of(remote.get(i - 1))), "run folder left on host " + i);
                }
            });
            assertFalse(Files.exists(bed.remoteBase()), "the remote_dir made for the run is removed too");
        }
    }

    @Test
    void databaseOnAHostRunsAsNobodyRestartsAndIsPartitioned(@TempDir Path dir) throws Exception {
        // as root the database runs as nobody, who must pass through the folders above the run folder
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"));
        Files.createDirectories(dir.resolve("bed"));
        Files.setPosixFilePermissions(dir.resolve("bed"), java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"));
        try (SshTestbed bed = new SshTestbed(dir.resolve("bed"), 2)) {
            Path hosts = bed.hostsFile("{\"host\": \"h2\", \"port\": 15432}", "");
            SshEnvironment env = (SshEnvironment) Environments.create("ssh", fakeNodes(2), hosts);
            try (Recorder rec = Recorder.open(dir.resolve("history.jsonl"))) {
                env.setup(dir.resolve("run"), rec);
                assertTrue(Files.readString(dir.resolve("run/logs/postgres.log")).contains(RemotePostgres.READY));
                env.partition(new Grudge(Map.of(Grudge.DB, Set.of("n1"))));
                assertTrue(bed.inHost(2, "iptables", "-S", "DCI-" + env.chainTag()).contains("-s " + bed.address(1) + "/32 -p tcp -m tcp --dport 15432 -j DROP"));
                await().atMost(Duration.ofSeconds(30)).until(() -> PROBE.probe(env.adminEndpoint("n1")).status() == 503);
                env.heal();
                env.awaitHealthy(Duration.ofSeconds(30));
                env.restartDatabase();
                env.awaitHealthy(Duration.ofSeconds(30));
                String log = Files.readString(dir.resolve("run/logs/postgres.log"));
                assertTrue(log.contains("database system was interrupted") || log.contains("not properly shut down"),
                        "the restart was a crash: crash recovery on the next start");
            } finally {
                env.close();
            }
            assertNothingLeft(bed, env);
        }
    }

    static EnvironmentConfig fakeNodes(int n) {
        return EnvironmentConfig.defaults(n).withMainClass(FakeNode.class.getName())
                .withJvmOptions(List.of("-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"))
                .withStartTimeout(Duration.ofSeconds(60));
    }

    private static boolean isJava(long pid) {
        return ProcessHandle.of(pid).flatMap(h -> h.info().command()).map(c -> c.endsWith("/java")).orElse(false);
    }

    private static int send(URI node, String id) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        http.send(HttpRequest.newBuilder(node.resolve("/users/u2/devices/phone")).PUT(HttpRequest.BodyPublishers.noBody())
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.discarding());
        String body = "{\"id\":\"" + id + "\",\"key\":\"k-" + id + "\",\"from\":\"u1\",\"to\":[\"u2\"]}";
        return http.send(HttpRequest.newBuilder(node.resolve("/messages")).POST(HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    /** No process, chain or file of the run is left on any host. */
    private static void assertNothingLeft(SshTestbed bed, SshEnvironment env) throws Exception {
        assertEquals(List.of(), env.leftovers());
        int hosts = env.nodes().size();
        for (int i = 1; i <= hosts; i++) {
            int host = i;
            // the sshd's per-session children end when the harness's connections close
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertEquals(List.of(), bed.pidsInHost(host), "processes in host " + host));
            String rules = bed.inHost(i, "iptables", "-S");
            assertFalse(rules.contains("DCI-") || rules.contains("DCO-"), "chains left in host " + i + ": " + rules);
            assertFalse(Files.exists(Path.of(env.remoteDir(bed.hostName(i)))), "run folder left on host " + i);
        }
        if (Files.exists(bed.remoteBase())) {
            try (Stream<Path> s = Files.list(bed.remoteBase())) {
                assertEquals(List.of(), s.toList());
            }
        }
        // the harness's own children but for its reaper (which lives as long as the harness); a
        // SIGKILLed one stays "alive" until the JVM's process reaper thread has waited for it
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertEquals(List.of(), OwnedProcesses.leftovers().stream()
                .filter(p -> p.info().command().map(c -> !c.endsWith("/sshd") && !c.endsWith("/ip")).orElse(true))
                .map(p -> p.pid() + " " + p.info().commandLine().orElse("?")).toList(), "the harness's processes left"));
    }
}
