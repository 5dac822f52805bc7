package io.deliverycheck.systems.rabbitmq;

import io.deliverycheck.environments.process.OwnedProcesses;
import io.deliverycheck.environments.process.Signals;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One private RabbitMQ node, started and owned by the harness ({@link OwnedProcesses}): its own
 * node name, AMQP and distribution ports, epmd port (the run's {@link PrivateEpmd}), configuration
 * file, plugins file, data directory and log file; never the machine's broker or its epmd.
 * Debian's {@code rabbitmq-server} script runs with {@code RUNNING_UNDER_SYSTEMD=1}, so it execs
 * the Erlang VM and the process started here is {@code beam.smp} itself.
 *
 * <p>Start (again), SIGKILL it with its descendants ({@code erl_child_setup}, {@code
 * inet_gethost}), SIGSTOP/SIGCONT it, stop it for good. The same environment, configuration and
 * data directory are used for every start, so a killed node restarts as the same cluster member.
 * Thread-safe.
 */
final class PrivateRabbit {
    /** What {@link #start} runs: the server script and its environment. */
    record Launch(Path serverScript, Map<String, String> env, Path outFile) {
        Launch {
            env = Map.copyOf(env);
        }
    }

    final String id;
    final String nodeName;
    final int amqpPort;
    final int distPort;
    final Path dataDir;
    final Path logFile;
    private final Launch launch;
    private Process process;
    private boolean paused;
    private boolean retired;

    PrivateRabbit(String id, String nodeName, int amqpPort, int distPort, Path dataDir, Path logFile, Launch launch) {
        this.id = id;
        this.nodeName = nodeName;
        this.amqpPort = amqpPort;
        this.distPort = distPort;
        this.dataDir = dataDir;
        this.logFile = logFile;
        this.launch = launch;
    }

    /**
     * The environment of a node (all {@code RABBITMQ_*} locations private, so nothing of
     * {@code /etc/rabbitmq} or {@code /var/lib/rabbitmq} is read or written).
     *
     * @param home holds the run's {@code .erlang.cookie}
     * @param ebin holds the compiled {@code dc_epmd} module
     * @param routes {@code DC_DIST_ROUTES}: peer name to the port of this node's proxy towards it
     */
    static Map<String, String> environment(String nodeName, int distPort, int epmdPort, Path home, Path dataDir,
            Path logFile, Path ebin, String routes) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("HOME", home.toString());
        env.put("RUNNING_UNDER_SYSTEMD", "1");
        env.put("RABBITMQ_NODENAME", nodeName);
        env.put("RABBITMQ_DIST_PORT", Integer.toString(distPort));
        env.put("ERL_EPMD_PORT", Integer.toString(epmdPort));
        env.put("ERL_EPMD_ADDRESS", "127.0.0.1");
        env.put("RABBITMQ_MNESIA_BASE", dataDir.resolve("mnesia").toString());
        env.put("RABBITMQ_LOG_BASE", logFile.getParent().toString());
        env.put("RABBITMQ_LOGS", logFile.toString());
        env.put("RABBITMQ_ENABLED_PLUGINS_FILE", dataDir.resolve("enabled_plugins").toString());
        env.put("RABBITMQ_CONF_ENV_FILE", dataDir.resolve("rabbitmq-env.conf").toString());
        env.put("RABBITMQ_CONFIG_FILE", dataDir.resolve("rabbitmq").toString());
        env.put("RABBITMQ_ADVANCED_CONFIG_FILE", dataDir.resolve("advanced.config").toString());
        env.put("RABBITMQ_PID_FILE", dataDir.resolve("pid").toString());
        env.put("DC_DIST_ROUTES", routes);
        // a node that dies on start writes its crash dump with its logs, not into the harness's directory
        env.put("ERL_CRASH_DUMP", logFile.resolveSibling(logFile.getFileName().toString().replace(".log", "")
                + "-erl_crash.dump").toString());
        env.put("RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", "-pa " + ebin + " -epmd_module dc_epmd"
                + " -kernel inet_dist_use_interface {127,0,0,1}");
        return env;
    }

    /** Writes the node's configuration files into its data directory. */
    static void writeFiles(Path dataDir, String config, List<String> plugins) throws IOException {
        Files.createDirectories(dataDir);
        Files.writeString(dataDir.resolve("enabled_plugins"), "[" + String.join(",", plugins) + "].\n");
        Files.writeString(dataDir.resolve("rabbitmq-env.conf"), "");
        Files.writeString(dataDir.resolve("rabbitmq.conf"), config);
    }

    /** Starts the node unless it is alive; returns at once (see {@link RabbitCluster} for readiness). */
    synchronized void start() throws IOException {
        if (retired) {
            throw new IllegalStateException("rabbitmq " + id + " was stopped for good (environment closed)");
        }
        if (alive()) {
            return;
        }
        if (!Files.isExecutable(launch.serverScript())) {
            throw new IOException(launch.serverScript() + " is not an executable rabbitmq-server"
                    + " (install Debian's rabbitmq-server, or pass --system-opt server=PATH)");
        }
        if (process != null) {
            OwnedProcesses.release(process.pid());
        }
        ProcessBuilder pb = new ProcessBuilder(launch.serverScript().toString())
                .directory(dataDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(launch.outFile().toFile()))
                .redirectInput(ProcessBuilder.Redirect.PIPE);
        pb.environment().putAll(launch.env());
        process = OwnedProcesses.start(pb, "rabbitmq " + id + " (" + nodeName + ")");
        paused = false;
    }

    synchronized boolean alive() {
        return process != null && process.isAlive();
    }

    synchronized long pid() {
        return process == null ? -1 : process.pid();
    }

    /** The process and its live descendants. */
    private List<ProcessHandle> tree() {
        List<ProcessHandle> all = new ArrayList<>();
        if (process != null) {
            ProcessHandle h = process.toHandle();
            h.descendants().forEach(all::add);
            all.add(h);
        }
        return all;
    }

    /** SIGKILL the node and its descendants; waits (bounded) until they are gone. Idempotent. */
    synchronized void kill() throws InterruptedException {
        if (process == null) {
            return;
        }
        List<ProcessHandle> tree = tree();
        tree.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle h : tree) {
            try {
                h.onExit().get(10, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                throw new IllegalStateException("rabbitmq " + id + " (pid " + h.pid() + ") did not die after SIGKILL", e);
            }
        }
        paused = false;
    }

    /** SIGSTOP the node and its descendants. */
    synchronized void pause() throws IOException, InterruptedException {
        if (!alive()) {
            throw new IllegalStateException("cannot pause rabbitmq " + id + ": its process is not running");
        }
        Signals.send("STOP", tree());
        paused = true;
    }

    /** SIGCONT the node and its descendants. Idempotent. */
    synchronized void resume() throws IOException, InterruptedException {
        if (alive()) {
            Signals.send("CONT", tree());
        }
        paused = false;
    }

    /**
     * Ends the node for good: SIGCONT if paused, SIGTERM (RabbitMQ stops gracefully on it), wait up
     * to {@code grace}, then SIGKILL of the whole tree. Never throws.
     */
    synchronized void stop(Duration grace) {
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
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            // best effort: OwnedProcesses kills what is left when the harness exits
        } finally {
            if (!process.isAlive()) {
                OwnedProcesses.release(process.pid());
            }
        }
    }
}
