package io.deliverycheck.environments.local;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.history.Recorder;
import io.deliverycheck.checker.runner.Fault;
import io.deliverycheck.checker.runner.Grudge;
import io.deliverycheck.environments.clock.ClockSkew;
import io.deliverycheck.environments.disk.PowerLossFs;
import io.deliverycheck.environments.process.HealthProbe;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The local environment's faults a kill cannot show, with {@link FakeNode}s (default tier): a power
 * loss of the database and a node (committed rows survive, the node comes back), a node's clocks
 * run fast and set back to rate 1, a silent partition. Needs root, /dev/fuse, fuse3 and libfaketime where it
 * runs as root (a missing package fails with its install line); elsewhere it checks that the kinds
 * are not offered.
 */
class LocalFaultsTest {

    private static final HealthProbe PROBE = new HealthProbe(null);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    void powerLossClockSkewAndASilentPartitionAreAppliedAndHealed(@TempDir Path dir) throws Exception {
        boolean fuse = PowerLossFs.hostProblem() == null;
        if (fuse) {
            assertNull(PowerLossFs.problem(), PowerLossFs.problem());
        }
        assertNull(ClockSkew.problem(), ClockSkew.problem());
        LocalEnvironment env = new LocalEnvironment(LocalEnvironmentTest.fakeNodes(3));
        assertFalse(env.faultKinds().contains(Fault.POWER_LOSS), "not offered unless prepared");
        assertFalse(env.faultKinds().contains(Fault.CLOCK_SKEW), "not offered unless prepared");
        assertFalse(env.faultKinds().contains(Fault.CORRUPT_FILE), "one PostgreSQL is no minority");
        env.prepareFaults(Set.of(Fault.POWER_LOSS, Fault.CLOCK_SKEW, Fault.PARTITION));
        assertEquals(fuse, env.faultKinds().contains(Fault.POWER_LOSS));
        assertTrue(env.faultKinds().contains(Fault.CLOCK_SKEW));
        assertEquals(Fault.PARTITION_MODES, env.partitionModes());
        try (Recorder rec = Recorder.open(dir.resolve("history.jsonl"))) {
            env.setup(dir, rec);

            if (fuse) {
                assertTrue(PowerLossFs.isMounted(dir.resolve("power-loss")), "the database's data on the power-loss mount");
                try (Connection c = connect(env); Statement s = c.createStatement()) {
                    s.execute("CREATE TABLE t (v int)");
                    for (int i = 0; i < 50; i++) {
                        s.execute("INSERT INTO t VALUES (" + i + ")");
                    }
                }
                long pid2 = env.pids().get("n2");
                ObjectNode dropped = env.powerOff(List.of(Grudge.DB, "n2"));
                System.out.println("power loss dropped " + dropped);
                assertFalse(env.database().running(), "the database is down until power returns");
                assertFalse(ProcessHandle.of(pid2).map(ProcessHandle::isAlive).orElse(false), "n2 lost power too");
                assertTrue(env.pids().containsKey("n1"), "n1 kept its power");
                assertTrue(dropped.path("reverted_files").asLong() > 0, "PostgreSQL left unsynced bytes to drop: " + dropped);
                env.powerOn(List.of(Grudge.DB, "n2"));
                env.awaitHealthy(Duration.ofSeconds(30));
                try (Connection c = connect(env); Statement s = c.createStatement();
                     ResultSet rs = s.executeQuery("SELECT count(*) FROM t")) {
                    rs.next();
                    assertEquals(50, rs.getInt(1), "every committed row survives (fsync on)");
                }
                env.powerOn(List.of(Grudge.DB, "n2")); // idempotent
            } else {
                assertThrows(IllegalStateException.class, () -> env.powerOff(List.of(Grudge.DB)));
            }

            // clock: n1's clocks run 4x fast, then at rate 1 again (keeping what they gained); n2's untouched
            ObjectNode fast = JsonNodeFactory.instance.objectNode().put("node", "n1").put("clock", "rate").put("rate", 4.0);
            env.skewClock("n1", fast);
            await().atMost(Duration.ofSeconds(60)).until(() -> clockOffset(env, "n1") > 8_000);
            assertTrue(Math.abs(clockOffset(env, "n2")) < 5_000, "n2's clock is real time");
            env.resetClock("n1");
            // libfaketime re-reads its file at most once a second, so rate 4 may run on for a second
            // or more after the reset (3 s gained per second): wait until the offset holds still
            // between two readings a second apart, then watch it for 3 s more
            long[] last = {clockOffset(env, "n1")};
            await().pollDelay(Duration.ofSeconds(1)).pollInterval(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(30))
                    .until(() -> {
                        long now = clockOffset(env, "n1");
                        boolean still = Math.abs(now - last[0]) < 700;
                        last[0] = now;
                        return still;
                    });
            long gained = clockOffset(env, "n1");
            assertTrue(gained > 8_000, "rate 1 keeps what the clock gained: " + gained);
            await().pollDelay(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(30)).until(() -> true);
            long drift = clockOffset(env, "n1") - gained;
            assertTrue(Math.abs(drift) < 1_500, "at rate 1 again it gains nothing more (3 s later it moved " + drift + " ms)");
            env.kill("n1"); // a killed and restarted node starts under its clock's setting (rate 1: real time)
            env.restart("n1");
            assertTrue(Math.abs(clockOffset(env, "n1")) < 5_000, "restarted at real time");
            IllegalArgumentException step = assertThrows(IllegalArgumentException.class, () -> env.skewClock("n1",
                    JsonNodeFactory.instance.objectNode().put("clock", "step").put("offset_ms", 1000)));
            assertTrue(step.getMessage().contains("rate"), step.getMessage());
            env.awaitHealthy(Duration.ofSeconds(30));

            // a silent partition: n3 alone, its links held open and quiet
            env.partition(Grudge.ofComponents(env.nodes(), List.of(List.of("n3"), List.of("n1", "n2"))), "drop");
            assertEquals(Set.of(), env.clusterProxy("n3").refused());
            assertEquals(Set.of("n1", "n2"), env.clusterProxy("n3").dropped());
            await().atMost(Duration.ofSeconds(15)).until(() -> PROBE.probe(env.adminEndpoint("n3")).view().equals(List.of("n3")));
            env.partition(Grudge.ofComponents(env.nodes(), List.of(List.of("n3"), List.of("n1", "n2"))), "refuse");
            assertEquals(Set.of(), env.clusterProxy("n3").dropped(), "a mode replaces the other");
            assertEquals(Set.of("n1", "n2"), env.clusterProxy("n3").refused());
            env.heal();
            env.awaitHealthy(Duration.ofSeconds(30));
            assertThrows(IllegalArgumentException.class, () -> env.partition(Grudge.none(), "explode"));
        } finally {
            env.close();
        }
        assertEquals(List.of(), io.deliverycheck.environments.process.OwnedProcesses.leftovers());
        assertFalse(PowerLossFs.isMounted(dir.resolve("power-loss")), "unmounted at close");
        assertFalse(Files.exists(dir.resolve("power-loss.backing")), "its bytes deleted (not kept)");
    }

    private static Connection connect(LocalEnvironment env) throws Exception {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + env.database().port() + "/postgres?user=postgres");
    }

    /** The node's wall clock minus ours, in ms (the request's round trip is far below the bounds used). */
    private static long clockOffset(LocalEnvironment env, String node) throws Exception {
        URI u = env.adminEndpoint(node).resolve("/clock");
        long before = System.currentTimeMillis();
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(u).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        long after = System.currentTimeMillis();
        return Long.parseLong(r.body().trim()) - (before + after) / 2;
    }
}
