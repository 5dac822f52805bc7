package io.deliverycheck.environments.disk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.deliverycheck.environments.process.Cleanup;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The power-loss file system ({@code powerlossfs.c}, a FUSE program of the project's own) mounted over
 * a directory: a passthrough to a backing directory that remembers what was not fsynced, so that
 * {@link #drop()} can make it vanish as a power loss would. The model (which writes and which directory
 * operations survive) is documented at the top of {@code environments/src/main/c/powerlossfs.c} and in
 * docs/environments.md.
 *
 * <p>A power-loss fault is: kill every process using the mount (SIGKILL, all at once: a rack loses
 * power), {@link #drop()}, start them again. Between a drop and the restart nothing may use the mount.
 *
 * <p>Lifetime: the program reads its commands from a pipe held by this JVM; when the JVM ends in any
 * way (even SIGKILL) the pipe closes and the program unmounts and exits; if the program itself is
 * killed, {@code auto_unmount} (fusermount3) unmounts. {@link #close()} unmounts and stops it, and a
 * shutdown hook does the same on Ctrl-C. On unmount everything written stays in the backing directory.
 *
 * <p>The C source is compiled on first use with gcc against libfuse3 into a {@code native/} folder next
 * to this class's jar or classes folder (so under {@code target/}), keyed by the source's hash.
 * Thread-safe.
 */
public final class PowerLossFs implements AutoCloseable {

    /** The hidden folder in the backing directory where removed entries wait until the removal is durable. */
    public static final String GRAVE = ".powerlossfs";
    private static final String SOURCE = "powerlossfs.c";
    private static final Duration MOUNT_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);
    private static final String EOF = "\u0000eof";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path backing;
    private final Path mountpoint;
    private final Path log;
    private final Process process;
    private final OutputStream commands;
    private final BlockingQueue<String> replies = new LinkedBlockingQueue<>();
    private final Cleanup cleanup;
    private boolean closed;

    /** Counters of the file system and the size of what is unsynced now. */
    public record Stats(long dirtyFiles, long savedBytes, long unsyncedOps, long writes, long fsyncs,
                        long dirFsyncs, long drops) {
    }

    /** What a drop took back: files whose data reverted, durable bytes written back, directory operations undone. */
    public record Dropped(long revertedFiles, long restoredBytes, long undoneOps) {
    }

    private PowerLossFs(Path backing, Path mountpoint, Path log, Process process) {
        this.backing = backing;
        this.mountpoint = mountpoint;
        this.log = log;
        this.process = process;
        this.commands = process.getOutputStream();
        this.cleanup = new Cleanup("powerlossfs", this::close);
        Thread reader = new Thread(() -> readReplies(process.getInputStream()), "powerlossfs-replies");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Null when the power-loss file system can run here, else one line saying what is missing and how
     * to install it.
     */
    public static String problem() {
        String host = hostProblem();
        if (host != null) {
            return host;
        }
        List<String> missing = new ArrayList<>();
        if (which("fusermount3") == null) {
            missing.add("fusermount3 (fuse3)");
        }
        if (which("gcc") == null) {
            missing.add("gcc");
        }
        if (which("pkg-config") == null) {
            missing.add("pkg-config");
        } else if (run(List.of("pkg-config", "--exists", "fuse3")) != 0) {
            missing.add("the libfuse3 headers (libfuse3-dev)");
        }
        if (!missing.isEmpty()) {
            return "the power-loss file system needs " + String.join(", ", missing)
                    + "; install with: apt-get install -y fuse3 libfuse3-dev gcc pkg-config";
        }
        return null;
    }

    /**
     * The part of {@link #problem()} that installing packages cannot fix: not Linux, not root, no
     * /dev/fuse. Null when the host can run it.
     */
    public static String hostProblem() {
        if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
            return "the power-loss file system needs Linux (FUSE)";
        }
        if (!isRoot()) {
            return "the power-loss file system needs root (it mounts a FUSE file system that every user may use)";
        }
        Path dev = Path.of("/dev/fuse");
        if (!Files.exists(dev) || !Files.isReadable(dev) || !Files.isWritable(dev)) {
            return "the power-loss file system needs /dev/fuse (load the fuse module: modprobe fuse; in a container: --device /dev/fuse)";
        }
        return null;
    }

    /**
     * Mounts the file system on {@code mountpoint} (created if missing) over {@code backing} (created if
     * missing; keeps what is in it), the program's messages appended to {@code log}. Returns once mounted.
     *
     * @throws IllegalStateException with {@link #problem()} when it cannot run here
     * @throws IOException           when it does not mount (the message quotes its log)
     */
    public static PowerLossFs mount(Path backing, Path mountpoint, Path log) throws IOException {
        String problem = problem();
        if (problem != null) {
            throw new IllegalStateException(problem);
        }
        Path bin = binary();
        Path b = Files.createDirectories(backing).toRealPath();
        Path m = Files.createDirectories(mountpoint).toRealPath();
        if (m.startsWith(b) || b.startsWith(m)) {
            throw new IllegalArgumentException("the power-loss mount point " + m + " and its backing directory " + b
                    + " must not contain each other");
        }
        if (isMounted(m)) {
            throw new IOException("something is already mounted on " + m);
        }
        Files.createDirectories(log.toAbsolutePath().getParent());
        Process p = new ProcessBuilder(bin.toString(), b.toString(), m.toString())
                .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        PowerLossFs fs = new PowerLossFs(b, m, log.toAbsolutePath(), p);
        try {
            String first = fs.replies.poll(MOUNT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            if (!"ready".equals(first)) {
                throw new IOException("the power-loss file system did not mount on " + m
                        + (first == null ? " within " + MOUNT_TIMEOUT.toSeconds() + " s" : "") + ": " + fs.logTail());
            }
        } catch (InterruptedException e) {
            fs.close();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while mounting " + m, e);
        } catch (IOException | RuntimeException e) {
            fs.close();
            throw e;
        }
        fs.cleanup.register();
        return fs;
    }

    /** Where processes see the file system. */
    public Path mountpoint() {
        return mountpoint;
    }

    /** Where the bytes live. */
    public Path backing() {
        return backing;
    }

    /** The PID of the file system's process. */
    public long pid() {
        return process.pid();
    }

    /**
     * Undoes everything not yet durable: data written since the last fsync of its file, directory
     * operations not made durable by an fsync of their directory. Call it only when no process uses the
     * mount (kill them first).
     *
     * @throws IOException when the program fails to restore something (the message says what)
     */
    public Dropped drop() throws IOException {
        JsonNode r = command("drop");
        if (r.path("errors").asLong() > 0) {
            throw new IOException("power-loss drop on " + mountpoint + " could not undo " + r.path("errors").asLong()
                    + " change(s), first: " + r.path("first_error").asText());
        }
        return new Dropped(r.path("reverted_files").asLong(), r.path("restored_bytes").asLong(), r.path("undone_ops").asLong());
    }

    /** Makes everything written so far durable (as if every file and directory had been fsynced). */
    public void syncAll() throws IOException {
        command("sync-all");
    }

    public Stats stats() throws IOException {
        JsonNode r = command("stats");
        return new Stats(r.path("dirty_files").asLong(), r.path("saved_bytes").asLong(), r.path("unsynced_ops").asLong(),
                r.path("writes").asLong(), r.path("fsyncs").asLong(), r.path("dir_fsyncs").asLong(), r.path("drops").asLong());
    }

    /**
     * Unmounts (everything written stays in the backing directory) and stops the program; if it does
     * not go, kills it and lazily unmounts. Idempotent; never throws.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            try {
                if (process.isAlive()) {
                    commands.write("unmount\n".getBytes(StandardCharsets.US_ASCII));
                    commands.flush();
                }
            } catch (IOException e) {
                // the program is gone or going: closing its input below ends it too
            }
            try {
                commands.close();
            } catch (IOException e) {
                // already closed
            }
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
            if (isMounted(mountpoint)) {
                run(List.of("umount", "-l", mountpoint.toString()));
            }
            Path grave = backing.resolve(GRAVE);
            if (Files.exists(grave) && !isMounted(mountpoint)) {
                deleteTree(grave); // left by a killed program: those removals stand
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        cleanup.unregister();
    }

    /** Whether something is mounted exactly on {@code dir} (from /proc/self/mountinfo). */
    public static boolean isMounted(Path dir) {
        String want = dir.toAbsolutePath().normalize().toString();
        try (Stream<String> lines = Files.lines(Path.of("/proc/self/mountinfo"))) {
            return lines.map(l -> l.split(" "))
                    .anyMatch(f -> f.length > 4 && unescape(f[4]).equals(want));
        } catch (IOException | java.io.UncheckedIOException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return "power-loss fs " + mountpoint + " (backing " + backing + ", log " + log + ")";
    }

    // ---- the program ----

    private synchronized JsonNode command(String cmd) throws IOException {
        if (closed || !process.isAlive()) {
            throw new IOException("the power-loss file system on " + mountpoint + " is not running: " + logTail());
        }
        commands.write((cmd + "\n").getBytes(StandardCharsets.US_ASCII));
        commands.flush();
        String line;
        try {
            line = replies.poll(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted waiting for powerlossfs to answer '" + cmd + "'", e);
        }
        if (line == null || EOF.equals(line)) {
            throw new IOException("powerlossfs on " + mountpoint + " did not answer '" + cmd + "'"
                    + (line == null ? " within " + COMMAND_TIMEOUT.toSeconds() + " s" : " (it exited)") + ": " + logTail());
        }
        if (!line.startsWith("ok ")) {
            throw new IOException("powerlossfs on " + mountpoint + " refused '" + cmd + "': " + line);
        }
        return JSON.readTree(line.substring(3));
    }

    private void readReplies(InputStream in) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                replies.add(line);
            }
        } catch (IOException e) {
            // the program exited
        }
        replies.add(EOF);
    }

    private String logTail() {
        try {
            List<String> lines = Files.readAllLines(log);
            List<String> tail = lines.subList(Math.max(0, lines.size() - 3), lines.size());
            return tail.isEmpty() ? "(nothing in " + log + ")" : String.join(" | ", tail) + " (log " + log + ")";
        } catch (IOException e) {
            return "(no log at " + log + ")";
        }
    }

    /** The compiled program, built on first use (atomically: concurrent builds each write their own file). */
    static Path binary() throws IOException {
        byte[] source;
        try (InputStream in = PowerLossFs.class.getResourceAsStream(SOURCE)) {
            if (in == null) {
                throw new IOException(SOURCE + " is missing from the class path (it is packaged from environments/src/main/c)");
            }
            source = in.readAllBytes();
        }
        List<String> flags = List.of("-std=gnu11", "-O2", "-Wall", "-Wextra");
        String hash = sha256(source, String.join(" ", flags)).substring(0, 16);
        Path dir = nativeDir().resolve("powerlossfs-" + hash);
        Path bin = dir.resolve("powerlossfs");
        if (Files.isExecutable(bin)) {
            return bin;
        }
        Files.createDirectories(dir);
        Path src = dir.resolve(SOURCE);
        Path srcTmp = Files.createTempFile(dir, SOURCE, ".tmp");
        Files.write(srcTmp, source);
        moveAtomically(srcTmp, src);
        Path out = Files.createTempFile(dir, "powerlossfs", ".tmp");
        List<String> cmd = new ArrayList<>(List.of("gcc"));
        cmd.addAll(flags);
        cmd.addAll(List.of("-o", out.toString(), src.toString()));
        cmd.addAll(pkgConfig());
        Process cc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (cc.waitFor() != 0) {
                Files.deleteIfExists(out);
                throw new IOException("could not compile " + src + ": " + String.join(" ", cmd) + "\n" + output.strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted compiling " + src, e);
        }
        moveAtomically(out, bin);
        return bin;
    }

    private static List<String> pkgConfig() throws IOException {
        Process p = new ProcessBuilder("pkg-config", "--cflags", "--libs", "fuse3").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        try {
            if (p.waitFor() != 0) {
                throw new IOException("pkg-config fuse3 failed: " + out + "; install with: apt-get install -y libfuse3-dev pkg-config");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted running pkg-config", e);
        }
        return List.of(out.split("\\s+"));
    }

    /** {@code native/} next to the jar or classes folder this class came from (target/ in the repo), else ~/.cache. */
    static Path nativeDir() {
        try {
            Path code = Path.of(PowerLossFs.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path dir = code.getParent().resolve("native");
            Files.createDirectories(dir);
            if (Files.isWritable(dir)) {
                return dir;
            }
        } catch (IOException | URISyntaxException | RuntimeException e) {
            // fall through to the user's cache
        }
        return Path.of(System.getProperty("user.home"), ".cache", "deliverycheck", "native");
    }

    private static void moveAtomically(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static String sha256(byte[] data, String extra) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(data);
            md.update(extra.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** mountinfo escapes space, tab, newline and backslash as octal. */
    private static String unescape(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length()) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static boolean isRoot() {
        return run(List.of("id", "-u"), true) == 0;
    }

    private static int run(List<String> cmd) {
        return run(cmd, false);
    }

    /** Exit code of {@code cmd}; with {@code zeroOutput}, 0 only if it also printed "0". -1 if it cannot run. */
    private static int run(List<String> cmd, boolean zeroOutput) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            int rc = p.waitFor();
            return zeroOutput ? (rc == 0 && out.equals("0") ? 0 : 1) : rc;
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static String which(String cmd) {
        String path = System.getenv().getOrDefault("PATH", "") + File.pathSeparator + "/usr/sbin" + File.pathSeparator
                + "/sbin" + File.pathSeparator + "/usr/bin" + File.pathSeparator + "/bin";
        for (String dir : path.split(File.pathSeparator)) {
            File f = new File(dir, cmd);
            if (!dir.isEmpty() && f.isFile() && f.canExecute()) {
                return f.getAbsolutePath();
            }
        }
        return null;
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // best effort
                }
            });
        } catch (IOException e) {
            // best effort
        }
    }
}
