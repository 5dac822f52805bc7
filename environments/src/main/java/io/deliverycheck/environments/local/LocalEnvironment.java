package io.deliverycheck.environments.local;

import io.deliverycheck.checker.runner.Grudge;
import io.deliverycheck.environments.EnvironmentConfig;
import io.deliverycheck.environments.ProcessEnvironment;
import io.deliverycheck.environments.db.HarnessPostgres;
import io.deliverycheck.environments.process.Ports;
import io.deliverycheck.environments.proxy.TcpProxy;
import io.vertx.core.Vertx;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The default environment, no privileges needed: every node is a child process of the harness on its
 * own loopback address (n1 on 127.0.0.11, n2 on 127.0.0.12, ...), the database is the harness's own
 * PostgreSQL, and every link runs through a harness-owned {@link TcpProxy}:
 * <ul>
 *   <li>cluster: one proxy in front of each node's JGroups port; nodes advertise it as their external
 *       address and list all of them as {@code --peers}. The proxy names the source node of a
 *       connection from its source address (JGroups binds client sockets to {@code --bind-host}).</li>
 *   <li>database: one proxy per node in front of PostgreSQL ({@code --pg-url} of that node).</li>
 *   <li>clients: one proxy per node in front of its HTTP port ({@link #clientEndpoint}).</li>
 * </ul>
 * A partition closes the proxied connections crossing the cut and refuses new ones; a link cut in
 * either direction of a grudge is cut both ways (a TCP connection cannot be half-cut). A link delay
 * holds bytes in the cluster and database proxies. The admin endpoint is direct.
 *
 * <p>Run folder: {@code logs/<id>.log} (the node's log), {@code logs/<id>.out} (its stdout/stderr),
 * {@code logs/postgres.log}; the database's data in {@code db/}, deleted at close unless kept.
 */
public final class LocalEnvironment extends ProcessEnvironment {

    private final Map<String, String> hostOf = new LinkedHashMap<>();
    private final Map<String, String> nodeOfHost = new HashMap<>();
    private final Map<String, Integer> httpPort = new HashMap<>();
    private final Map<String, Integer> clusterPort = new HashMap<>();
    private final Map<String, TcpProxy> clusterProxy = new LinkedHashMap<>();
    private final Map<String, TcpProxy> dbProxy = new LinkedHashMap<>();

    public LocalEnvironment(EnvironmentConfig config) {
        super("local-environment", config);
        for (int i = 0; i < names.size(); i++) {
            String host = "127.0.0." + (11 + i);
            hostOf.put(names.get(i), host);
            nodeOfHost.put(host, names.get(i));
        }
    }

    @Override
    protected void startInfrastructure(Path runDir) throws Exception {
        db = new HarnessPostgres(runDir.resolve("db"), logDir().resolve("postgres.log"), List.of(), List.of(), config.keepData());
        db.start();
        vertx = Vertx.vertx();
        InetSocketAddress pg = new InetSocketAddress("127.0.0.1", db.port());
        for (String n : names) {
            String host = hostOf.get(n);
            httpPort.put(n, Ports.free(host));
            clusterPort.put(n, Ports.free(host));
            clusterProxy.put(n, TcpProxy.start(vertx, "cluster-" + n, "127.0.0.1", 0,
                    new InetSocketAddress(host, clusterPort.get(n)), h -> nodeOfHost.getOrDefault(h, h)));
            dbProxy.put(n, TcpProxy.start(vertx, "db-" + n, "127.0.0.1", 0, pg, h -> n));
            clientProxy.put(n, TcpProxy.start(vertx, "client-" + n, "127.0.0.1", 0,
                    new InetSocketAddress(host, httpPort.get(n)), h -> "client"));
        }
    }

    @Override
    protected List<String> networkFlags(String n) {
        String peers = clusterProxy.values().stream()
                .map(p -> p.address().getHostString() + ":" + p.address().getPort())
                .collect(Collectors.joining(","));
        return List.of(
                "--bind-host", hostOf.get(n),
                "--http-port", Integer.toString(httpPort.get(n)),
                "--cluster-port", Integer.toString(clusterPort.get(n)),
                "--cluster-external-host", clusterProxy.get(n).address().getHostString(),
                "--cluster-external-port", Integer.toString(clusterProxy.get(n).address().getPort()),
                "--peers", peers,
                "--pg-url", "postgresql://postgres@127.0.0.1:" + dbProxy.get(n).address().getPort() + "/postgres");
    }

    @Override
    public URI adminEndpoint(String node) {
        requireNode(node);
        return URI.create("http://" + hostOf.get(node) + ":" + httpPort.get(node));
    }

    @Override
    public synchronized void partition(Grudge grudge) throws Exception {
        requireNodes();
        for (String m : grudge.refuses().keySet()) {
            if (!m.equals(Grudge.DB) && !names.contains(m)) {
                throw new IllegalArgumentException("grudge names unknown member '" + m + "' (members: " + names + ", db)");
            }
        }
        for (String j : names) {
            Set<String> refused = new HashSet<>();
            for (String i : names) {
                if (!i.equals(j) && grudge.cuts(i, j)) {
                    refused.add(i);
                }
            }
            clusterProxy.get(j).refuse(refused);
            dbProxy.get(j).refuse(grudge.cuts(j, Grudge.DB) ? Set.of(j) : Set.of());
        }
    }

    @Override
    public synchronized void heal() throws Exception {
        if (!nodesCreated()) {
            return;
        }
        for (String n : names) {
            clusterProxy.get(n).refuse(Set.of());
            dbProxy.get(n).refuse(Set.of());
        }
    }

    @Override
    public synchronized void delayLinks(Duration delay) throws Exception {
        requireNodes();
        for (String n : names) {
            clusterProxy.get(n).delay(delay);
            dbProxy.get(n).delay(delay);
        }
    }

    @Override
    public synchronized void clearDelay() throws Exception {
        if (!nodesCreated()) {
            return;
        }
        delayLinks(Duration.ZERO);
    }

    @Override
    public void disconnectClients(String node) throws Exception {
        requireStarted(clientProxy, node).closeAll();
    }

    /** The proxies' view of a node's links, for tests and diagnostics. */
    public TcpProxy clusterProxy(String node) {
        return requireStarted(clusterProxy, node);
    }

    /** The database, for tests and diagnostics. */
    public HarnessPostgres database() {
        return db;
    }

    /** Closes the cluster and database proxies (the client proxies are closed first, by the base). */
    @Override
    protected void closeLinks() {
        for (Map<String, TcpProxy> m : List.of(clusterProxy, dbProxy)) {
            m.values().forEach(TcpProxy::close);
        }
    }
}
