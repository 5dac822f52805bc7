package io.deliverycheck.environments.ssh;

import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A process the harness runs on a host ({@code dc-remote.sh run}): its own session and process group
 * on the host, its PID in the run folder, tagged so that only it is ever signalled; its stdout and
 * stderr streamed into a local file of the run folder ({@code logs/<name>.out} or
 * {@code logs/postgres.log}), appended across restarts. Its SSH channel is its lifeline: when the
 * channel closes the process's stdin ends (the reference node then stops, {@code --exit-on-stdin-eof}),
 * and the host's watchdog kills whatever is left. Thread-safe.
 */
final class RemoteProcess {

    private final HostRun host;
    private final String name;
    private final List<String> command;
    private final Path outFile;
    private final String[] needles;
    private final String stopSignal;
    private SshHost.Remote current;
    private boolean paused;
    private boolean retired;

    /** A process that {@link #stop} ends with SIGTERM. */
    RemoteProcess(HostRun host, String name, List<String> command, Path outFile) {
        this(host, name, command, outFile, "TERM");
    }

    /**
     * @param stopSignal what {@link #stop} sends first (TERM; INT is PostgreSQL's fast shutdown)
     * @param needles    strings whose lines {@link #output} counts (e.g. a readiness line)
     */
    RemoteProcess(HostRun host, String name, List<String> command, Path outFile, String stopSignal, String... needles) {
        this.stopSignal = stopSignal;
        this.host = host;
        this.name = name;
        this.command = List.copyOf(command);
        this.outFile = outFile;
        this.needles = needles;
    }

    String name() {
        return name;
    }

    HostRun host() {
        return host;
    }

    Path outFile() {
        return outFile;
    }

    /** Starts the process unless it runs. */
    synchronized void start() throws IOException {
        if (retired) {
            throw new IllegalStateException(name + " on host " + host.name() + " was stopped for good (environment closed)");
        }
        if (alive()) {
            return;
        }
        Files.createDirectories(outFile.toAbsolutePath().getParent());
        List<String> args = new ArrayList<>(List.of(host.dir, name));
        args.addAll(command);
        LineTap out = new LineTap(new FileOutputStream(outFile.toFile(), true), needles);
        try {
            current = host.ssh.start("run", args, out);
        } catch (IOException e) {
            out.close();
            throw e;
        }
        paused = false;
    }

    synchronized boolean alive() {
        return current != null && current.alive();
    }

    /** The current run's output (null before the first start). */
    synchronized LineTap output() {
        return current == null ? null : current.out;
    }

    /** The exit status of an ended process, else null. */
    synchronized Integer exitStatus() {
        return current == null || current.alive() ? null : current.exitStatus();
    }

    /** Sends {@code signal} (KILL, STOP, CONT to the process group; others to the process). */
    synchronized void signal(String signal) throws IOException {
        host.ssh.check("signal", host.dir, name, signal);
    }

    /** SIGKILL the process group and wait until it is gone (bounded). Idempotent. */
    synchronized void kill() throws IOException {
        if (!alive()) {
            paused = false;
            return;
        }
        signal("KILL");
        if (!current.awaitEnd(Duration.ofSeconds(10))) {
            throw new IllegalStateException(name + " on host " + host.ssh.host.describe() + " did not end after SIGKILL");
        }
        paused = false;
    }

    synchronized void pause() throws IOException {
        if (!alive()) {
            throw new IllegalStateException("cannot pause " + name + " on host " + host.name() + ": its process is not running");
        }
        signal("STOP");
        paused = true;
    }

    synchronized void resume() throws IOException {
        if (alive()) {
            signal("CONT");
        }
        paused = false;
    }

    /** Sends {@code signal} and waits up to {@code timeout} for the end; true if it ended. */
    synchronized boolean signalAndAwait(String signal, Duration timeout) throws IOException {
        if (!alive()) {
            return true;
        }
        signal(signal);
        return current.awaitEnd(timeout);
    }

    /**
     * Ends the process for good: SIGCONT if paused, the stop signal (SIGTERM), {@code grace}, SIGKILL of its group, and
     * closes its channel. Never throws.
     */
    synchronized void stop(Duration grace) {
        retired = true;
        if (current == null) {
            return;
        }
        try {
            if (current.alive()) {
                if (paused) {
                    signal("CONT");
                }
                signal(stopSignal);
                if (!current.awaitEnd(grace)) {
                    signal("KILL");
                    current.awaitEnd(Duration.ofSeconds(10));
                }
            }
        } catch (IOException | RuntimeException e) {
            // the channel closes below; the watchdog kills what is left
        } finally {
            current.close();
        }
    }
}
