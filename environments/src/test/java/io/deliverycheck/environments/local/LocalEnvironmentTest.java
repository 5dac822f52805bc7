package io.deliverycheck.environments.local;

import io.deliverycheck.checker.history.Recorder;
import io.deliverycheck.checker.runner.Grudge;
import io.deliverycheck.environments.EnvironmentConfig;
import io.deliverycheck.environments.process.HealthProbe;
import io.deliverycheck.environments.process.HealthProbe.Health;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The local environment with {@link FakeNode}s (fast, default tier): processes, proxies, database
 * restart, partitions and the cleanup, without the real cluster.
 */
class LocalEnvironmentTest {

    private static final HealthProbe PROBE = new HealthProbe(null);

    static EnvironmentConfig fakeNodes(int n) {
        return EnvironmentConfig.defaults(n).withMainClass(FakeNode.class.getName())
                .withJvmOptions(List.of("-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"))
                .withStartTimeout(Duration.ofSeconds(30));
    }

    @Test
    void startsFaultsHealsAndLeavesNothingBehind(@TempDir Path dir) throws Exception {
        LocalEnvironment env = new LocalEnvironment(fakeNodes(3));
        long postmaster;
        try (Recorder rec = Recorder.open(dir.resolve("history.jsonl"))) {
            env.setup(dir, rec);
            assertEquals(List.of("n1", "n2", "n3"), env.nodes());
            assertEquals(3, env.pids().size());
            for (String n : env.nodes()) {
                assertTrue(PROBE.probe(env.clientEndpoint(n)).healthyWith(env.nodes()), "healthy through the client proxy");
                assertTrue(env.adminEndpoint(n).getHost().startsWith("127.0.0.1"), env.adminEndpoint(n).toString());
            }
            assertTrue(Files.exists(dir.resolve("logs/n1.log")));

            // kill and restart
            long pid2 = env.pids().get("n2");
            env.kill("n2");
            assertFalse(ProcessHandle.of(pid2).map(ProcessHandle::isAlive).orElse(false));
            assertEquals(0, PROBE.probe(env.adminEndpoint("n2")).status());
            env.restart("n2");
            assertNotEquals(pid2, env.pids().get("n2"));
            env.awaitHealthy(Duration.ofSeconds(20));

            // pause and resume: a stopped process does not answer
            env.pause("n1");
            assertEquals(0, PROBE.probe(env.adminEndpoint("n1")).status());
            env.resume("n1");
            env.awaitHealthy(Duration.ofSeconds(20));

            // database crash restart
            postmaster = env.database().postmasterPid();
            env.restartDatabase();
            assertNotEquals(postmaster, env.database().postmasterPid());
            env.awaitHealthy(Duration.ofSeconds(20));

            // isolate n3 from the other nodes
            env.partition(new Grudge(Map.of("n3", Set.of("n1", "n2"), "n1", Set.of("n3"), "n2", Set.of("n3"))));
            await().atMost(Duration.ofSeconds(10)).until(() ->
                    view(env, "n3").equals(List.of("n3")) && view(env, "n1").equals(List.of("n1", "n2")));
            env.heal();
            env.awaitHealthy(Duration.ofSeconds(20));

            // cut the database from n1 only
            env.partition(new Grudge(Map.of("n1", Set.of(Grudge.DB))));
            await().atMost(Duration.ofSeconds(10)).until(() -> PROBE.probe(env.adminEndpoint("n1")).status() == 503);
            assertEquals(200, PROBE.probe(env.adminEndpoint("n2")).status());
            env.heal();
            env.awaitHealthy(Duration.ofSeconds(20));

            // client disconnect
            URI c = env.clientEndpoint("n2");
            try (Socket s = new Socket(c.getHost(), c.getPort())) {
                await().atMost(Duration.ofSeconds(5)).until(() -> openClients(env, s));
                env.disconnectClients("n2");
                s.setSoTimeout(5000);
                s.getInputStream().readAllBytes(); // the rest of the response, then EOF (a timeout fails)
                assertEquals(-1, s.getInputStream().read());
            }

            // delay and clear
            env.delayLinks(Duration.ofMillis(50));
            env.clearDelay();
            env.awaitHealthy(Duration.ofSeconds(20));

            assertThrows(IllegalArgumentException.class, () -> env.kill("n9"));
            postmaster = env.database().postmasterPid();
        } finally {
            env.close();
        }
        env.close(); // idempotent
        assertEquals(List.of(), io.deliverycheck.environments.process.OwnedProcesses.leftovers(),
                "no child process outlives the environment");
        long pm = postmaster;
        assertFalse(ProcessHandle.of(pm).map(ProcessHandle::isAlive).orElse(false), "database stopped");
        assertFalse(Files.exists(dir.resolve("db")), "database data deleted");
        assertTrue(Files.exists(dir.resolve("logs/postgres.log")));
    }

