package io.deliverycheck.environments.clock;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A child JVM under {@link ClockSkew} reads the clocks it is given. Tolerances allow for a loaded
 * machine: the assertions are about seconds and ratios, not milliseconds.
 */
class ClockSkewTest {

    @TempDir
    Path dir;
    private Process child;
    private BufferedReader out;
    private PrintStream in;

    @BeforeAll
    static void needsLibfaketime() {
        String problem = ClockSkew.problem();
        assertNull(problem, problem);
    }

    @AfterEach
    void stop() throws Exception {
        if (child != null) {
            in.close(); // the probe exits on end of input, and libfaketime removes its /dev/shm objects
            if (!child.waitFor(10, TimeUnit.SECONDS)) {
                child.destroyForcibly();
                child.waitFor(10, TimeUnit.SECONDS);
            }
            ClockSkew.cleanUpAfter(java.util.List.of(child.toHandle()));
            assertFalse(Files.exists(shm(child.pid())), "nothing left in /dev/shm");
        }
    }

    private static Path shm(long pid) {
        return Path.of("/dev/shm", "faketime_shm_" + pid);
    }

    @Test
    void aKilledProcessLeavesLibfaketimeObjectsThatCleanUpAfterRemoves() throws Exception {
        ClockSkew skew = ClockSkew.create(dir.resolve("n1.rc"), ClockSkew.Clocks.WALL);
        start(skew);
        long pid = child.pid();
        assertTrue(Files.exists(shm(pid)), "libfaketime made its shared memory");
        child.destroyForcibly();
        assertTrue(child.waitFor(10, TimeUnit.SECONDS));
        assertTrue(Files.exists(shm(pid)), "SIGKILL leaves it");
        assertEquals(2, ClockSkew.cleanUpAfter(java.util.List.of(child.toHandle())));
        assertFalse(Files.exists(shm(pid)));
        assertFalse(Files.exists(Path.of("/dev/shm", "sem.faketime_sem_" + pid)));
    }

