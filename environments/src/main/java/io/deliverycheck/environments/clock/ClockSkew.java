package io.deliverycheck.environments.clock;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A process's own clock, moved without touching the machine's: the process runs under libfaketime
 * (LD_PRELOAD of Debian's {@code libfaketimeMT.so.1}), which reads its setting from a file that
 * {@link #set} rewrites while the process runs. A node gets the {@link #environment()} (or the
 * {@link #prefix()} for a command line) when it is started; the nemesis calls {@link #set} later.
 *
 * <p>Two modes, fixed when the process starts (libfaketime reads them once):
 * <ul>
 *   <li>{@link Clocks#WALL}: only the wall clock ({@code CLOCK_REALTIME}: {@code System.currentTimeMillis},
 *       {@code Instant.now}) is faked ({@code FAKETIME_DONT_FAKE_MONOTONIC=1}). A {@link Skew#step}
 *       jumps it forward or back, as a bad NTP step or an operator's {@code date -s} would, while
 *       {@code System.nanoTime}, sleeps and timers keep real time. A {@link Skew#rate} makes the wall
 *       clock alone run fast or slow.</li>
 *   <li>{@link Clocks#ALL}: every clock, monotonic included, and every sleep and timed wait run at
 *       the {@link Skew#rate}, as on a machine whose oscillator is off: timers fire early (rate &gt; 1)
 *       or late. Steps are refused: they would move {@code CLOCK_MONOTONIC} too, which a real
 *       machine never does (measured: with the monotonic clock faked, a step of -30 s makes
 *       {@code System.nanoTime} go back 30 s).</li>
 * </ul>
 *
 * <p>Rate changes are smooth ({@code FAKETIME_XRESET=1}): the clock goes on from where it is at the
 * new rate, and what it gained or lost so far stays (a later rate of 1 keeps the drift; only a step
 * goes back to real time). A new setting takes effect within about a second
 * ({@code FAKETIME_CACHE_DURATION=1}: libfaketime re-reads the file at most once a second; reading it
 * on every clock call, {@code FAKETIME_NO_CACHE=1}, cost about ten times more per call in a JVM here:
 * 6.5 us against 0.6 us, one run on a loaded machine). Measured with OpenJDK 17 and libfaketime 0.9.10 (Debian 12); the multi-threaded variant of
 * the library is required, the plain one gave a JVM a mix of faked and real readings.
 *
 * <p>Leftovers: libfaketime creates a semaphore and a shared memory segment per process
 * ({@code /dev/shm/sem.faketime_sem_<pid>}, {@code /dev/shm/faketime_shm_<pid>}) and removes them
 * when the process exits; a SIGKILLed process leaves them behind, so whoever kills a skewed process
 * calls {@link #cleanUpAfter} with it (and its descendants). Children of the process inherit the skew. Rates are written with a '.'; a process whose locale (LC_ALL or
 * LC_NUMERIC) uses ',' for decimals would misread fractional rates. Thread-safe.
 */
public final class ClockSkew {

    /** Which clocks the process sees skewed: see the class comment. */
    public enum Clocks { WALL, ALL }

    /**
     * One setting: a step (the wall clock reads real time + {@code offset}, then runs at real speed)
     * or a rate (every second of real time the faked clocks advance {@code rate} seconds).
     */
    public record Skew(String kind, Duration offset, double rate) {

        public Skew {
            if (!kind.equals("step") && !kind.equals("rate")) {
                throw new IllegalArgumentException("clock skew kind must be step or rate, not " + kind);
            }
            if (kind.equals("rate") && !(rate > 0 && rate <= 1000)) {
                throw new IllegalArgumentException("clock rate must be > 0 and <= 1000, not " + rate);
            }
        }

        public static Skew step(Duration offset) {
            return new Skew("step", offset, 1.0);
        }

        public static Skew rate(double rate) {
            return new Skew("rate", Duration.ZERO, rate);
        }

        /** As a fault's detail: {@code {"clock":"step","offset_ms":-30000}} or {@code {"clock":"rate","rate":1.5}}. */
        public ObjectNode toJson() {
            ObjectNode n = JsonNodeFactory.instance.objectNode();
            n.put("clock", kind);
            if (kind.equals("step")) {
                n.put("offset_ms", offset.toMillis());
            } else {
                n.put("rate", rate);
            }
            return n;
        }

        /** The inverse of {@link #toJson}; a user error names the field. */
        public static Skew fromJson(ObjectNode n) {
            String kind = n.path("clock").asText("");
            return switch (kind) {
                case "step" -> {
                    if (!n.path("offset_ms").canConvertToLong()) {
                        throw new IllegalArgumentException("clock step needs an integer offset_ms");
                    }
                    yield step(Duration.ofMillis(n.path("offset_ms").asLong()));
                }
                case "rate" -> {
                    if (!n.path("rate").isNumber()) {
                        throw new IllegalArgumentException("clock rate needs a number rate");
                    }
                    yield rate(n.path("rate").asDouble());
                }
                default -> throw new IllegalArgumentException("clock must be step or rate, not '" + kind + "'");
            };
        }

        /** The line libfaketime reads: "+5.000" / "-30.000" for a step, "+0 x1.5" for a rate. */
        String spec() {
            if (kind.equals("step")) {
                long ms = offset.toMillis();
                return String.format(Locale.ROOT, "%s%d.%03d", ms < 0 ? "-" : "+", Math.abs(ms) / 1000, Math.abs(ms) % 1000);
            }
            // With FAKETIME_XRESET the offset of a rate line is ignored: the clock goes on from where it is.
            return "+0 x" + java.math.BigDecimal.valueOf(rate).stripTrailingZeros().toPlainString();
        }
    }

    /** Where Debian (and most distributions) install the multi-threaded library. */
    private static final List<String> LIBRARY_DIRS = List.of(
            "/usr/lib/x86_64-linux-gnu/faketime", "/usr/lib/aarch64-linux-gnu/faketime", "/usr/lib/faketime",
            "/usr/lib64/faketime", "/usr/local/lib/faketime");
    private static final String LIBRARY = "libfaketimeMT.so.1";

    private final Path file;
    private final Clocks clocks;
    private final Path library;
    private Skew current;

    private ClockSkew(Path file, Clocks clocks, Path library) {
        this.file = file;
        this.clocks = clocks;
        this.library = library;
    }

    /** Null when libfaketime is installed, else one line saying how to install it. */
    public static String problem() {
        return library() == null
                ? "clock skew needs libfaketime (" + LIBRARY + "); install with: apt-get install -y libfaketime"
                : null;
    }

    private static Path library() {
        for (String dir : LIBRARY_DIRS) {
            Path p = Path.of(dir, LIBRARY);
            if (Files.isReadable(p)) {
                return p;
            }
        }
        return null;
    }

    /**
     * A clock at real time whose setting lives in {@code file} (written now, atomically). Start the
     * process with {@link #environment()} or {@link #prefix()}.
     *
     * @throws IllegalStateException with {@link #problem()} when libfaketime is missing
     */
    public static ClockSkew create(Path file, Clocks clocks) throws IOException {
        Path lib = library();
        if (lib == null) {
            throw new IllegalStateException(problem());
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        ClockSkew c = new ClockSkew(file.toAbsolutePath(), clocks, lib);
        c.write(Skew.step(Duration.ZERO));
        return c;
    }

    public Clocks clocks() {
        return clocks;
    }

    public Path file() {
        return file;
    }

    /** The last setting (real time at first). */
    public synchronized Skew current() {
        return current;
    }

    /**
     * Moves the clock of the running process (it takes effect within about a second).
     *
     * @throws IllegalStateException for a step in {@link Clocks#ALL} mode
     */
    public synchronized void set(Skew skew) throws IOException {
        if (clocks == Clocks.ALL && skew.kind().equals("step")) {
            throw new IllegalStateException("a clock step would move the monotonic clock too in Clocks.ALL mode; "
                    + "steps need Clocks.WALL, rates work in both");
        }
        write(skew);
    }

    /** Back to normal: a step to real time ({@link Clocks#WALL}), or rate 1 keeping the drift ({@link Clocks#ALL}). */
    public void reset() throws IOException {
        set(clocks == Clocks.WALL ? Skew.step(Duration.ZERO) : Skew.rate(1.0));
    }

    /** The variables to add to the process's environment (FAKETIME itself must be unset: it overrides the file). */
    public Map<String, String> environment() {
        Map<String, String> env = new LinkedHashMap<>();
        String preload = System.getenv("LD_PRELOAD");
        env.put("LD_PRELOAD", preload == null || preload.isBlank() ? library.toString() : library + ":" + preload);
        env.put("FAKETIME_TIMESTAMP_FILE", file.toString());
        env.put("FAKETIME_CACHE_DURATION", "1");
        env.put("FAKETIME_XRESET", "1");
        if (clocks == Clocks.WALL) {
            env.put("FAKETIME_DONT_FAKE_MONOTONIC", "1");
        }
        return env;
    }

    /** Applies {@link #environment()} to a process about to start, and removes FAKETIME. */
    public ProcessBuilder apply(ProcessBuilder pb) {
        pb.environment().remove("FAKETIME");
        pb.environment().putAll(environment());
        return pb;
    }

    /** {@code env -u FAKETIME LD_PRELOAD=... ...}: put it in front of a command line (e.g. over SSH). */
    public List<String> prefix() {
        List<String> p = new ArrayList<>(List.of("env", "-u", "FAKETIME"));
        environment().forEach((k, v) -> p.add(k + "=" + v));
        return p;
    }

    /**
     * Removes what libfaketime leaves in /dev/shm for processes that died without exiting (SIGKILL):
     * only for the given processes, and only once they are dead.
     *
     * @return how many files were removed
     */
    public static int cleanUpAfter(java.util.Collection<ProcessHandle> killed) {
        int removed = 0;
        for (ProcessHandle h : killed) {
            if (h.isAlive()) {
                continue;
            }
            for (String name : List.of("faketime_shm_" + h.pid(), "sem.faketime_sem_" + h.pid())) {
                try {
                    if (Files.deleteIfExists(Path.of("/dev/shm", name))) {
                        removed++;
                    }
                } catch (IOException e) {
                    // not ours to fight over: a permission problem leaves the file, which is harmless
                }
            }
        }
        return removed;
    }

    private void write(Skew skew) throws IOException {
        Path tmp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp");
        Files.writeString(tmp, skew.spec() + "\n", StandardCharsets.US_ASCII);
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
        current = skew;
    }

    @Override
    public String toString() {
        return "clock skew " + clocks + " " + current + " (" + file + ")";
    }
}
