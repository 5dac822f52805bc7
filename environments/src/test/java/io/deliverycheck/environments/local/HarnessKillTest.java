package io.deliverycheck.environments.local;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deliverycheck.environments.process.NextHarness;
import io.deliverycheck.environments.process.OwnedProcesses;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGKILL of the harness, as a CI job's timeout does it: no code of the harness runs, yet nothing it
 * started outlives it. Its reaper stops the nodes and the database; if the reaper was killed too, the
 * next harness to start does. The fake nodes ignore stdin's end, so only these mechanisms stop them.
 */
class HarnessKillTest {
    @TempDir Path dir;
    private final List<Long> started = new ArrayList<>();
    private Process harness;

    /** What the harness printed: its children's pids, its reaper's and its registry file. */
    record Harness(List<Long> children, long reaper, Path registry) {}

    private Harness start(Path owned) throws Exception {
        harness = new ProcessBuilder(java(), "-Xmx128m", "-D" + OwnedProcesses.DIR_PROPERTY + "=" + owned,
                "-cp", System.getProperty("java.class.path"), InterruptedHarness.class.getName(), dir.toString())
                .redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(harness.getInputStream(), StandardCharsets.UTF_8));
        List<Long> pids = new ArrayList<>();
        long reaper = -1;
        Path registry = null;
        for (String line = out.readLine(); line != null; line = out.readLine()) {
            if (line.startsWith("PIDS ")) {
                for (String p : line.substring(5).split(" ")) {
                    pids.add(Long.parseLong(p));
                }
            } else if (line.startsWith("REAPER ")) {
                reaper = Long.parseLong(line.substring(7));
            } else if (line.startsWith("REGISTRY ")) {
                registry = Path.of(line.substring(9));
                break;
            }
        }
        started.addAll(pids);
        assertEquals(3, pids.size(), "2 nodes and the postmaster");
        assertTrue(reaper > 0, "the harness has a reaper");
        assertNotNull(registry, "the harness has a registry file");
        assertTrue(pids.stream().allMatch(HarnessKillTest::alive));
        return new Harness(pids, reaper, registry);
    }

    @AfterEach
    void killWhatIsLeft() {
        if (harness != null) {
            harness.destroyForcibly();
        }
        // only if a test failed: the processes this test's harness started, by pid
        started.forEach(p -> ProcessHandle.of(p).ifPresent(ProcessHandle::destroyForcibly));
    }

    @Test
    void sigkillOfTheHarnessLeavesNoNodeAndNoDatabase() throws Exception {
        Harness h = start(dir.resolve("owned"));
        harness.destroyForcibly(); // SIGKILL
        assertTrue(harness.waitFor(10, TimeUnit.SECONDS));
        await().atMost(Duration.ofSeconds(15)).until(() -> h.children().stream().noneMatch(HarnessKillTest::alive));
        await().atMost(Duration.ofSeconds(5)).until(() -> !alive(h.reaper()) && !Files.exists(h.registry()));
        assertTrue(Files.readString(dir.resolve("owned").resolve("reaper.log")).contains("died; stopped"),
                "the reaper says what it stopped");
    }

    @Test
    void whatAKilledHarnessAndItsReaperLeftIsStoppedByTheNextHarness() throws Exception {
        Path owned = dir.resolve("owned");
        Harness h = start(owned);
        ProcessHandle.of(h.reaper()).ifPresent(ProcessHandle::destroyForcibly);
        await().atMost(Duration.ofSeconds(10)).until(() -> !alive(h.reaper()));
        harness.destroyForcibly();
        assertTrue(harness.waitFor(10, TimeUnit.SECONDS));
        assertTrue(Files.exists(h.registry()), "the registry stays behind");
        assertTrue(h.children().stream().allMatch(HarnessKillTest::alive), "nothing stopped them yet");

        Process next = new ProcessBuilder(java(), "-Xmx64m", "-D" + OwnedProcesses.DIR_PROPERTY + "=" + owned,
                "-cp", System.getProperty("java.class.path"), NextHarness.class.getName())
                .redirectErrorStream(true).start();
        String said = new String(next.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(next.waitFor(60, TimeUnit.SECONDS));
        await().atMost(Duration.ofSeconds(15)).until(() -> h.children().stream().noneMatch(HarnessKillTest::alive));
        assertTrue(!Files.exists(h.registry()), "the registry of the dead harness is gone");
        assertTrue(said.contains("stopped 3 process(es) left by the killed harness pid " + harness.pid()), said);
        assertTrue(said.contains("STARTED"), said);
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }
}
