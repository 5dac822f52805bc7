package io.deliverycheck.environments.process;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one door through which the harness starts (or adopts) every process it owns: nodes, the
 * harness's PostgreSQL, the brokers' private instances. A process registered here is tied to the
 * harness's life: it is killed, with what it started, when the harness exits, however it exits.
 * Stop what you started normally first and {@link #release} it.
 *
 * <p>Three mechanisms, each for a way the harness can die:
 * <ul>
 *   <li><b>normal exit, Ctrl-C, SIGTERM</b>: a JVM shutdown hook kills every registered process;</li>
 *   <li><b>SIGKILL</b> (a CI job's timeout): no code of the harness runs, so a small <b>reaper</b>
 *       child ({@link Reaper}, in a session of its own so a kill of the harness's process group
 *       spares it) holds a pipe from the harness; the kernel closes the pipe when the harness dies,
 *       the reaper reads end-of-file and kills what the harness's registry file lists;</li>
 *   <li><b>the reaper killed too</b>: the registry file stays; the next harness to use this class
 *       reads it, sees that its harness is gone, kills what it lists and deletes it (one line on
 *       stderr says what it stopped).</li>
 * </ul>
 * Every process is registered by pid <i>and</i> start time ({@code /proc/<pid>/stat}), so a pid the
 * system gave to another process meanwhile is never killed. A child started here runs in its own
 * process group ({@code setsid}, when the system has it: it keeps the child's pid), so killing it
 * kills whatever it forked; an adopted process (a daemon such as PostgreSQL's postmaster, which
 * {@code pg_ctl} starts in a session of its own) is killed with its group when it leads one.
 *
 * <p>The registry folder is {@code $TMPDIR/deliverycheck-<user>/owned}, or the system property
 * {@value #DIR_PROPERTY} (the tests use their own). If it cannot be used, a warning says so once and
 * only the shutdown hook remains.
 */
public final class OwnedProcesses {

    /** System property naming the registry folder. */
    public static final String DIR_PROPERTY = "deliverycheck.owned.dir";

    private static final Map<Long, OwnedRegistry.Entry> OWNED = new LinkedHashMap<>();
    private static final Map<Path, OwnedRegistry.Entry> EXPECTED = new LinkedHashMap<>();
    private static final String SETSID = findSetsid();
    private static boolean started;
    private static ProcInfo self;
    private static Path dir;
    private static Path file;
    private static Process reaper;
    private static OutputStream reaperPipe; // held open: its end-of-file is the harness's death
    private static boolean warned;

    private OwnedProcesses() {
    }

    /**
     * Starts {@code pb} and owns the child; {@code what} names it in diagnostics ("kafka n2"). The
     * child leads its own process group; its pid is that of {@code pb}'s program.
     */
    public static Process start(ProcessBuilder pb, String what) throws IOException {
        init();
        List<String> original = pb.command();
        boolean group = SETSID != null && resolvable(original, pb);
        if (group) {
            List<String> cmd = new ArrayList<>(original.size() + 1);
            cmd.add(SETSID);
            cmd.addAll(original);
            pb.command(cmd);
        }
        Process p;
        try {
            p = pb.start();
        } finally {
            pb.command(original);
        }
        ProcInfo info = ProcInfo.read(p.pid());
        if (info != null) {
            add(new OwnedRegistry.Entry(p.pid(), info.start(), group, what));
        } else if (p.isAlive()) {
            warn("cannot read /proc/" + p.pid() + "/stat: " + what + " is tied to the harness by its shutdown hook only");
            add(new OwnedRegistry.Entry(p.pid(), -1, false, what));
        }
        return p;
    }

    /** Owns an already running process, e.g. a daemon's postmaster read from its pid file. */
    public static void adopt(long pid, String what) {
        init();
        ProcInfo info = ProcInfo.read(pid);
        if (info == null) {
            return; // gone already: nothing to own
        }
        add(new OwnedRegistry.Entry(pid, info.start(), info.pgid() == pid, what));
    }

    /**
     * Owns, until {@link #release(Path)}, whatever process {@code pidFile} names (its first line) once
     * it exists, if that process's command line names the file's directory: for a daemon the harness
     * starts through a tool that waits for it (PostgreSQL's {@code pg_ctl start -w}), so that a
     * harness killed before it could {@link #adopt} the daemon still does not leave it running.
     */
    public static void expect(Path pidFile, String what) {
        init();
        synchronized (OwnedProcesses.class) {
            EXPECTED.put(pidFile.toAbsolutePath(), OwnedRegistry.Entry.pidFile(pidFile, what));
            ensureReaper();
            save();
        }
    }

    /** The process stopped (or was stopped) normally; no longer owned. */
    public static synchronized void release(long pid) {
        if (OWNED.remove(pid) != null) {
            save();
        }
    }

    /** Whatever {@code pidFile} names is no longer owned (see {@link #expect}). */
    public static synchronized void release(Path pidFile) {
        if (EXPECTED.remove(pidFile.toAbsolutePath()) != null) {
            save();
        }
    }

    /** The pid of the reaper, or -1 when there is none (for tests and diagnostics). */
    public static synchronized long reaperPid() {
        return reaper != null && reaper.isAlive() ? reaper.pid() : -1;
    }

    /**
     * The harness's own child processes that are alive, but for the reaper (which lives as long as
     * the harness): what a test checks is empty once an environment is closed.
     */
    public static java.util.List<ProcessHandle> leftovers() {
        long r = reaperPid();
        return ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).filter(h -> h.pid() != r).toList();
    }

    /** The registry file of this harness, or null when there is none (for tests and diagnostics). */
    public static synchronized Path registryFile() {
        return file;
    }

    private static synchronized void add(OwnedRegistry.Entry e) {
        OWNED.put(e.pid(), e);
        ensureReaper();
        save();
    }

    /** Kills every owned process still alive, with what it started; deletes the registry file. */
    static void killAll() {
        List<OwnedRegistry.Entry> all;
        List<OwnedRegistry.Entry> expected;
        synchronized (OwnedProcesses.class) {
            all = new ArrayList<>(OWNED.values());
            expected = new ArrayList<>(EXPECTED.values());
        }
        expected.forEach(OwnedRegistry::kill);
        for (OwnedRegistry.Entry e : all) {
            if (e.start() >= 0) {
                OwnedRegistry.kill(e);
            } else {
                ProcessHandle.of(e.pid()).ifPresent(h -> {
                    h.descendants().forEach(ProcessHandle::destroyForcibly);
                    h.destroyForcibly();
                });
            }
        }
        synchronized (OwnedProcesses.class) {
            all.forEach(e -> OWNED.remove(e.pid(), e));
            expected.forEach(e -> EXPECTED.remove(e.pidFile(), e));
            if (OWNED.isEmpty() && EXPECTED.isEmpty() && file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException e) {
                    // the reaper finds entries of dead processes only, and kills nothing
                }
            } else {
                save(); // started while we were killing: the reaper takes them
            }
        }
    }

    private static synchronized void init() {
        if (started) {
            return;
        }
        started = true;
        Runtime.getRuntime().addShutdownHook(new Thread(OwnedProcesses::killAll, "owned-processes"));
        self = ProcInfo.read(ProcessHandle.current().pid());
        if (self == null) {
            warn("no /proc here: children are tied to the harness by its shutdown hook only (not after SIGKILL)");
            return;
        }
        dir = folder();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            warn("cannot create " + dir + " (" + e.getMessage() + "): children are tied to the harness by its"
                    + " shutdown hook only (not after SIGKILL); set -D" + DIR_PROPERTY + "=DIR");
            dir = null;
            return;
        }
        for (String line : OwnedRegistry.cleanDead(dir, self)) {
            System.err.println("deliverycheck: " + line);
        }
        file = OwnedRegistry.fileOf(dir, self);
        save();
        ensureReaper();
    }

    private static Path folder() {
        String d = System.getProperty(DIR_PROPERTY);
        if (d != null && !d.isBlank()) {
            return Path.of(d).toAbsolutePath();
        }
        return Path.of(System.getProperty("java.io.tmpdir"), "deliverycheck-" + System.getProperty("user.name", "user"), "owned");
    }

    private static void save() {
        if (file == null) {
            return;
        }
        try {
            List<OwnedRegistry.Entry> entries = new ArrayList<>(OWNED.values());
            entries.addAll(EXPECTED.values());
            OwnedRegistry.write(file, self, entries);
        } catch (IOException e) {
            warn("cannot write " + file + " (" + e.getMessage() + "): after a SIGKILL of the harness its"
                    + " children may be left running");
        }
    }

    /** Starts the reaper if there is none (first use, or it died). */
    private static void ensureReaper() {
        if (file == null || reaper != null && reaper.isAlive()) {
            return;
        }
        List<String> cmd = new ArrayList<>();
        if (SETSID != null) {
            cmd.add(SETSID);
        }
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of("-Xmx16m", "-Xss512k", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData",
                "-cp", System.getProperty("java.class.path"), Reaper.class.getName(), file.toString()));
        try {
            reaper = new ProcessBuilder(cmd)
                    .redirectInput(ProcessBuilder.Redirect.PIPE)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.appendTo(dir.resolve("reaper.log").toFile()))
                    .start();
            reaperPipe = reaper.getOutputStream();
        } catch (IOException e) {
            reaper = null;
            warn("cannot start the reaper (" + e.getMessage() + "): after a SIGKILL of the harness its children"
                    + " are stopped by the next run");
        }
    }

    private static void warn(String why) {
        synchronized (OwnedProcesses.class) {
            if (warned) {
                return;
            }
            warned = true;
        }
        System.err.println("deliverycheck: warning: " + why);
    }

    private static String findSetsid() {
        for (String d : List.of("/usr/bin", "/bin", "/usr/local/bin")) {
            Path p = Path.of(d, "setsid");
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return null;
    }

    /**
     * Whether the program of {@code command} exists, so that starting it through {@code setsid}
     * fails (or not) as starting it directly would: a missing program stays an IOException at start.
     */
    private static boolean resolvable(List<String> command, ProcessBuilder pb) {
        if (command.isEmpty()) {
            return false;
        }
        String prog = command.get(0);
        if (prog.contains("/")) {
            Path p = Path.of(prog);
            if (!p.isAbsolute() && pb.directory() != null) {
                p = pb.directory().toPath().resolve(p);
            }
            return Files.isExecutable(p);
        }
        String path = pb.environment().getOrDefault("PATH", System.getenv("PATH"));
        if (path == null) {
            return false;
        }
        for (String d : path.split(File.pathSeparator)) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, prog))) {
                return true;
            }
        }
        return false;
    }
}
