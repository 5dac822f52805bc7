package io.deliverycheck.environments.disk;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The power-loss file system never outlives the harness, nor itself. */
class PowerLossLifetimeTest {

    @BeforeAll
    static void needsFuse() {
        String host = PowerLossFs.hostProblem();
        Assumptions.assumeTrue(host == null, host);
        String problem = PowerLossFs.problem();
        assertNull(problem, problem);
    }

    @Test
    void sigkillOfTheHarnessUnmountsAndEndsTheFileSystem(@TempDir Path dir) throws Exception {
        Process harness = new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx64m", "-cp", System.getProperty("java.class.path"), PowerLossHarness.class.getName(), dir.toString())
                .redirectErrorStream(true).start();
        long fsPid;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(harness.getInputStream()))) {
            String line = out.readLine();
            while (line != null && !line.startsWith("FS ")) {
                line = out.readLine();
            }
            assertNotNull(line, "the harness mounted and printed the file system's PID");
            fsPid = Long.parseLong(line.substring(3).trim());
            assertTrue(PowerLossFs.isMounted(dir.resolve("mnt")));
            harness.destroyForcibly(); // SIGKILL: no shutdown hook runs
            assertTrue(harness.waitFor(30, TimeUnit.SECONDS));
        } finally {
            harness.destroyForcibly();
        }
        await().atMost(Duration.ofSeconds(20)).until(() ->
                ProcessHandle.of(fsPid).map(h -> !h.isAlive()).orElse(true) && !PowerLossFs.isMounted(dir.resolve("mnt")));
        assertEquals("written, never fsynced", Files.readString(dir.resolve("backing/unsynced.txt")),
                "what was written stays in the backing directory");
        assertFalse(Files.exists(dir.resolve("backing").resolve(PowerLossFs.GRAVE)), "no grave left");
    }

    @Test
    void sigkillOfTheFileSystemItselfUnmountsIt(@TempDir Path dir) throws Exception {
        PowerLossFs fs = PowerLossFs.mount(dir.resolve("backing"), dir.resolve("mnt"), dir.resolve("powerlossfs.log"));
        try {
            ProcessHandle.of(fs.pid()).orElseThrow().destroyForcibly();
            await().atMost(Duration.ofSeconds(20)).until(() -> !PowerLossFs.isMounted(fs.mountpoint()));
        } finally {
            fs.close();
        }
        assertFalse(Files.exists(dir.resolve("backing").resolve(PowerLossFs.GRAVE)), "close removes the grave a killed program left");
    }
}
