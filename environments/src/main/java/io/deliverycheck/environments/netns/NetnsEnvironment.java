package io.deliverycheck.environments.netns;

import io.deliverycheck.checker.history.Recorder;
import io.deliverycheck.checker.runner.Environment;
import io.deliverycheck.checker.runner.Grudge;
import io.deliverycheck.environments.EnvironmentConfig;
import io.deliverycheck.environments.db.HarnessPostgres;
import io.deliverycheck.environments.process.Cleanup;
import io.deliverycheck.environments.process.HealthProbe;
import io.deliverycheck.environments.process.NodeProcess;
import io.deliverycheck.environments.process.NodeSet;
import io.deliverycheck.environments.proxy.TcpProxy;
import io.vertx.core.Vertx;

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
import java.util.stream.Collectors;

/**
 * Linux network namespaces (root only): one namespace per node on a private bridge
 * ({@link NetnsNetwork}), nodes started inside them with {@code ip netns exec}, partitions as
 * iptables rules in the namespaces, link delay as {@code tc netem}, the harness's PostgreSQL in the
 * root namespace on the bridge address. Nodes talk to each other and to the database directly (no
 * proxies); clients still go through a harness proxy per node so {@link #disconnectClients} can close
 * their sockets. Inside its own namespace each node uses fixed ports (HTTP 8080, JGroups 7800): no one
 * else binds there.
 *
 * <p>Refuses to start, with a message saying what to install, without root or without
 * {@code ip}/{@code iptables}/{@code tc} ({@link NetnsPreflight}). {@link #close} deletes every
 * namespace, link and rule it created.
 */
public final class NetnsEnvironment implements Environment {

    static final int HTTP_PORT = 8080;
    static final int CLUSTER_PORT = 7800;
    private static final Duration STOP_GRACE = Duration.ofSeconds(5);

    private final EnvironmentConfig config;
    private final Shell sh;
    private final List<String> names;
    private final Map<String, TcpProxy> clientProxy = new LinkedHashMap<>();
    private final Cleanup cleanup = new Cleanup("netns-environment", this::close);
    private NetnsNetwork net;
    private Path logDir;
    private Vertx vertx;
    private HarnessPostgres db;
    private NodeSet nodes;
    private boolean closed;

    public NetnsEnvironment(EnvironmentConfig config) {
        this(config, Shell.system());
    }

    NetnsEnvironment(EnvironmentConfig config, Shell sh) {
        this.config = config;
        this.sh = sh;
        this.names = config.nodeNames();
    }

