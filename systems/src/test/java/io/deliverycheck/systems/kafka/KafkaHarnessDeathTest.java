package io.deliverycheck.systems.kafka;

import io.deliverycheck.environments.process.Signals;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
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

/**
 * No broker outlives its harness: not after Ctrl-C (the shutdown hooks close the environment) and
 * not after SIGKILL (no hook runs; the broker sees its stdin end and halts). Slow tier: each case
 * starts a real broker.
 */
@Tag("slow")
class KafkaHarnessDeathTest {

    @ParameterizedTest
    @ValueSource(strings = {"INT", "KILL"})
    void aSignalledHarnessLeavesNoBroker(String signal, @TempDir Path dir) throws Exception {
        Process harness = new ProcessBuilder(
                // SIGINT back to its default: a build started in the background of a script (nohup
                // ... &) ignores it, and an ignored signal stays ignored in every child, so the
                // harness would never see the Ctrl-C this test sends (coreutils' env, 8.31 and later)
                "env", "--default-signal=INT",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-cp", System.getProperty("java.class.path"), KafkaHarness.class.getName(), dir.toString())
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
            assertNotNull(pidLine, "the harness printed its broker's PID");
            for (String p : pidLine.substring(5).split(" ")) {
                pids.add(Long.parseLong(p));
            }
            assertEquals(1, pids.size());
            assertTrue(ProcessHandle.of(pids.get(0)).map(ProcessHandle::isAlive).orElse(false));

            Signals.send(signal, harness.pid());
            assertTrue(harness.waitFor(60, TimeUnit.SECONDS), "the harness exits on SIG" + signal);
        } finally {
            harness.destroyForcibly();
        }
        await().atMost(Duration.ofSeconds(20)).until(() ->
                pids.stream().noneMatch(p -> ProcessHandle.of(p).map(ProcessHandle::isAlive).orElse(false)));
    }
}