    @Test
    void nemesisPlaysEveryFaultKindAndHealAllLeavesAHealthyCluster(@TempDir Path dir) throws Exception {
        long seed = 2026;
        System.out.println("seed " + seed);
        LocalEnvironment env = new LocalEnvironment(fakeNodes(3));
        // every kind: power-loss and clock-skew are then set up where this machine can run them
        env.prepareFaults(Set.copyOf(io.deliverycheck.checker.runner.Fault.KINDS));
        Path history = dir.resolve("history.jsonl");
        io.deliverycheck.checker.runner.FaultPlan plan;
        try (Recorder rec = Recorder.open(history)) {
            env.setup(dir, rec);
            io.deliverycheck.environments.nemesis.NemesisConfig config = io.deliverycheck.environments.nemesis.NemesisConfig
                    .of(io.deliverycheck.environments.nemesis.NemesisConfig.parseFor(List.of("all", "power-loss", "clock-skew"), env.faultKinds()), Duration.ofSeconds(6))
                    .withTiming(Duration.ofMillis(100), Duration.ofMillis(300), Duration.ofMillis(300), Duration.ofMillis(600));
            plan = io.deliverycheck.environments.nemesis.FaultPlans.generate(seed, env, config);
            System.out.println("plan " + plan.toJson());
            io.deliverycheck.checker.runner.Nemesis nemesis = io.deliverycheck.environments.nemesis.Nemeses.of(plan);
            nemesis.start(env, rec);
            // every step recorded; under a load of 50 a database restart or a node restart takes
            // 7 s, so the 6 s plan takes a minute or more (the bound is generous, never a wait)
            await().atMost(Duration.ofSeconds(240)).until(() -> rec.size() == 2L * plan.faults().size());
            nemesis.healAll();
            env.awaitHealthy(Duration.ofSeconds(30));
        } finally {
            env.close();
        }
        List<String> lines = Files.readAllLines(history);
        assertEquals(2 * plan.faults().size(), lines.size(), "a start and a stop per fault: " + lines);
        assertTrue(lines.stream().noneMatch(l -> l.contains("\"error\"")), "every fault applied and healed: " + lines);
        assertTrue(plan.faults().stream().map(io.deliverycheck.checker.runner.Fault::kind).distinct().count() >= 4,
                "the plan covers most kinds: " + plan.faults());
    }

    @Test
    void setupThatCannotBecomeHealthyFailsNamingTheNodeAndItsLogAndCleansUp(@TempDir Path dir) throws Exception {
        EnvironmentConfig broken = fakeNodes(2).withMainClass("io.deliverycheck.NoSuchMain").withStartTimeout(Duration.ofSeconds(10));
        LocalEnvironment env = new LocalEnvironment(broken);
        try (Recorder rec = Recorder.open(dir.resolve("history.jsonl"))) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> env.setup(dir, rec));
            assertTrue(e.getMessage().contains("node n1") && e.getMessage().contains("n1.out"), e.getMessage());
        } finally {
            env.close();
        }
        await().atMost(Duration.ofSeconds(10)).until(() ->
                io.deliverycheck.environments.process.OwnedProcesses.leftovers().isEmpty());
    }

    private static boolean openClients(LocalEnvironment env, Socket s) throws Exception {
        s.getOutputStream().write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());
        s.getOutputStream().flush();
        byte[] buf = new byte[4096];
        s.setSoTimeout(2000);
        return s.getInputStream().read(buf) > 0;
    }

    private static List<String> view(LocalEnvironment env, String n) {
        Health h = PROBE.probe(env.adminEndpoint(n));
        return h.view();
    }
}
