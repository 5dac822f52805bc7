package io.deliverycheck.environments.local;

import io.deliverycheck.environments.process.Signals;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Ctrl-C of the harness: the shutdown hook stops the nodes and the database. */
class InterruptCleanupTest {

    @Test
    void sigintOfTheHarnessLeavesNoNodeAndNoDatabase(@TempDir Path dir) throws Exception {
        Process harness = new ProcessBuilder(
                // SIGINT back to its default: a build started in the background of a script (nohup
                // ... &) ignores it, and an ignored signal stays ignored in every child, so the
                // harness would never see the Ctrl-C this test sends (coreutils' env, 8.31 and later)
                "env", "--default-signal=INT",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-cp", System.getProperty("java.class.path"), InterruptedHarness.class.getName(), dir.toString())
                .redirectErrorStream(true).start();
        List<Long> pids = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(harness.getInputStream()))) {
            String pidLine = null;
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                if (line.startsWith("PIDS ")) {
                    pidLine = line;
                    break;
                }
            }
            assertNotNull(pidLine, "the harness printed its PIDs");
            for (String p : pidLine.substring(5).split(" ")) {
                pids.add(Long.parseLong(p));
            }
            assertEquals(3, pids.size(), "2 nodes and the postmaster");
            assertTrue(pids.stream().allMatch(p -> ProcessHandle.of(p).map(ProcessHandle::isAlive).orElse(false)));

            Signals.send("INT", harness.pid());
            assertTrue(harness.waitFor(60, TimeUnit.SECONDS), "the harness exits on SIGINT");
        } finally {
            harness.destroyForcibly();
        }
        await().atMost(Duration.ofSeconds(10)).until(() ->
                pids.stream().noneMatch(p -> ProcessHandle.of(p).map(ProcessHandle::isAlive).orElse(false)));
    }
}