    @Override
    public synchronized void setup(Path runDir, Recorder rec) throws Exception {
        if (logDir != null) {
            throw new IllegalStateException("setup already called");
        }
        String problem = NetnsPreflight.problem();
        if (problem != null) {
            throw new IllegalStateException(problem);
        }
        Path dir = runDir.toAbsolutePath();
        logDir = dir.resolve("logs");
        Files.createDirectories(logDir);
        cleanup.register();
        try {
            net = new NetnsNetwork(sh, NetnsNetwork.freeIndex(sh), names);
            net.create();
            db = new HarnessPostgres(dir.resolve("db"), logDir.resolve("postgres.log"),
                    List.of(net.bridgeIp()), List.of(net.subnet()), config.keepData());
            db.start();
            net.databasePort(db.port());
            vertx = Vertx.vertx();
            for (String n : names) {
                clientProxy.put(n, TcpProxy.start(vertx, "client-" + n, "127.0.0.1", 0,
                        new InetSocketAddress(net.ip(n), HTTP_PORT), h -> "client"));
            }
            nodes = new NodeSet(new HealthProbe(config.token()), this::adminEndpoint, n -> logDir.resolve(n + ".log"));
            for (String n : names) {
                nodes.add(new NodeProcess(n, command(n), logDir.resolve(n + ".out")));
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

    List<String> command(String n) {
        List<String> cmd = new ArrayList<>(net.exec(n));
        cmd.addAll(config.javaCommandLine());
        String peers = names.stream().map(p -> net.ip(p) + ":" + CLUSTER_PORT).collect(Collectors.joining(","));
        cmd.addAll(List.of(
                "--id", n,
                "--exit-on-stdin-eof", "true",
                "--bind-host", net.ip(n),
                "--http-port", Integer.toString(HTTP_PORT),
                "--cluster-port", Integer.toString(CLUSTER_PORT),
                "--peers", peers,
                "--pg-url", "postgresql://postgres@" + net.bridgeIp() + ":" + db.port() + "/postgres",
                "--log-dir", logDir.toString()));
        if (config.token() != null) {
            cmd.addAll(List.of("--token", config.token()));
        }
        cmd.addAll(config.nodeFlags());
        return cmd;
    }

    @Override
    public List<String> nodes() {
        return names;
    }

    @Override
    public URI clientEndpoint(String node) {
        requireNode(node);
        TcpProxy p = clientProxy.get(node);
        if (p == null) {
            throw new IllegalStateException("environment not set up");
        }
        return URI.create("http://" + p.address().getHostString() + ":" + p.address().getPort());
    }

    @Override
    public URI adminEndpoint(String node) {
        requireNode(node);
        if (net == null) {
            throw new IllegalStateException("environment not set up");
        }
        return URI.create("http://" + net.ip(node) + ":" + HTTP_PORT);
    }

    @Override
    public void kill(String node) throws Exception {
        requireNodes().get(node).kill();
    }

    @Override
    public void restart(String node) throws Exception {
        requireNodes().get(node).start();
        nodes.awaitServing(node, config.startTimeout());
    }

    @Override
    public void pause(String node) throws Exception {
        requireNodes().get(node).pause();
    }

    @Override
    public void resume(String node) throws Exception {
        requireNodes().get(node).resume();
    }

    @Override
    public synchronized void partition(Grudge grudge) throws Exception {
        requireNodes();
        net.partition(grudge);
    }

    @Override
    public synchronized void heal() throws Exception {
        if (nodes != null) {
            net.heal();
        }
    }

    @Override
    public void restartDatabase() throws Exception {
        requireNodes();
        db.crashRestart();
    }

    @Override
    public synchronized void delayLinks(Duration delay) throws Exception {
        requireNodes();
        net.delay(delay);
    }

    @Override
    public synchronized void clearDelay() throws Exception {
        if (nodes != null) {
            net.clearDelay();
        }
    }

    @Override
    public void disconnectClients(String node) throws Exception {
        requireNode(node);
        requireNodes();
        clientProxy.get(node).closeAll();
    }

    @Override
    public void awaitHealthy(Duration timeout) throws Exception {
        requireNodes().awaitHealthy(timeout);
    }

    @Override
    public List<Path> logs() {
        if (logDir == null) {
            return List.of();
        }
        List<Path> logs = new ArrayList<>();
        for (String n : names) {
            logs.add(logDir.resolve(n + ".log"));
            logs.add(logDir.resolve(n + ".out"));
        }
        logs.add(logDir.resolve("postgres.log"));
        return logs;
    }

    /** The private network, for tests and diagnostics (null before setup). */
    public NetnsNetwork network() {
        return net;
    }

    @Override
    public void close() {
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
        if (vertx != null) {
            try {
                vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                // best effort
            }
        }
        if (db != null) {
            db.close();
        }
        if (net != null) {
            net.destroy();
        }
        cleanup.unregister();
    }

    private NodeSet requireNodes() {
        if (nodes == null || closed) {
            throw new IllegalStateException("environment not set up (or closed)");
        }
        return nodes;
    }

    private void requireNode(String node) {
        if (!names.contains(node)) {
            throw new IllegalArgumentException("no node named '" + node + "' (nodes: " + String.join(", ", names) + ")");
        }
    }
}
