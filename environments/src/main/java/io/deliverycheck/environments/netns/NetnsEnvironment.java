package io.deliverycheck.environments.netns;

import io.deliverycheck.checker.runner.Grudge;
import io.deliverycheck.environments.EnvironmentConfig;
import io.deliverycheck.environments.ProcessEnvironment;
import io.deliverycheck.environments.db.HarnessPostgres;
import io.deliverycheck.environments.proxy.TcpProxy;
import io.vertx.core.Vertx;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
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
public final class NetnsEnvironment extends ProcessEnvironment {

    static final int HTTP_PORT = 8080;
    static final int CLUSTER_PORT = 7800;

    private final Shell sh;
    private NetnsNetwork net;

    public NetnsEnvironment(EnvironmentConfig config) {
        this(config, Shell.system());
    }

    NetnsEnvironment(EnvironmentConfig config, Shell sh) {
        super("netns-environment", config);
        this.sh = sh;
    }

    @Override
    protected void preflight() {
        String problem = NetnsPreflight.problem();
        if (problem != null) {
            throw new IllegalStateException(problem);
        }
    }

    @Override
    protected void startInfrastructure(Path runDir) throws Exception {
        net = new NetnsNetwork(sh, NetnsNetwork.freeIndex(sh), names);
        net.create();
        db = new HarnessPostgres(runDir.resolve("db"), logDir().resolve("postgres.log"),
                List.of(net.bridgeIp()), List.of(net.subnet()), config.keepData());
        db.start();
        net.databasePort(db.port());
        vertx = Vertx.vertx();
        for (String n : names) {
            clientProxy.put(n, TcpProxy.start(vertx, "client-" + n, "127.0.0.1", 0,
                    new InetSocketAddress(net.ip(n), HTTP_PORT), h -> "client"));
        }
    }

    @Override
    protected List<String> launcher(String n) {
        return net.exec(n);
    }

    @Override
    protected List<String> networkFlags(String n) {
        String peers = names.stream().map(p -> net.ip(p) + ":" + CLUSTER_PORT).collect(Collectors.joining(","));
        return List.of(
                "--bind-host", net.ip(n),
                "--http-port", Integer.toString(HTTP_PORT),
                "--cluster-port", Integer.toString(CLUSTER_PORT),
                "--peers", peers,
                "--pg-url", "postgresql://postgres@" + net.bridgeIp() + ":" + db.port() + "/postgres");
    }

    @Override
    public URI adminEndpoint(String node) {
        requireNode(node);
        if (net == null) {
            throw new IllegalStateException("environment not set up");
        }
        return URI.create("http://" + net.ip(node) + ":" + HTTP_PORT);
    }

    /** {@code drop}: the cut is an iptables {@code DROP}, which answers nothing. */
    @Override
    public java.util.List<String> partitionModes() {
        return java.util.List.of("drop");
    }

    @Override
    public synchronized void partition(Grudge grudge) throws Exception {
        requireNodes();
        net.partition(grudge);
    }

    @Override
    public synchronized void heal() throws Exception {
        if (nodesCreated()) {
            net.heal();
        }
    }

    @Override
    public synchronized void delayLinks(Duration delay) throws Exception {
        requireNodes();
        net.delay(delay);
    }

    @Override
    public synchronized void clearDelay() throws Exception {
        if (nodesCreated()) {
            net.clearDelay();
        }
    }

    @Override
    public void disconnectClients(String node) throws Exception {
        requireNode(node);
        requireNodes();
        clientProxy.get(node).closeAll();
    }

    /** The private network, for tests and diagnostics (null before setup). */
    public NetnsNetwork network() {
        return net;
    }

    /** Deletes every namespace, link and rule the environment created. */
    @Override
    protected void closeNetwork() {
        if (net != null) {
            net.destroy();
        }
    }
}
