package io.deliverycheck.environments.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One node's process, started and owned by the harness through {@link OwnedProcesses} (so it dies
 * with the harness, even a SIGKILLed one): start it (again), SIGKILL it with its descendants,
 * SIGSTOP/SIGCONT it, stop it at the end. Its stdout and stderr are appended to {@code outFile}
 * (the node writes its own log too). Thread-safe.
 */
public final class NodeProcess {

    private final String id;
    private final List<String> command;
    private final Path outFile;
    private final java.util.Map<String, String> environment;
    private final java.util.function.Consumer<ProcessBuilder> customizer;
    private Process process;
    private boolean paused;
    private boolean retired;

    public NodeProcess(String id, List<String> command, Path outFile) {
        this(id, command, outFile, java.util.Map.of(), pb -> { });
    }

    /** With {@code environment} added to the harness's own environment variables (a system file's {@code env}). */
    public NodeProcess(String id, List<String> command, Path outFile, java.util.Map<String, String> environment) {
        this(id, command, outFile, environment, pb -> { });
    }

    /** @param customizer adjusts every start's process builder (e.g. a fake clock's environment) */
    public NodeProcess(String id, List<String> command, Path outFile, java.util.function.Consumer<ProcessBuilder> customizer) {
        this(id, command, outFile, java.util.Map.of(), customizer);
    }

    private NodeProcess(String id, List<String> command, Path outFile, java.util.Map<String, String> environment,
            java.util.function.Consumer<ProcessBuilder> customizer) {
        this.id = id;
        this.command = List.copyOf(command);
        this.outFile = outFile;
        this.environment = java.util.Map.copyOf(environment);
        this.customizer = customizer;
    }

    public String id() {
        return id;
    }

    public List<String> command() {
        return command;
    }

    public Path outFile() {
        return outFile;
    }

    /** Starts the process unless it is alive. */
    public synchronized void start() throws IOException {
        if (retired) {
            throw new IllegalStateException("node " + id + " was stopped for good (environment closed)");
        }
        if (alive()) {
            return;
        }
        Files.createDirectories(outFile.toAbsolutePath().getParent());
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(outFile.toFile()))
                .redirectInput(ProcessBuilder.Redirect.PIPE);
        pb.environment().putAll(environment);
        customizer.accept(pb);
        process = OwnedProcesses.start(pb, "node " + id);
        paused = false;
    }

    public synchronized boolean alive() {
        return process != null && process.isAlive();
    }

    /** The exit code of a process that has exited, else null. */
    public synchronized Integer exitCode() {
        return process == null || process.isAlive() ? null : process.exitValue();
    }

    public synchronized long pid() {
        return process == null ? -1 : process.pid();
    }

    /** The process and its live descendants (children first would be racy; we list all at once). */
    private List<ProcessHandle> tree() {
        List<ProcessHandle> all = new ArrayList<>();
        if (process != null) {
            ProcessHandle h = process.toHandle();
            h.descendants().forEach(all::add);
            all.add(h);
        }
        return all;
    }

    /**
     * SIGKILL the process and its descendants and wait (bounded) until they are gone. Idempotent.
     *
     * @return the processes killed (empty when there was none)
     */
    public synchronized List<ProcessHandle> kill() throws InterruptedException {
        if (process == null) {
            return List.of();
        }
        List<ProcessHandle> tree = tree();
        tree.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle h : tree) {
            try {
                h.onExit().get(10, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                throw new IllegalStateException("node " + id + " (pid " + h.pid() + ") did not die after SIGKILL", e);
            }
        }
        OwnedProcesses.release(process.pid());
        paused = false;
        return tree;
    }

    /** SIGSTOP the process and its descendants. */
    public synchronized void pause() throws IOException, InterruptedException {
        requireAlive("pause");
        Signals.send("STOP", tree());
        paused = true;
    }

    /** SIGCONT the process and its descendants. Idempotent. */
    public synchronized void resume() throws IOException, InterruptedException {
        if (!alive()) {
            paused = false;
            return;
        }
        Signals.send("CONT", tree());
        paused = false;
    }

    public synchronized boolean paused() {
        return paused;
    }

    /**
     * Ends the process for good: SIGCONT (a stopped process cannot act on SIGTERM), SIGTERM, wait up
     * to {@code grace}, then SIGKILL of the whole tree. Never throws.
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
                h.onExit().get(10, TimeUnit.SECONDS);
            }
            OwnedProcesses.release(process.pid());
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            // still owned: the harness's exit kills what is left
        }
    }

    private void requireAlive(String what) {
        if (!alive()) {
            throw new IllegalStateException("cannot " + what + " node " + id + ": its process is not running");
        }
    }
}
