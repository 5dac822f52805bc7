package io.deliverycheck.systems.kafka;

import io.deliverycheck.environments.process.OwnedProcesses;
import io.deliverycheck.environments.process.Signals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One broker's JVM, started through {@link OwnedProcesses} (so it dies with the harness) and
 * released when it is gone: start (again, same command), SIGKILL, SIGSTOP/SIGCONT, stop for good.
 * Its stdout and stderr (the broker's log) are appended to {@code log}; its stdin is a pipe the
 * harness keeps open ({@link KafkaBrokerMain} exits when it ends). Thread-safe.
 */
final class KafkaBroker {

    private static final long EXIT_WAIT_S = 10;

    private final String node;
    private final List<String> command;
    private final Path log;
    private Process process;
    private boolean paused;
    private boolean retired;

    KafkaBroker(String node, List<String> command, Path log) {
        this.node = node;
        this.command = List.copyOf(command);
        this.log = log;
    }

    String node() {
        return node;
    }

    List<String> command() {
        return command;
    }

    Path log() {
        return log;
    }

    /** Starts the broker unless it is running. */
    synchronized void start() throws IOException {
        if (retired) {
            throw new IllegalStateException("kafka " + node + " was stopped for good (environment closed)");
        }
        if (alive()) {
            return;
        }
        Files.createDirectories(log.toAbsolutePath().getParent());
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.PIPE);
        process = OwnedProcesses.start(pb, "kafka " + node);
        paused = false;
    }

    synchronized boolean alive() {
        return process != null && process.isAlive();
    }

    /** The exit code of a broker that has exited, else null (also when never started). */
    synchronized Integer exitCode() {
        return process == null || process.isAlive() ? null : process.exitValue();
    }

    /** The PID of the current (or last) process, -1 before the first start. */
    synchronized long pid() {
        return process == null ? -1 : process.pid();
    }

    synchronized boolean paused() {
        return paused;
    }

    /** SIGKILL and wait (bounded) until the process is gone. Idempotent. */
    synchronized void kill() throws InterruptedException {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        awaitExit();
        paused = false;
    }

    /** SIGSTOP. Throws {@link IllegalStateException} when the broker is not running (killed). */
    synchronized void pause() throws IOException, InterruptedException {
        if (!alive()) {
            throw new IllegalStateException("cannot pause kafka " + node + ": its process is not running");
        }
        Signals.send("STOP", process.pid());
        paused = true;
    }

    /** SIGCONT. Idempotent (a broker that is not running stays so). */
    synchronized void resume() throws IOException, InterruptedException {
        if (alive()) {
            Signals.send("CONT", process.pid());
        }
        paused = false;
    }

    /**
     * Ends the broker for good: SIGKILL (the environment's data is not kept for another run, so a
     * controlled shutdown, which waits for a quorum that is shutting down too, buys nothing).
     * Never throws.
     */
    synchronized void stop() {
        retired = true;
        try {
            kill();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            // did not die in time: the shutdown hook of OwnedProcesses tries again at exit
        }
    }

    private void awaitExit() throws InterruptedException {
        try {
            process.onExit().get(EXIT_WAIT_S, TimeUnit.SECONDS);
            OwnedProcesses.release(process.pid());
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("kafka " + node + " (pid " + process.pid() + ") did not die after SIGKILL", e);
        }
    }
}
