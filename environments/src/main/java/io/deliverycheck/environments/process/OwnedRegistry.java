package io.deliverycheck.environments.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The registry file of one harness: the processes it owns, each by pid and start time, so that
 * whoever cleans up after it (its reaper when it dies, or the next harness when the reaper died too)
 * kills exactly those processes and never one that merely got a recycled pid. One file per harness,
 * {@code harness-<pid>-<start>.owned}, in a shared folder; rewritten atomically on every change.
 *
 * <p>Format: lines {@code <pid> <start> <group> <what>}, {@code group} being {@code g} when the
 * process leads its own process group (then the whole group is killed) and {@code -} otherwise;
 * lines starting with {@code #} are comments.
 */
final class OwnedRegistry {
    private static final Pattern NAME = Pattern.compile("harness-(\\d+)-(\\d+)\\.owned");

    private OwnedRegistry() {
    }

    /**
     * One owned process: by pid and start time, or (when {@code pidFile} is set) the process a pid
     * file names, if its command line names the file's directory.
     */
    record Entry(long pid, long start, boolean group, String what, Path pidFile) {
        Entry(long pid, long start, boolean group, String what) {
            this(pid, start, group, what, null);
        }

        /** The process {@code pidFile} will name, whatever its pid. */
        static Entry pidFile(Path pidFile, String what) {
            return new Entry(0, 0, true, what, pidFile.toAbsolutePath());
        }

        String describe() {
            return what + (pidFile == null ? " (pid " + pid + ")" : " (pid file " + pidFile + ")");
        }
    }

    /** The registry file of the harness {@code self}. */
    static Path fileOf(Path dir, ProcInfo self) {
        return dir.resolve("harness-" + self.pid() + "-" + self.start() + ".owned");
    }

    static void write(Path file, ProcInfo self, Collection<Entry> entries) throws IOException {
        StringBuilder b = new StringBuilder("# processes owned by the deliverycheck harness pid " + self.pid()
                + " (start " + self.start() + "): pid start group what\n");
        for (Entry e : entries) {
            b.append(e.pid()).append(' ').append(e.start()).append(' ')
                    .append(e.pidFile() != null ? 'f' : e.group() ? 'g' : '-').append(' ')
                    .append(e.what().replace('\n', ' ').replace('\t', ' '));
            if (e.pidFile() != null) {
                b.append('\t').append(e.pidFile());
            }
            b.append('\n');
        }
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.writeString(tmp, b.toString(), StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** The entries of a registry file; an unreadable line is skipped (it names nothing we can verify). */
    static List<Entry> read(Path file) throws IOException {
        List<Entry> out = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split(" ", 4);
            try {
                String what = f.length > 3 ? f[3] : "?";
                if (f[2].equals("f")) {
                    int tab = what.indexOf('\t');
                    out.add(Entry.pidFile(Path.of(what.substring(tab + 1)), what.substring(0, tab)));
                } else {
                    out.add(new Entry(Long.parseLong(f[0]), Long.parseLong(f[1]), f[2].equals("g"), what));
                }
            } catch (RuntimeException e) {
                // not ours to guess
            }
        }
        return out;
    }

    /**
     * Kills the process of {@code e} and what it started, if it is still the process registered:
     * same pid and start time. A process that leads its own group is killed with its whole group;
     * a group whose leader is gone is killed member by member (its number cannot have been reused
     * while it has members). Returns whether anything was killed.
     */
    static boolean kill(Entry e) {
        if (e.pidFile() != null) {
            return killByPidFile(e);
        }
        ProcInfo now = ProcInfo.read(e.pid());
        if (now != null) {
            if (now.start() != e.start()) {
                return false; // the pid was recycled: not ours
            }
            Optional<ProcessHandle> h = ProcessHandle.of(e.pid());
            List<ProcessHandle> tree = new ArrayList<>();
            h.ifPresent(x -> x.descendants().forEach(tree::add));
            if (e.group() && now.pgid() == e.pid()) {
                try {
                    Signals.sendToGroup("KILL", e.pid());
                } catch (IOException | InterruptedException x) {
                    if (x instanceof InterruptedException) {
                        Thread.currentThread().interrupt();
                    }
                    // the members are killed one by one below
                }
            }
            h.ifPresent(ProcessHandle::destroyForcibly);
            tree.forEach(ProcessHandle::destroyForcibly);
            if (e.group()) {
                killMembers(e);
            }
            return true;
        }
        return e.group() && killMembers(e);
    }

    /**
     * The process the pid file names (its first line), if it is alive and its command line names the
     * file's directory (a postmaster runs as {@code postgres -D <data directory>}): then it is ours,
     * whatever its pid, and it is killed with its group.
     */
    private static boolean killByPidFile(Entry e) {
        long pid = pidIn(e.pidFile());
        ProcInfo now = ProcInfo.read(pid);
        if (now == null || pid <= 1) {
            return false;
        }
        String cmdline;
        try {
            cmdline = new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")),
                    StandardCharsets.UTF_8).replace('\0', ' ');
        } catch (IOException x) {
            return false;
        }
        if (!cmdline.contains(e.pidFile().getParent().toString())) {
            return false; // a stale file whose pid went to another process
        }
        return kill(new Entry(pid, now.start(), now.pgid() == pid, e.what()));
    }

    /** The pid on the first line of a pid file, or -1 (no such file: never started, or stopped cleanly). */
    private static long pidIn(Path pidFile) {
        try {
            List<String> lines = Files.readAllLines(pidFile, StandardCharsets.UTF_8);
            return Long.parseLong(lines.get(0).trim());
        } catch (IOException | RuntimeException x) {
            return -1;
        }
    }

    private static boolean killMembers(Entry e) {
        boolean any = false;
        for (int round = 0; round < 5; round++) {
            List<ProcInfo> members = ProcInfo.group(e.pid(), e.start());
            if (members.isEmpty()) {
                break;
            }
            for (ProcInfo m : members) {
                ProcessHandle.of(m.pid()).ifPresent(ProcessHandle::destroyForcibly);
                any = true;
            }
        }
        return any;
    }

    /** Kills every entry of {@code file} and deletes it; returns the processes it killed. */
    static List<String> killAll(Path file) {
        List<String> killed = new ArrayList<>();
        if (!Files.exists(file)) {
            return killed;
        }
        try {
            java.util.Set<Long> done = new java.util.HashSet<>();
            for (Entry e : read(file)) {
                long pid = e.pidFile() != null ? pidIn(e.pidFile()) : e.pid();
                if (done.contains(pid)) {
                    continue; // the postmaster adopted by pid and expected by its pid file: once
                }
                if (kill(e)) {
                    killed.add(e.describe());
                    done.add(pid);
                }
            }
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // another cleaner took it
        }
        return killed;
    }

    /**
     * Cleans up after every harness of {@code dir} that is dead (no process with its pid and start
     * time) but left a registry file: its reaper died with it, or never ran. Returns one line per
     * dead harness whose processes were killed.
     */
    static List<String> cleanDead(Path dir, ProcInfo self) {
        List<String> report = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "harness-*.owned")) {
            for (Path f : ds) {
                Matcher m = NAME.matcher(f.getFileName().toString());
                if (!m.matches()) {
                    continue;
                }
                long pid = Long.parseLong(m.group(1));
                long start = Long.parseLong(m.group(2));
                if (pid == self.pid() && start == self.start()) {
                    continue;
                }
                ProcInfo h = ProcInfo.read(pid);
                if (h != null && h.start() == start) {
                    continue; // that harness is alive: its processes are its own
                }
                List<String> killed = killAll(f);
                if (!killed.isEmpty()) {
                    report.add("stopped " + killed.size() + " process(es) left by the killed harness pid " + pid
                            + ": " + String.join(", ", killed));
                }
            }
        } catch (IOException | RuntimeException e) {
            // no folder yet: nothing left behind
        }
        return report;
    }
}
