package io.deliverycheck.environments.ssh;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.history.Recorder;
import io.deliverycheck.checker.runner.ClientDisconnectable;
import io.deliverycheck.checker.runner.DatabaseRestartable;
import io.deliverycheck.checker.runner.Environment;
import io.deliverycheck.checker.runner.Grudge;
import io.deliverycheck.checker.runner.Killable;
import io.deliverycheck.checker.runner.Partitionable;
import io.deliverycheck.checker.runner.Pausable;
import io.deliverycheck.environments.EnvironmentConfig;
import io.deliverycheck.environments.ReferenceNodeFlags;
import io.deliverycheck.environments.db.HarnessPostgres;
import io.deliverycheck.environments.process.Cleanup;
import io.deliverycheck.environments.process.HealthProbe;
import io.deliverycheck.environments.proxy.TcpProxy;
import io.vertx.core.Vertx;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.keyverifier.KnownHostsServerKeyVerifier;
import org.apache.sshd.client.keyverifier.RejectAllServerKeyVerifier;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The reference cluster on real machines, over SSH ({@code --env ssh --hosts hosts.json}): one node
 * per host of {@link HostsFile}, the database on the harness (its own PostgreSQL, on the address the
 * hosts reach it by) or on a host ({@link RemotePostgres}). The harness uploads what the nodes run
 * (their class path, {@link Classpath}) into a run folder of its own on each host, checks the host
 * first (Java 17+, iptables, free ports), starts the nodes over SSH exec channels, kills them
 * (SIGKILL), pauses them (SIGSTOP/SIGCONT), partitions them (iptables rules in chains of the run's
 * own, {@link Firewall}), collects their logs into the run folder, and leaves nothing behind: at
 * close it stops the nodes, downloads their logs, removes its chains and lets each host's watchdog
 * ({@link HostRun}) delete the run folder; if the harness dies instead, the watchdogs do it all.
 * Clients reach each node through a harness proxy ({@link #disconnectClients}); the admin endpoint is
 * direct. Link delay is not offered.
 *
 * <p>Run folder: {@code logs/<id>.out} (stdout and stderr, streamed), {@code logs/<id>.log} (the
 * node's log, downloaded at close), {@code logs/postgres.log}.
 */
public final class SshEnvironment implements Environment, Killable, Pausable, Partitionable, DatabaseRestartable,
        ClientDisconnectable {

    private static final Duration STOP_GRACE = Duration.ofSeconds(5);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(20);
    private static final java.util.concurrent.atomic.AtomicInteger CREATED = new java.util.concurrent.atomic.AtomicInteger();

    private final EnvironmentConfig config;
    private final HostsFile file;
    private final List<String> names;
    private final HealthProbe probe;
    private final Cleanup cleanup;
    private final String runId;
    private final Map<String, HostRun> hosts = new LinkedHashMap<>();
    private final Map<String, RemoteProcess> nodes = new LinkedHashMap<>();
    private final Map<String, TcpProxy> clientProxy = new LinkedHashMap<>();
    private final List<String> leftovers = new ArrayList<>();
    private Path logDir;
    private Path tmpDir;
    private SshClient client;
    private ScheduledExecutorService heartbeat;
    private Firewall firewall;
    private HarnessPostgres harnessDb;
    private RemotePostgres remoteDb;
    private Vertx vertx;
    private boolean closed;

    public SshEnvironment(EnvironmentConfig config, HostsFile file) {
        this.config = config;
        this.file = file;
        this.names = config.nodeNames();
        file.requireNodes(names);
        this.probe = new HealthProbe(config.token());
        this.cleanup = new Cleanup("ssh-environment", this::close);
        // unique per harness process and environment: two environments never share a run folder or a chain
        this.runId = "dc-" + ProcessHandle.current().pid() + "-" + Long.toString(System.currentTimeMillis() / 1000, 36)
                + "-" + CREATED.incrementAndGet();
    }

    /** The run's folder on {@code host} (a host name of the file). */
    public String remoteDir(String host) {
        return file.remoteDir() + "/" + runId + "-" + host;
    }

    /** The suffix of the run's firewall chains ({@code DCI-<tag>}, {@code DCO-<tag>}). */
    public String chainTag() {
        return String.format("%08x", runId.hashCode());
    }

    @Override
    public synchronized void setup(Path runDir, Recorder rec) throws Exception {
        if (logDir != null) {
            throw new IllegalStateException("setup already called");
        }
        Path dir = runDir.toAbsolutePath();
        logDir = dir.resolve("logs");
        tmpDir = dir.resolve("ssh-upload");
        Files.createDirectories(logDir);
        cleanup.register();
        try {
            connect();
            preflight();
            startDatabase(dir);
            upload();
            startNodes();
            awaitHealthy(config.startTimeout());
        } catch (Exception e) {
            close();
            throw e;
        } finally {
            deleteTree(tmpDir);
        }
    }

    private void connect() throws Exception {
        client = SshClient.setUpDefaultClient();
        client.setServerKeyVerifier(new KnownHostsServerKeyVerifier(RejectAllServerKeyVerifier.INSTANCE, file.knownHosts()));
        client.start();
        List<HostsFile.Host> used = file.usedHosts();
        List<String> fwHosts = firewallHosts();
        List<HostRun> runs = parallel(used, h -> {
            SshHost s = SshHost.connect(client, h, file.knownHosts(), CONNECT_TIMEOUT);
            HostRun r = new HostRun(s, remoteDir(h.name()), fwHosts.contains(h.name()) ? chainTag() : "-");
            synchronized (hosts) {
                hosts.put(h.name(), r);
            }
            r.startWatchdog(file.watchdog());
            return r;
        });
        hosts.clear();
        runs.forEach(r -> hosts.put(r.name(), r));
        // a thread per host: a host whose channel blocks must not starve the others' watchdogs
        heartbeat = Executors.newScheduledThreadPool(hosts.size(), r -> {
            Thread t = new Thread(r, "ssh-heartbeat");
            t.setDaemon(true);
            return t;
        });
        for (HostRun r : hosts.values()) {
            heartbeat.scheduleAtFixedRate(r::heartbeat, 0, HostRun.HEARTBEAT.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private List<String> firewallHosts() {
        List<String> hs = new ArrayList<>();
        names.forEach(n -> hs.add(file.nodes().get(n)));
        if (!file.database().onHarness() && !hs.contains(file.database().host())) {
            hs.add(file.database().host());
        }
        return hs;
    }

    private void preflight() throws Exception {
        HostsFile.Database db = file.database();
        List<List<String>> problems = parallel(new ArrayList<>(hosts.values()), r -> {
            HostsFile.Host h = r.ssh.host;
            boolean node = file.nodes().containsValue(h.name());
            boolean dbHere = h.name().equals(db.host());
            List<Integer> ports = new ArrayList<>();
            if (node) {
                ports.addAll(List.of(h.httpPort(), h.clusterPort()));
            }
            if (dbHere) {
                ports.add(db.port());
            }
            return r.preflight(node, true, h.address(), ports, dbHere);
        });
        List<String> all = problems.stream().flatMap(List::stream).toList();
        if (!all.isEmpty()) {
            throw new IllegalStateException(file.file() + ": " + String.join("; ", all));
        }
        for (HostRun r : hosts.values()) {
            if (!r.tag.equals("-")) {
                r.initFirewall();
            }
        }
    }

    private void startDatabase(Path runDir) throws Exception {
        HostsFile.Database db = file.database();
        List<String> nodeAddresses = names.stream().map(n -> file.hostOf(n).address()).toList();
        int port;
        if (db.onHarness()) {
            if (!localAddress(db.address())) {
                throw new IllegalStateException(file.file() + ": database.address: " + db.address()
                        + " is not an address of this machine (the harness's database listens on it)");
            }
            harnessDb = new HarnessPostgres(runDir.resolve("db"), logDir.resolve("postgres.log"), List.of(db.address()),
                    nodeAddresses.stream().map(a -> a + "/32").toList(), config.keepData());
            harnessDb.start();
            port = harnessDb.port();
        } else {
            remoteDb = new RemotePostgres(hosts.get(db.host()), db.port(), nodeAddresses, logDir.resolve("postgres.log"));
            remoteDb.start(tmpDir, config.startTimeout());
            port = db.port();
        }
        Map<String, Firewall.NodeAt> at = new LinkedHashMap<>();
        for (String n : names) {
            HostsFile.Host h = file.hostOf(n);
            at.put(n, new Firewall.NodeAt(h.name(), h.address(), h.clusterPort()));
        }
        firewall = new Firewall(at, db.onHarness() ? null : db.host(), db.address(), port);
    }

    private static boolean localAddress(String address) {
        try {
            return java.net.NetworkInterface.getByInetAddress(java.net.InetAddress.getByName(address)) != null;
        } catch (IOException e) {
            return false;
        }
    }

    /** The nodes' class path on each node host (host name to a ':'-joined list of the uploaded files). */
    private final Map<String, String> remoteClasspath = new LinkedHashMap<>();

    private void upload() throws Exception {
        List<Path> entries = Classpath.entries(config.classpath());
        if (entries.isEmpty()) {
            throw new IllegalStateException("the nodes' class path is empty: nothing to upload");
        }
        Files.createDirectories(tmpDir);
        List<Path> local = new ArrayList<>();
        List<String> remoteNames = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            Path e = entries.get(i);
            String name = Classpath.remoteName(i, e);
            if (Files.isDirectory(e)) {
                Path jar = tmpDir.resolve(name);
                Classpath.asJar(e, jar);
                e = jar;
            } else {
                e = Classpath.withoutPostgresBundles(e, tmpDir, name);
                if (e == null) {
                    continue;
                }
            }
            local.add(e);
            remoteNames.add(name);
        }
        List<HostRun> nodeHosts = names.stream().map(n -> hosts.get(file.nodes().get(n))).toList();
        parallel(nodeHosts, r -> {
            List<String> cp = new ArrayList<>();
            for (int i = 0; i < local.size(); i++) {
                String remote = r.dir + "/lib/" + remoteNames.get(i);
                r.ssh.upload(local.get(i), remote);
                cp.add(remote);
            }
            synchronized (remoteClasspath) {
                remoteClasspath.put(r.name(), String.join(":", cp));
            }
            return null;
        });
    }

    /** The node's remote command line (after {@code dc-remote.sh run DIR NAME}). */
    List<String> command(String n) {
        HostsFile.Host h = file.hostOf(n);
        List<String> cmd = new ArrayList<>();
        if (config.token() != null) {
            // in the environment rather than on the command line, which every user of the host can read
            cmd.addAll(List.of("env", "DELIVERYCHECK_TOKEN=" + config.token()));
        }
        cmd.add(h.java());
        cmd.addAll(config.jvmOptions());
        cmd.addAll(List.of("-cp", remoteClasspath.getOrDefault(h.name(), ""), config.mainClass()));
        cmd.addAll(List.of("--id", n, "--exit-on-stdin-eof", "true"));
        String peers = names.stream().map(p -> file.hostOf(p).address() + ":" + file.hostOf(p).clusterPort())
                .collect(Collectors.joining(","));
        HostsFile.Database db = file.database();
        int dbPort = db.onHarness() ? harnessDb.port() : db.port();
        cmd.addAll(List.of("--bind-host", h.address(),
                "--http-port", Integer.toString(h.httpPort()),
                "--cluster-port", Integer.toString(h.clusterPort()),
                "--peers", peers,
                "--pg-url", "postgresql://postgres@" + db.address() + ":" + dbPort + "/postgres",
                "--log-dir", hosts.get(h.name()).dir + "/logs"));
        cmd.addAll(config.nodeFlags());
        return cmd;
    }

    private void startNodes() throws Exception {
        vertx = Vertx.vertx();
        for (String n : names) {
            HostsFile.Host h = file.hostOf(n);
            clientProxy.put(n, TcpProxy.start(vertx, "client-" + n, "127.0.0.1", 0,
                    new InetSocketAddress(h.address(), h.httpPort()), x -> "client"));
            nodes.put(n, new RemoteProcess(hosts.get(h.name()), n, command(n), logDir.resolve(n + ".out")));
        }
        for (RemoteProcess p : nodes.values()) {
            p.start();
        }
    }

    @Override
    public List<String> nodes() {
        return names;
    }

    @Override
    public URI clientEndpoint(String node) {
        TcpProxy p = clientProxy.get(requireNode(node));
        if (p == null) {
            throw new IllegalStateException("environment not set up");
        }
        InetSocketAddress a = p.address();
        return URI.create("http://" + a.getHostString() + ":" + a.getPort());
    }

    @Override
    public URI adminEndpoint(String node) {
        HostsFile.Host h = file.hostOf(requireNode(node));
        return URI.create("http://" + h.address() + ":" + h.httpPort());
    }

    @Override
    public List<Path> logs() {
        if (logDir == null) {
            return List.of();
        }
        List<Path> out = new ArrayList<>();
        for (String n : names) {
            out.add(logDir.resolve(n + ".log"));
            out.add(logDir.resolve(n + ".out"));
        }
        out.add(logDir.resolve("postgres.log"));
        return out;
    }

    @Override
    public void awaitHealthy(Duration timeout) throws Exception {
        await(names, timeout, h -> h.healthyWith(names), "healthy (HTTP 200 and a view of " + names + ")");
    }

    /** Polls each node's /health (as NodeSet does for local processes) until {@code ok} or the deadline; names the node and its logs. */
    private void await(List<String> ids, Duration timeout, java.util.function.Predicate<HealthProbe.Health> ok, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (String id : ids) {
            RemoteProcess p = requireNodes().get(id);
            while (true) {
                if (!p.alive()) {
                    Integer exit = p.exitStatus();
                    throw new IllegalStateException("node " + id + " on host " + p.host().ssh.host.describe() + " is not running"
                            + (exit == null ? "" : " (exit code " + exit + ")") + (p.output() == null ? "" : ": " + p.output().tail(3))
                            + "; see " + p.outFile() + " and " + logDir.resolve(id + ".log"));
                }
                HealthProbe.Health last = probe.probe(adminEndpoint(id));
                if (ok.test(last)) {
                    break;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("node " + id + " not " + what + " after " + timeout.toSeconds()
                            + " s; last /health: " + last.describe() + "; see " + p.outFile() + " and " + logDir.resolve(id + ".log"));
                }
                Thread.sleep(200); // polling a remote process's health, not a test wait
            }
        }
    }

    @Override
    public void kill(String node) throws Exception {
        requireNodes().get(requireNode(node)).kill();
    }

    @Override
    public void restart(String node) throws Exception {
        requireNodes().get(requireNode(node)).start();
        await(List.of(node), config.startTimeout(), h -> h.status() != 0, "serving HTTP");
    }

    @Override
    public void pause(String node) throws Exception {
        requireNodes().get(requireNode(node)).pause();
    }

    @Override
    public void resume(String node) throws Exception {
        requireNodes().get(requireNode(node)).resume();
    }

    @Override
    public List<String> partitionMembers() {
        List<String> m = new ArrayList<>(names);
        m.add(Grudge.DB);
        return m;
    }

    /** {@code drop}: the cut is an iptables {@code DROP}, which answers nothing. */
    @Override
    public java.util.List<String> partitionModes() {
        return java.util.List.of("drop");
    }

    @Override
    public synchronized void partition(Grudge grudge) throws Exception {
        requireNodes();
        apply(firewall.rules(grudge));
    }

    @Override
    public synchronized void heal() throws Exception {
        if (firewall != null && !closed) {
            apply(firewall.rules(Grudge.none()));
        }
    }

    private void apply(Map<String, List<String>> rules) throws Exception {
        parallel(new ArrayList<>(rules.entrySet()), e -> {
            hosts.get(e.getKey()).setRules(e.getValue());
            return null;
        });
    }

    @Override
    public void restartDatabase() throws Exception {
        requireNodes();
        if (harnessDb != null) {
            harnessDb.crashRestart();
        } else {
            remoteDb.crashRestart(config.startTimeout());
        }
    }

    @Override
    public void disconnectClients(String node) throws Exception {
        TcpProxy p = clientProxy.get(requireNode(node));
        if (p == null) {
            throw new IllegalStateException("environment not set up");
        }
        p.closeAll();
    }

    /** The reference node's claims for this run ({@link ReferenceNodeFlags#system}), with {@code env: ssh}. */
    @Override
    public ObjectNode system() {
        return ReferenceNodeFlags.system(config.nodeFlags(), names.size(), "ssh");
    }

    /** Ack timeout + backoff cap + lease from the node flags, as for local nodes ({@link ReferenceNodeFlags#retryHorizon}). */
    @Override
    public Duration retryHorizon() {
        return ReferenceNodeFlags.retryHorizon(config.nodeFlags());
    }

    /**
     * What close could not confirm as removed (a host unreachable, a watchdog that did not answer);
     * empty after a clean close. Each such host's watchdog removes the rest within
     * {@code watchdog_timeout_s} of losing the harness.
     */
    public synchronized List<String> leftovers() {
        return List.copyOf(leftovers);
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        nodes.values().parallelStream().forEach(p -> p.stop(STOP_GRACE));
        if (remoteDb != null) {
            remoteDb.stop(Duration.ofSeconds(10));
        }
        for (String n : nodes.keySet()) {
            HostRun r = hosts.get(file.nodes().get(n));
            try {
                r.ssh.download(r.dir + "/logs/" + n + ".log", logDir.resolve(n + ".log"));
            } catch (IOException | RuntimeException e) {
                leftover("host " + r.name() + ": could not download " + n + ".log: " + e.getMessage());
            }
        }
        for (HostRun r : hosts.values()) {
            try {
                r.removeFirewall();
            } catch (IOException | RuntimeException e) {
                leftover("host " + r.name() + ": could not remove the chains DCI/DCO-" + r.tag + ": " + e.getMessage());
            }
        }
        hosts.values().parallelStream().forEach(r -> {
            try {
                if (!r.finish(Duration.ofSeconds(30))) {
                    leftover("host " + r.name() + ": its watchdog did not confirm the clean-up of " + r.dir);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        if (heartbeat != null) {
            heartbeat.shutdownNow();
        }
        hosts.values().forEach(r -> r.ssh.close());
        if (client != null) {
            try {
                client.stop();
            } catch (RuntimeException e) {
                // its threads end with it
            }
        }
        clientProxy.values().forEach(TcpProxy::close);
        if (vertx != null) {
            try {
                vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                // best effort: its threads are daemons
            }
        }
        if (harnessDb != null) {
            harnessDb.close();
        }
        deleteTree(tmpDir);
        cleanup.unregister();
        List<String> left = leftovers();
        if (!left.isEmpty()) {
            System.err.println("ssh environment: " + String.join("; ", left)
                    + " (each host's watchdog removes what is left within " + file.watchdog().toSeconds() + " s)");
        }
    }

    private synchronized void leftover(String what) {
        leftovers.add(what);
    }

    private String requireNode(String node) {
        if (!names.contains(node)) {
            throw new IllegalArgumentException("no node named '" + node + "' (nodes: " + String.join(", ", names) + ")");
        }
        return node;
    }

    private Map<String, RemoteProcess> requireNodes() {
        if (nodes.isEmpty() || closed) {
            throw new IllegalStateException("environment not set up (or closed)");
        }
        return nodes;
    }

    /** Runs {@code f} on every item at once (a thread per item); the first failure is thrown after all ended. */
    private static <T, R> List<R> parallel(List<T> items, ThrowingFunction<T, R> f) throws Exception {
        if (items.isEmpty()) {
            return List.of();
        }
        ExecutorService pool = Executors.newFixedThreadPool(items.size(), r -> {
            Thread t = new Thread(r, "ssh-hosts");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<R>> fs = new ArrayList<>();
            for (T item : items) {
                Callable<R> c = () -> f.apply(item);
                fs.add(pool.submit(c));
            }
            List<R> out = new ArrayList<>();
            Exception first = null;
            for (Future<R> fu : fs) {
                try {
                    out.add(fu.get());
                } catch (ExecutionException e) {
                    if (first == null) {
                        first = e.getCause() instanceof Exception ex ? ex : new IOException(e.getCause());
                    }
                }
            }
            if (first != null) {
                throw first;
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    @FunctionalInterface
    private interface ThrowingFunction<T, R> {
        R apply(T t) throws Exception;
    }

    private static void deleteTree(Path root) {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // best effort
                }
            });
        } catch (IOException e) {
            // best effort
        }
    }
}
