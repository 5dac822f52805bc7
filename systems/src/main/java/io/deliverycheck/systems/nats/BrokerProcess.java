package io.deliverycheck.systems.nats;

import io.deliverycheck.environments.process.OwnedProcesses;
import io.deliverycheck.environments.process.ProcessLogs;
import io.deliverycheck.environments.process.Signals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * One broker process the harness owns (a nats-server, mosquitto, redis-server or ElasticMQ JVM),
 * started through {@link OwnedProcesses} so it dies with the harness: start it (again), SIGKILL it,
 * SIGSTOP/SIGCONT it, stop it for good. Its stdout and stderr are appended to {@code outFile}.
 * Thread-safe. Shared by the broker environments of this module (nats, mqtt, redis, sqs); it lives
 * here because those four packages are one helper's rooms, and belongs in environments/process.
 *
 * <p>Contract: every method acts on this process by its PID only; {@link #kill} and {@link #stop}
 * return once the process is gone (bounded wait), {@link #stop} is final and never throws.
 */
public final class BrokerProcess {

    private static final Duration KILL_WAIT = Duration.ofSeconds(10);

    private final String what;
    private final List<String> command;
    private final Path outFile;
    private Process process;
    private boolean paused;
    private boolean retired;

    /**
     * @param what names the process in errors and in {@link OwnedProcesses} ("nats n2")
     * @param command its command line, run from the harness's working directory
     * @param outFile where its stdout and stderr are appended
     */
    public BrokerProcess(String what, List<String> command, Path outFile) {
        this.what = what;
        this.command = List.copyOf(command);
        this.outFile = outFile;
    }

    public String what() {
        return what;
    }

    public Path outFile() {
        return outFile;
    }

    /** Starts the process unless it is alive. */
    public synchronized void start() throws IOException {
        if (retired) {
            throw new IllegalStateException(what + " was stopped for good (environment closed)");
        }
        if (alive()) {
            return;
        }
        Files.createDirectories(outFile.toAbsolutePath().getParent());
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(outFile.toFile()))
                .redirectInput(ProcessBuilder.Redirect.PIPE);
        process = OwnedProcesses.start(pb, what);
        paused = false;
    }

    public synchronized boolean alive() {
        return process != null && process.isAlive();
    }

    /** The PID of the last process started, or -1. */
    public synchronized long pid() {
        return process == null ? -1 : process.pid();
    }

    /** The exit code of a process that has exited, else null. */
    public synchronized Integer exitCode() {
        return process == null || process.isAlive() ? null : process.exitValue();
    }

    public synchronized boolean paused() {
        return paused;
    }

    /** SIGKILL the process (and any descendants) and wait until it is gone. Idempotent. */
    public synchronized void kill() throws InterruptedException {
        if (process == null) {
            return;
        }
        List<ProcessHandle> tree = tree();
        tree.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle h : tree) {
            try {
                h.onExit().get(KILL_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException | TimeoutException e) {
                throw new IllegalStateException(what + " (pid " + h.pid() + ") did not die after SIGKILL", e);
            }
        }
        OwnedProcesses.release(process.pid());
        paused = false;
    }

    /** SIGSTOP the process. */
    public synchronized void pause() throws IOException, InterruptedException {
        if (!alive()) {
            throw new IllegalStateException("cannot pause " + what + ": its process is not running");
        }
        Signals.send("STOP", tree());
        paused = true;
    }

    /** SIGCONT the process. Idempotent. */
    public synchronized void resume() throws IOException, InterruptedException {
        if (alive()) {
            Signals.send("CONT", tree());
        }
        paused = false;
    }

    /**
     * Ends the process for good: SIGCONT (a stopped process cannot act on SIGTERM), SIGTERM, wait up
     * to {@code grace}, then SIGKILL. Never throws.
     */
    public synchronized void stop(Duration grace) {
        retired = true;
        if (process == null) {
            return;
        }
        try {
            List<ProcessHandle> tree = tree();
            if (process.isAlive()) {
                if (paused) {
                    Signals.send("CONT", tree);
                }
                process.destroy();
                process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS);
            }
            tree.forEach(ProcessHandle::destroyForcibly);
            for (ProcessHandle h : tree) {
                h.onExit().get(KILL_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            // best effort; OwnedProcesses still kills it when the harness exits
            return;
        }
        OwnedProcesses.release(process.pid());
    }

    /**
     * Polls {@code problem} until it returns null (healthy), the process exits, or {@code timeout}
     * passes; throws one line naming the process, what it waited for, the last problem and
     * {@code logs}. Polling a remote process's state, not a test wait.
     */
    public void awaitUntil(Duration timeout, String waitedFor, Supplier<String> problem, List<Path> logs)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last;
        while (true) {
            Integer exit = exitCode();
            if (exit != null || pid() < 0) {
                String said = ProcessLogs.lastWords(logs);
                throw new IllegalStateException(what + " is not running" + (exit == null ? "" : " (exit code " + exit + ")")
                        + " while waiting until " + waitedFor + (said == null ? "" : "; its last words: " + said)
                        + "; see " + join(logs));
            }
            last = problem.get();
            if (last == null) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(what + " not " + waitedFor + " after " + timeout.toSeconds() + " s: " + last
                        + "; see " + join(logs));
            }
            Thread.sleep(100);
        }
    }

    /**
     * Runs a short command (a version query, a configuration check) through {@link OwnedProcesses}
     * and returns its exit code and output. A missing binary throws one line saying which Debian
     * package installs it.
     */
    public static Result run(List<String> command, Duration timeout, String debianPackage) throws IOException, InterruptedException {
        Path out = Files.createTempFile("deliverycheck-run", ".out");
        Process p;
        try {
            p = OwnedProcesses.start(new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(out.toFile()), command.get(0));
        } catch (IOException e) {
            Files.deleteIfExists(out);
            throw new IllegalStateException(command.get(0) + " cannot be run (" + e.getMessage() + "): install the Debian package "
                    + debianPackage + " (apt-get install " + debianPackage + ")");
        }
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IOException(String.join(" ", command) + " did not finish within " + timeout.toSeconds() + " s");
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8).trim());
        } finally {
            p.destroyForcibly();
            OwnedProcesses.release(p.pid());
            Files.deleteIfExists(out);
        }
    }

    /** What {@link #run} saw. */
    public record Result(int exitCode, String output) {
    }

    /** Writes {@code text} to {@code file} atomically (temporary file, then a rename). */
    public static void writeAtomically(Path file, String text) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private List<ProcessHandle> tree() {
        List<ProcessHandle> all = new ArrayList<>();
        if (process != null) {
            ProcessHandle h = process.toHandle();
            h.descendants().forEach(all::add);
            all.add(h);
        }
        return all;
    }

    private static String join(List<Path> logs) {
        return String.join(" and ", logs.stream().map(Path::toString).toList());
    }

    @Override
    public String toString() {
        return what + " (pid " + pid() + ")";
    }
}