    private void start(ClockSkew skew) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx32m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), ClockProbe.class.getName())
                .redirectError(dir.resolve("probe.err").toFile());
        child = skew.apply(pb).start();
        out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        in = new PrintStream(child.getOutputStream(), true, StandardCharsets.UTF_8);
        assertEquals("ready", out.readLine());
    }

    /** The child's clocks and ours around one exchange: skew = its wall clock - our wall clock (midpoint). */
    private record Reading(long skewMs, long childNanos, long ourNanos) {
    }

    private Reading read(String command) throws IOException {
        long t0 = System.currentTimeMillis();
        in.println(command);
        String[] f = out.readLine().split(" ");
        long t1 = System.currentTimeMillis();
        return new Reading(Long.parseLong(f[0]) - (t0 + t1) / 2, Long.parseLong(f[1]), System.nanoTime());
    }

    private long skewMs() throws IOException {
        return read("now").skewMs();
    }

    @Test
    void stepsMoveTheWallClockOfARunningProcessForwardAndBackAndLeaveItsMonotonicClockAlone() throws Exception {
        ClockSkew skew = ClockSkew.create(dir.resolve("clock/n1.rc"), ClockSkew.Clocks.WALL);
        start(skew);
        assertTrue(Math.abs(skewMs()) < 1000, "real time to begin with");
        Reading before = read("now");

        skew.set(ClockSkew.Skew.step(Duration.ofHours(1)));
        await().atMost(Duration.ofSeconds(10)).until(() -> Math.abs(skewMs() - 3_600_000) < 1000);
        skew.set(ClockSkew.Skew.step(Duration.ofSeconds(-30)));
        await().atMost(Duration.ofSeconds(10)).until(() -> Math.abs(skewMs() + 30_000) < 1000);

        Reading after = read("now");
        long childElapsed = TimeUnit.NANOSECONDS.toMillis(after.childNanos() - before.childNanos());
        long ourElapsed = TimeUnit.NANOSECONDS.toMillis(after.ourNanos() - before.ourNanos());
        assertTrue(Math.abs(childElapsed - ourElapsed) < 1000,
                "System.nanoTime did not jump: the child measured " + childElapsed + " ms, we " + ourElapsed + " ms");
        Reading slept = read("sleep 300");
        long sleptMs = TimeUnit.NANOSECONDS.toMillis(slept.ourNanos() - after.ourNanos());
        assertTrue(sleptMs >= 290, "a 300 ms sleep takes real time: " + sleptMs + " ms");

        skew.reset();
        await().atMost(Duration.ofSeconds(10)).until(() -> Math.abs(skewMs()) < 1000);
        assertEquals(ClockSkew.Skew.step(Duration.ZERO), skew.current());
    }

    @Test
    void aRateMakesTheWallClockRunFastAndRateOneKeepsWhatItGained() throws Exception {
        ClockSkew skew = ClockSkew.create(dir.resolve("n1.rc"), ClockSkew.Clocks.WALL);
        start(skew);
        skew.set(ClockSkew.Skew.rate(3));
        await().atMost(Duration.ofSeconds(20)).until(() -> skewMs() > 3000); // gains 2 s per second
        skew.set(ClockSkew.Skew.rate(1));
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            long a = skewMs();
            read("sleep 500"); // its own reading is taken after the sleep, 250 ms after the midpoint: not a skew
            return Math.abs(skewMs() - a) < 300; // stopped gaining (at rate 3 it gains 1 s in this time)
        });
        assertTrue(skewMs() > 3000, "rate 1 keeps the drift (only a step goes back)");
    }

    @Test
    void inAllClocksModeARateSlowsTheMonotonicClockAndSleepsAndStepsAreRefused() throws Exception {
        ClockSkew skew = ClockSkew.create(dir.resolve("n1.rc"), ClockSkew.Clocks.ALL);
        start(skew);
        assertThrows(IllegalStateException.class, () -> skew.set(ClockSkew.Skew.step(Duration.ofSeconds(5))));
        skew.set(ClockSkew.Skew.rate(0.5));
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            Reading a = read("now");
            Reading b = read("sleep 400");
            double real = b.ourNanos() - a.ourNanos();
            double seen = b.childNanos() - a.childNanos();
            return seen >= TimeUnit.MILLISECONDS.toNanos(400) && real / seen > 1.6 && real / seen < 2.6;
        });
        skew.set(ClockSkew.Skew.rate(2));
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            Reading a = read("now");
            Reading b = read("sleep 400");
            double real = b.ourNanos() - a.ourNanos();
            double seen = b.childNanos() - a.childNanos();
            return real / seen > 0.35 && real / seen < 0.65; // a 400 ms sleep lasts about 200 ms
        });
    }

    @Test
    void theEnvironmentAndTheCommandPrefixAndTheFileLibfaketimeReads() throws Exception {
        ClockSkew skew = ClockSkew.create(dir.resolve("n2.rc"), ClockSkew.Clocks.WALL);
        assertEquals("+0.000", Files.readString(skew.file()).strip());
        skew.set(ClockSkew.Skew.step(Duration.ofMillis(-1500)));
        assertEquals("-1.500", Files.readString(skew.file()).strip());
        skew.set(ClockSkew.Skew.rate(1.25));
        assertEquals("+0 x1.25", Files.readString(skew.file()).strip());
        assertTrue(skew.environment().get("LD_PRELOAD").contains("libfaketimeMT.so.1"));
        assertEquals("1", skew.environment().get("FAKETIME_DONT_FAKE_MONOTONIC"));
        assertEquals(java.util.List.of("env", "-u", "FAKETIME"), skew.prefix().subList(0, 3));
        assertTrue(skew.prefix().contains("FAKETIME_TIMESTAMP_FILE=" + skew.file()));
        assertEquals(null, ClockSkew.create(dir.resolve("n3.rc"), ClockSkew.Clocks.ALL).environment().get("FAKETIME_DONT_FAKE_MONOTONIC"));
        assertEquals(ClockSkew.Skew.rate(1.25), ClockSkew.Skew.fromJson(ClockSkew.Skew.rate(1.25).toJson()));
        assertEquals(ClockSkew.Skew.step(Duration.ofMillis(-1500)), ClockSkew.Skew.fromJson(ClockSkew.Skew.step(Duration.ofMillis(-1500)).toJson()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ClockSkew.Skew.fromJson((com.fasterxml.jackson.databind.node.ObjectNode) new com.fasterxml.jackson.databind.ObjectMapper().readTree("{\"clock\":\"warp\"}")));
        assertEquals("clock must be step or rate, not 'warp'", e.getMessage());
    }
}
