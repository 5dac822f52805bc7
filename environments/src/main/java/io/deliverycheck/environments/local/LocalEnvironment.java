package io.deliverycheck.environments.local;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.runner.ClockSkewable;
import io.deliverycheck.checker.runner.Fault;
import io.deliverycheck.checker.runner.Grudge;
import io.deliverycheck.checker.runner.PowerLossable;
import io.deliverycheck.environments.EnvironmentConfig;
import io.deliverycheck.environments.ProcessEnvironment;
import io.deliverycheck.environments.clock.ClockSkew;
import io.deliverycheck.environments.disk.PowerLossFs;
import io.deliverycheck.environments.db.HarnessPostgres;
import io.deliverycheck.environments.process.Ports;
import io.deliverycheck.environments.proxy.TcpProxy;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
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
 * A partition in mode {@code refuse} closes the proxied connections crossing the cut and refuses new
 * ones; in mode {@code drop} it holds them open and forwards nothing ({@link TcpProxy#drop}); a link
 * cut in either direction of a grudge is cut both ways (a TCP connection cannot be half-cut). A link
 * delay holds bytes in the cluster and database proxies. The admin endpoint is direct.
 *
 * <p>Two faults need the run set up for them, so they are offered only when {@link #prepareFaults}
 * names them and the machine can: {@code power-loss} puts the database's data directory on a
 * {@link PowerLossFs} (root, /dev/fuse, fuse3), and its fault SIGKILLs the nodes it names, stops
 * the database at once (SIGQUIT: no checkpoint, nothing flushed), drops every unsynced byte and,
 * at the heal, starts the database and then the nodes again; {@code clock-skew} starts every node
 * under a {@link ClockSkew} of its own ({@link ClockSkew.Clocks#WALL}: the wall clock moves, the
 * monotonic clock and timers keep real time), and its fault moves one node's clock until the heal.
 * {@code corrupt-file} is not offered: the nodes keep no data of their own, and damaging the one
 * PostgreSQL would damage every copy there is, not a minority's.
 *
 * <p>Run folder: {@code logs/<id>.log} (the node's log), {@code logs/<id>.out} (its stdout/stderr),
 * {@code logs/postgres.log}; the database's data in {@code db/} (with power loss: in
 * {@code power-loss/db} on the mount, its bytes in {@code power-loss.backing/}, its program's log in
 * {@code logs/powerlossfs.log}), deleted at close unless kept; the clock settings in {@code clock/}.
 */
public final class LocalEnvironment extends ProcessEnvironment implements PowerLossable, ClockSkewable {

    private final Map<String, String> hostOf = new LinkedHashMap<>();
    private final Map<String, String> nodeOfHost = new HashMap<>();
    private final Map<String, Integer> httpPort = new HashMap<>();
    private final Map<String, Integer> clusterPort = new HashMap<>();
    private final Map<String, TcpProxy> clusterProxy = new LinkedHashMap<>();
    private final Map<String, TcpProxy> dbProxy = new LinkedHashMap<>();
    private final Map<String, ClockSkew> clocks = new LinkedHashMap<>();
    private boolean wantPowerLoss;
    private boolean wantClockSkew;
    private boolean infrastructureStarted;
    private PowerLossFs powerFs;
    private Path powerBacking;

    public LocalEnvironment(EnvironmentConfig config) {
        super("local-environment", config);
        for (int i = 0; i < names.size(); i++) {
            String host = "127.0.0." + (11 + i);
            hostOf.put(names.get(i), host);
            nodeOfHost.put(host, names.get(i));
        }
    }

    /**
     * Prepares {@code power-loss} and {@code clock-skew} when {@code kinds} names them and this machine
     * can run them ({@link PowerLossFs#problem()}, {@link ClockSkew#problem()}); otherwise they are not
     * offered ({@link #faultKinds()}).
     */
    @Override
    public synchronized void prepareFaults(Set<String> kinds) {
        wantPowerLoss = kinds.contains(Fault.POWER_LOSS) && PowerLossFs.problem() == null;
        wantClockSkew = kinds.contains(Fault.CLOCK_SKEW) && ClockSkew.problem() == null;
    }

    /** Every ability's kind, but {@code power-loss} and {@code clock-skew} only when prepared (and, after setup, set up). */
    @Override
    public synchronized Set<String> faultKinds() {
        Set<String> kinds = super.faultKinds();
        if (!(infrastructureStarted ? powerFs != null : wantPowerLoss)) {
            kinds.remove(Fault.POWER_LOSS);
        }
        if (!(infrastructureStarted ? !clocks.isEmpty() : wantClockSkew)) {
            kinds.remove(Fault.CLOCK_SKEW);
        }
        return kinds;
    }

    @Override
    protected void startInfrastructure(Path runDir) throws Exception {
        synchronized (this) {
            infrastructureStarted = true;
        }
        Path dbDir = runDir.resolve("db");
        if (wantPowerLoss) {
            powerBacking = runDir.resolve("power-loss.backing");
            powerFs = PowerLossFs.mount(powerBacking, runDir.resolve("power-loss"), logDir().resolve("powerlossfs.log"));
            dbDir = powerFs.mountpoint().resolve("db");
        }
        if (wantClockSkew) {
            for (String n : names) {
                clocks.put(n, ClockSkew.create(runDir.resolve("clock").resolve(n + ".rc"), ClockSkew.Clocks.ALL));
            }
        }
        db = new HarnessPostgres(dbDir, logDir().resolve("postgres.log"), List.of(), List.of(), config.keepData());
        if (powerFs != null) {
            // After a crash PostgreSQL fsyncs its whole data directory before recovery (20 s and more
            // through the single-threaded FUSE program at a load of 50). After a drop everything there is
            // durable by construction, and syncfs, which FUSE does not see, is what PostgreSQL offers to
            // skip the walk (recovery_init_sync_method, PostgreSQL 14+).
            db.setServerConfig("recovery_init_sync_method", "syncfs");
        }
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
    protected void customize(String node, ProcessBuilder pb) {
        ClockSkew c = clocks.get(node);
        if (c != null) {
            c.apply(pb);
        }
    }

    @Override
    protected void afterKill(String node, List<ProcessHandle> killed) {
        if (clocks.containsKey(node)) {
            ClockSkew.cleanUpAfter(killed);
        }
    }

    @Override
    public synchronized void partition(Grudge grudge) throws Exception {
        partition(grudge, "refuse");
    }

    /** Both: {@code refuse} and {@code drop}. */
    @Override
    public List<String> partitionModes() {
        return Fault.PARTITION_MODES;
    }

    @Override
    public synchronized void partition(Grudge grudge, String mode) throws Exception {
        if (!Fault.PARTITION_MODES.contains(mode)) {
            throw new IllegalArgumentException("partition mode must be one of " + Fault.PARTITION_MODES + ", not '" + mode + "'");
        }
        boolean drop = mode.equals("drop");
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
            Set<String> dbRefused = grudge.cuts(j, Grudge.DB) ? Set.of(j) : Set.of();
            cut(clusterProxy.get(j), refused, drop);
            cut(dbProxy.get(j), dbRefused, drop);
        }
    }

    /** Refuses or drops {@code sources} at {@code proxy}, and clears the other kind of cut. */
    private static void cut(TcpProxy proxy, Set<String> sources, boolean drop) throws Exception {
        if (drop) {
            proxy.refuse(Set.of());
            proxy.drop(sources);
        } else {
            proxy.drop(Set.of());
            proxy.refuse(sources);
        }
    }

    @Override
    public synchronized void heal() throws Exception {
        if (!nodesCreated()) {
            return;
        }
        for (String n : names) {
            clusterProxy.get(n).heal();
            dbProxy.get(n).heal();
        }
    }

    /** The nodes and {@link Grudge#DB}: the nodes keep no data of their own, so for them a power loss is a kill. */
    @Override
    public List<String> powerLossMembers() {
        return partitionMembers();
    }

    @Override
    public synchronized ObjectNode powerOff(List<String> members) throws Exception {
        requireNodes();
        requireMembers(members);
        boolean withDb = members.contains(Grudge.DB);
        if (withDb && powerFs == null) {
            throw new IllegalStateException("power-loss: the database is not on the power-loss file system "
                    + "(the environment was not prepared for power-loss faults)");
        }
        for (String n : members) {
            if (!n.equals(Grudge.DB)) {
                kill(n);
            }
        }
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        if (withDb) {
            db.crashStop();
            PowerLossFs.Dropped d = powerFs.drop();
            out.put("reverted_files", d.revertedFiles());
            out.put("restored_bytes", d.restoredBytes());
            out.put("undone_ops", d.undoneOps());
        }
        return out;
    }

    @Override
    public synchronized void powerOn(List<String> members) throws Exception {
        requireNodes();
        requireMembers(members);
        if (members.contains(Grudge.DB)) {
            db.start();
        }
        for (String n : members) {
            if (!n.equals(Grudge.DB)) {
                restart(n);
            }
        }
    }

    private void requireMembers(List<String> members) {
        for (String m : members) {
            if (!m.equals(Grudge.DB)) {
                requireNode(m);
            }
        }
    }

    @Override
    public void skewClock(String node, ObjectNode skew) throws Exception {
        ClockSkew.Skew k = ClockSkew.Skew.fromJson(skew);
        if (!k.kind().equals("rate")) {
            throw new IllegalArgumentException("clock-skew of " + node + ": the local environment runs its nodes' clocks at a rate "
                    + "(a clock step needs the wall clock faked alone, which spins a JVM's timed waits with libfaketime 0.9.10)");
        }
        requireClock(node).set(k);
    }

    @Override
    public void resetClock(String node) throws Exception {
        requireNode(node);
        ClockSkew c = clocks.get(node);
        if (c != null) {
            c.reset();
        }
    }

    private ClockSkew requireClock(String node) {
        requireNode(node);
        ClockSkew c = clocks.get(node);
        if (c == null) {
            throw new IllegalStateException("clock-skew: node " + node + " was not started under a fake clock "
                    + "(the environment was not prepared for clock-skew faults)");
        }
        return c;
    }

    /** The power-loss file system under the database, or null when the run has none. */
    public PowerLossFs powerLossFs() {
        return powerFs;
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

    /** Unmounts the power-loss file system (after the database closed) and deletes its bytes unless kept. */
    @Override
    protected void closeNetwork() {
        if (powerFs != null) {
            powerFs.close();
            if (!config.keepData()) {
                deleteTree(powerBacking);
            }
        }
    }

    private static void deleteTree(Path root) {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try (var s = Files.walk(root)) {
            List<Path> all = new ArrayList<>(s.sorted(Comparator.reverseOrder()).toList());
            for (Path p : all) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // best effort: the run folder keeps what could not be deleted
        }
    }
}
