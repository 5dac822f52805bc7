package io.deliverycheck.environments.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The registry names each process by pid and start time: a recycled pid is never killed. */
class OwnedRegistryTest {
    @TempDir Path dir;
    private Process sleeper;

    @AfterEach
    void stop() {
        if (sleeper != null) {
            sleeper.destroyForcibly();
        }
    }

    /** A registry file of a harness that is certainly dead: a pid with a start time it never had. */
    private Path deadHarness(List<OwnedRegistry.Entry> entries) throws Exception {
        ProcInfo dead = new ProcInfo(999_999_999L, 999_999_999L, 1);
        Path f = OwnedRegistry.fileOf(dir, dead);
        OwnedRegistry.write(f, dead, entries);
        return f;
    }

    @Test
    void procStatIsParsedWithSpacesAndParenthesesInTheName() {
        ProcInfo p = ProcInfo.parse(42, "42 (a (b) c) S 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 123456 100 200");
        assertNotNull(p);
        assertEquals(42, p.pgid());
        assertEquals(123456, p.start());
        ProcInfo self = ProcInfo.read(ProcessHandle.current().pid());
        assertNotNull(self, "this JVM's own /proc entry");
        assertTrue(self.start() > 0);
    }

    @Test
    void aPidWithAnotherStartTimeIsNeverKilledAndTheRightOneIs() throws Exception {
        sleeper = new ProcessBuilder("sleep", "60").start();
        ProcInfo s = ProcInfo.read(sleeper.pid());
        assertNotNull(s);
        ProcInfo self = ProcInfo.read(ProcessHandle.current().pid());
        Path f = deadHarness(List.of(
                new OwnedRegistry.Entry(sleeper.pid(), s.start() + 1, false, "recycled sleep"),
                new OwnedRegistry.Entry(self.pid(), self.start() - 1, true, "this very JVM, recycled")));
        List<String> report = OwnedRegistry.cleanDead(dir, self);
        assertEquals(List.of(), report, "nothing of ours was alive");
        assertTrue(sleeper.isAlive(), "a pid whose start time differs is another process");
        assertFalse(Files.exists(f), "the dead harness's registry is removed");

        deadHarness(List.of(new OwnedRegistry.Entry(sleeper.pid(), s.start(), false, "sleep")));
        report = OwnedRegistry.cleanDead(dir, self);
        assertTrue(sleeper.waitFor(10, TimeUnit.SECONDS), "the registered process is stopped");
        assertEquals(1, report.size(), report.toString());
        assertTrue(report.get(0).contains("sleep (pid " + sleeper.pid() + ")"), report.toString());
    }

    @Test
    void aLiveHarnessKeepsItsProcesses() throws Exception {
        sleeper = new ProcessBuilder("sleep", "60").start();
        ProcInfo s = ProcInfo.read(sleeper.pid());
        ProcInfo self = ProcInfo.read(ProcessHandle.current().pid());
        Path f = OwnedRegistry.fileOf(dir, self); // this JVM is alive: its file is its own
        OwnedRegistry.write(f, self, List.of(new OwnedRegistry.Entry(sleeper.pid(), s.start(), false, "sleep")));
        ProcInfo other = new ProcInfo(self.pid(), self.pid(), self.start() + 7); // someone else cleaning
        assertEquals(List.of(), OwnedRegistry.cleanDead(dir, other));
        assertTrue(sleeper.isAlive());
        assertTrue(Files.exists(f));
    }

    @Test
    void aProcessStartedHereLeadsItsOwnGroupAndKeepsItsPid() throws Exception {
        Process p = OwnedProcesses.start(new ProcessBuilder("sleep", "60"), "sleep");
        try {
            ProcInfo i = ProcInfo.read(p.pid());
            assertNotNull(i);
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5))
                    .until(() -> ProcInfo.read(p.pid()).pgid() == p.pid()); // setsid, then exec: same pid
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).until(() ->
                    ProcessHandle.of(p.pid()).flatMap(h -> h.info().command()).orElse("").endsWith("sleep"));
            assertTrue(Files.readString(OwnedProcesses.registryFile()).contains(p.pid() + " " + i.start() + " g sleep"));
        } finally {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            OwnedProcesses.release(p.pid());
        }
        assertFalse(Files.readString(OwnedProcesses.registryFile()).contains(" g sleep"));
        Exception missing = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                () -> OwnedProcesses.start(new ProcessBuilder("no-such-program-here"), "nothing"));
        assertTrue(missing.getMessage().contains("no-such-program-here"), missing.getMessage());
    }

    @Test
    void aPidFileEntryKillsOnlyAProcessWhoseCommandLineNamesItsDirectory() throws Exception {
        Path data = Files.createDirectories(dir.resolve("db"));
        Path pidFile = data.resolve("postmaster.pid");
        ProcInfo self = ProcInfo.read(ProcessHandle.current().pid());
        sleeper = new ProcessBuilder("sleep", "60").start(); // alive, but its command line names no data dir
        Files.writeString(pidFile, sleeper.pid() + "\n" + data + "\n");
        deadHarness(List.of(OwnedRegistry.Entry.pidFile(pidFile, "postgres " + data)));
        assertEquals(List.of(), OwnedRegistry.cleanDead(dir, self));
        assertTrue(sleeper.isAlive(), "a stale pid file whose pid went to another process kills nothing");

        Process daemon = new ProcessBuilder("sh", "-c", "sleep 60; true", data.toString()).start(); // $0 = the data dir
        try {
            Files.writeString(pidFile, daemon.pid() + "\n" + data + "\n");
            Path f = deadHarness(List.of(OwnedRegistry.Entry.pidFile(pidFile, "postgres " + data)));
            assertTrue(Files.readString(f).contains(" f postgres " + data + "\t" + pidFile), Files.readString(f));
            List<String> report = OwnedRegistry.cleanDead(dir, self);
            assertTrue(daemon.waitFor(10, TimeUnit.SECONDS), "the process the pid file names is stopped");
            assertEquals(1, report.size(), report.toString());
        } finally {
            daemon.descendants().forEach(ProcessHandle::destroyForcibly);
            daemon.destroyForcibly();
        }
    }
}
