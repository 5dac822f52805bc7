package io.deliverycheck.environments;

import io.deliverycheck.checker.history.Recorder;
import io.deliverycheck.checker.runner.ClientDisconnectable;
import io.deliverycheck.checker.runner.DatabaseRestartable;
import io.deliverycheck.checker.runner.Environment;
import io.deliverycheck.checker.runner.Grudge;
import io.deliverycheck.checker.runner.Killable;
import io.deliverycheck.checker.runner.LinkDelayable;
import io.deliverycheck.checker.runner.Partitionable;
import io.deliverycheck.checker.runner.Pausable;
import io.deliverycheck.environments.db.HarnessPostgres;
import io.deliverycheck.environments.process.Cleanup;
import io.deliverycheck.environments.process.HealthProbe;
import io.deliverycheck.environments.process.NodeProcess;
import io.deliverycheck.environments.process.NodeSet;
import io.deliverycheck.environments.proxy.TcpProxy;
import io.vertx.core.Vertx;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The lifecycle shared by the environments whose nodes are child processes of the harness
 * ({@code local}, {@code netns}): the harness's own PostgreSQL, a {@link Vertx} for the proxies, one
 * client proxy per node ({@link #clientEndpoint}), and a {@link NodeSet} started at setup.
 *
 * <p>Contract for subclasses: {@link #startInfrastructure} sets {@link #db} (started) and
 * {@link #vertx} and fills {@link #clientProxy} for every node; {@link #command} is the node's
 * command line. {@link #setup} runs once; if it fails the environment is closed before the exception
 * propagates. {@link #close} is idempotent, also runs from a shutdown hook when the harness is
 * interrupted, and releases in this order: the nodes (with a grace period), the client proxies,
 * {@link #closeLinks}, Vert.x, the database, {@link #closeNetwork}. Node operations after close, or
 * before setup, throw {@link IllegalStateException}; an unknown node name throws
 * {@link IllegalArgumentException}.
 *
 * <p>Run folder: {@code logs/<id>.log} (the node's log), {@code logs/<id>.out} (its stdout/stderr),
 * {@code logs/postgres.log}.
 */
public abstract class ProcessEnvironment implements Environment, Killable, Pausable, Partitionable,
        DatabaseRestartable, LinkDelayable, ClientDisconnectable {

    private static final Duration STOP_GRACE = Duration.ofSeconds(5);

    protected final EnvironmentConfig config;
    protected final List<String> names;
    /** One proxy per node in front of its HTTP port, in node order; filled by {@link #startInfrastructure}. */
    protected final Map<String, TcpProxy> clientProxy = new LinkedHashMap<>();
    /** Set by {@link #startInfrastructure}; closed by {@link #close}. */
    protected Vertx vertx;
    /** Set (and started) by {@link #startInfrastructure}; closed by {@link #close}. */
    protected HarnessPostgres db;
    private final Cleanup cleanup;
    private Path logDir;
    private NodeSet nodes;
    private boolean closed;

    /** @param name names the shutdown hook that closes the environment on interruption */
    protected ProcessEnvironment(String name, EnvironmentConfig config) {
        this.config = config;
        this.names = config.nodeNames();
        this.cleanup = new Cleanup(name, this::close);
    }

    /** Throws {@link IllegalStateException} saying what is missing if the environment cannot run here. */
    protected void preflight() {
    }

    /** Starts the database, Vert.x, the client proxies and anything else the nodes need. */
    protected abstract void startInfrastructure(Path runDir) throws Exception;

    /** What runs the node's JVM, e.g. {@code ip netns exec NAME}; empty by default. */
    protected List<String> launcher(String node) {
        return List.of();
    }

    /** The node's address, port, peer and database flags (called after {@link #startInfrastructure}). */
    protected abstract List<String> networkFlags(String node);

    /**
     * The node's command line: launcher, JVM, the flags every environment passes (id, stop with
     * the harness, log folder), the environment's network flags, the token, then the configured
     * extra flags.
     */
    final List<String> command(String node) {
        List<String> cmd = new ArrayList<>(launcher(node));
        cmd.addAll(config.javaCommandLine());
        cmd.addAll(List.of("--id", node, "--exit-on-stdin-eof", "true"));
        cmd.addAll(networkFlags(node));
        cmd.addAll(List.of("--log-dir", logDir.toString()));
        if (config.token() != null) {
            cmd.addAll(List.of("--token", config.token()));
        }
        cmd.addAll(config.nodeFlags());
        return cmd;
    }

    /** Adjusts the process builder of every start of {@code node} (e.g. a fake clock's environment); nothing by default. */
    protected void customize(String node, ProcessBuilder pb) {
    }

    /** Called after {@code node}'s processes were SIGKILLed (e.g. to remove what they leave behind); nothing by default. */
    protected void afterKill(String node, List<ProcessHandle> killed) {
    }

    /** Releases the environment's own links, after the client proxies and before Vert.x closes. */
    protected void closeLinks() {
    }

    /** Releases the environment's network, after the database closed. */
    protected void closeNetwork() {
    }

    @Override
    public final synchronized void setup(Path runDir, Recorder rec) throws Exception {
        if (logDir != null) {
            throw new IllegalStateException("setup already called");
        }
        preflight();
        Path dir = runDir.toAbsolutePath();
        logDir = dir.resolve("logs");
        Files.createDirectories(logDir);
        cleanup.register();
        try {
            startInfrastructure(dir);
            nodes = new NodeSet(new HealthProbe(config.token()), this::adminEndpoint, this::nodeLog);
            for (String n : names) {
                nodes.add(new NodeProcess(n, command(n), logDir.resolve(n + ".out"), pb -> customize(n, pb)));
            }
            for (String n : names) {
                nodes.get(n).start();
            }
            nodes.awaitHealthy(config.startTimeout());
        } catch (Exception e) {
            close();
            throw e;
        }
    }

    /** The run folder's {@code logs} directory (null before setup). */
    protected final Path logDir() {
        return logDir;
    }

    private Path nodeLog(String n) {
        return logDir.resolve(n + ".log");
    }

    @Override
    public final List<String> nodes() {
        return names;
    }

    /** The nodes and {@link Grudge#DB}, the harness's own PostgreSQL. */
    @Override
    public final List<String> partitionMembers() {
        List<String> members = new ArrayList<>(names);
        members.add(Grudge.DB);
        return members;
    }

    @Override
    public final URI clientEndpoint(String node) {
        InetSocketAddress a = requireStarted(clientProxy, node).address();
        return URI.create("http://" + a.getHostString() + ":" + a.getPort());
    }

    @Override
    public final void kill(String node) throws Exception {
        afterKill(node, requireNodes().get(node).kill());
    }

    @Override
    public final void restart(String node) throws Exception {
        requireNodes().get(node).start();
        nodes.awaitServing(node, config.startTimeout());
    }

    /** Starts the node's process again; {@link #awaitHealthy} says when it serves. */
    @Override
    public final void start(String node) throws Exception {
        requireNodes().get(node).start();
    }

    @Override
    public final void pause(String node) throws Exception {
        requireNodes().get(node).pause();
    }

    @Override
    public final void resume(String node) throws Exception {
        requireNodes().get(node).resume();
    }

    @Override
    public final void restartDatabase() throws Exception {
        requireNodes();
        db.crashRestart();
    }

    @Override
    public final void awaitHealthy(Duration timeout) throws Exception {
        requireNodes().awaitHealthy(timeout);
    }

    @Override
    public final List<Path> logs() {
        if (logDir == null) {
            return List.of();
        }
        List<Path> logs = new ArrayList<>();
        for (String n : names) {
            logs.add(nodeLog(n));
            logs.add(logDir.resolve(n + ".out"));
        }
        logs.add(logDir.resolve("postgres.log"));
        return logs;
    }

    /** The reference node's claims for this run ({@link ReferenceNodeFlags#system}). */
    @Override
    public ObjectNode system() {
        return ReferenceNodeFlags.system(config.nodeFlags(), names.size(), null);
    }

    /** The reference node's redelivery horizon from its flags ({@link ReferenceNodeFlags#retryHorizon}). */
    @Override
    public Duration retryHorizon() {
        return ReferenceNodeFlags.retryHorizon(config.nodeFlags());
    }

    /** The PIDs of the node processes that are alive. */
    public final Map<String, Long> pids() {
        Map<String, Long> out = new LinkedHashMap<>();
        if (nodes != null) {
            for (String n : names) {
                NodeProcess p = nodes.get(n);
                if (p.alive()) {
                    out.put(n, p.pid());
                }
            }
        }
        return out;
    }

    @Override
    public final void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        if (nodes != null) {
            nodes.stopAll(STOP_GRACE);
        }
        clientProxy.values().forEach(TcpProxy::close);
        closeLinks();
        if (vertx != null) {
            try {
                vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                // best effort: its threads are daemons
            }
        }
        if (db != null) {
            db.close();
        }
        closeNetwork();
        cleanup.unregister();
    }

    /** Whether the nodes were created (setup got that far); true also after close. */
    protected final boolean nodesCreated() {
        return nodes != null;
    }

    /** The nodes; throws {@link IllegalStateException} before setup or after close. */
    protected final NodeSet requireNodes() {
        if (nodes == null || closed) {
            throw new IllegalStateException("environment not set up (or closed)");
        }
        return nodes;
    }

    /** Throws {@link IllegalArgumentException} unless {@code node} names one of the nodes. */
    protected final void requireNode(String node) {
        if (!names.contains(node)) {
            throw new IllegalArgumentException("no node named '" + node + "' (nodes: " + String.join(", ", names) + ")");
        }
    }

    /** The node's entry of {@code map}; throws {@link IllegalStateException} when it has none yet. */
    protected final <T> T requireStarted(Map<String, T> map, String node) {
        requireNode(node);
        T t = map.get(node);
        if (t == null) {
            throw new IllegalStateException("environment not set up");
        }
        return t;
    }
}
