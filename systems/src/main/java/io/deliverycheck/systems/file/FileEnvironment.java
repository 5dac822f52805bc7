package io.deliverycheck.systems.file;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.history.Recorder;
import io.deliverycheck.checker.runner.ClientDisconnectable;
import io.deliverycheck.checker.runner.DatabaseRestartable;
import io.deliverycheck.checker.runner.Environment;
import io.deliverycheck.checker.runner.Fault;
import io.deliverycheck.checker.runner.Grudge;
import io.deliverycheck.checker.runner.Killable;
import io.deliverycheck.checker.runner.LinkDelayable;
import io.deliverycheck.checker.runner.Partitionable;
import io.deliverycheck.checker.runner.Pausable;
import io.deliverycheck.checker.runner.PowerLossable;
import io.deliverycheck.environments.db.HarnessPostgres;
import io.deliverycheck.environments.disk.PowerLossFs;
import io.deliverycheck.environments.disk.PowerLossMounts;
import io.deliverycheck.environments.process.Cleanup;
import io.deliverycheck.environments.process.NodeProcess;
import io.deliverycheck.environments.process.OwnedProcesses;
import io.deliverycheck.environments.process.Signals;
import io.deliverycheck.environments.proxy.TcpProxy;
import io.deliverycheck.systems.ServicePorts;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The nodes of a {@link SystemFile}, run locally as owned child processes, like the {@code local}
 * environment runs the reference node: node nI on its own loopback address {@code 127.0.0.(10+I)}
 * (the {@code {host}} placeholder), its ports picked free at run time, and every link the file names
 * behind a harness-owned {@link TcpProxy}:
 * <ul>
 *   <li>the {@code client} port: one proxy per node ({@link #clientEndpoint}); {@code device-disconnect}
 *       closes its connections. The admin endpoint ({@code /metrics}, health) is the port itself.</li>
 *   <li>each {@code peer} port: one proxy per node, the address the other nodes reach it at
 *       ({@code {proxy.P}}, {@code {peers.P}}, {@code {members.P}}). The proxy names the node a
 *       connection comes from by its source address, so a node must open its peer connections from
 *       {@code {host}}; a partition while a peer connection came from elsewhere is a harness error
 *       naming the port (it could not be cut), never a silent no-op.</li>
 *   <li>with {@code "database": "postgres"}: the harness's own PostgreSQL, one proxy per node
 *       ({@code {database.url}}): {@code db-restart}, and partitions that isolate the database.</li>
 * </ul>
 * Faults are only those the file lists ({@link #faultKinds}). Run folder: {@code logs/<id>.out}
 * (stdout and stderr), {@code logs/<id>.log} (the file's {@code {log_file}}), {@code data/<id>/}
 * (kept across kills, deleted at close), {@code logs/postgres.log}.
 *
 * <p>{@code power-loss}, when the file lists it and the run may inject it ({@link #prepareFaults}):
 * each node's {@code {data_dir}} (and the harness's PostgreSQL, if any) is a power-loss file system
 * of its own ({@link PowerLossFs}, {@code power-loss/<id>/} over {@code power-loss.backing/<id>/}),
 * so a power cut of some members drops exactly their unsynced bytes, not their neighbours'.
 */
public final class FileEnvironment implements Environment, Killable, Pausable, Partitionable, DatabaseRestartable,
        LinkDelayable, ClientDisconnectable, PowerLossable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final SystemFile sf;
    private final Map<String, String> options;
    private final String token;
    private final ObjectNode systemOp;
    private final List<String> names = new ArrayList<>();
    private final Map<String, String> hostOf = new LinkedHashMap<>();
    private final Map<String, String> nodeOfHost = new HashMap<>();
    private final Map<String, Map<String, Integer>> portOf = new HashMap<>();
    private final Map<String, TcpProxy> clientProxy = new LinkedHashMap<>();
    /** peer port name -> node -> proxy */
    private final Map<String, Map<String, TcpProxy>> peerProxy = new LinkedHashMap<>();
    private final Map<String, TcpProxy> dbProxy = new LinkedHashMap<>();
    /** Sources of peer connections that were no node's address, by port name. */
    private final Map<String, Set<String>> strangers = new ConcurrentHashMap<>();
    private final Map<String, NodeProcess> procs = new LinkedHashMap<>();
    private final Map<String, Map<String, String>> values = new HashMap<>();
    /** HTTP/1.1 only: an HTTP/2 client's h2c upgrade header reaches a plain service as a protocol upgrade (Node.js hands it to its WebSocket handler). */
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();
    private final Cleanup cleanup = new Cleanup("system-file", this::close);
    private Vertx vertx;
    private HarnessPostgres db;
    private Path runDir;
    private boolean closed;
    /** The run may inject power-loss (listed by the file and prepared): data directories go on power-loss mounts. */
    private boolean wantPowerLoss;
    /** Member (node, or {@link Grudge#DB}) -> its power-loss file system. */
    private final PowerLossMounts power = new PowerLossMounts("node");

    /**
     * @param options the settings' values ({@code {opt.K}})
     * @param token the clients' API token, or null ({@code {token}} is then empty)
     * @param systemOp the history's {@code system} op
     */
    public FileEnvironment(SystemFile sf, int nodes, Map<String, String> options, String token, ObjectNode systemOp) {
        if (nodes < 1 || nodes > 9) {
            throw new IllegalArgumentException("--nodes " + nodes + ": must be between 1 and 9");
        }
        this.sf = sf;
        this.options = Map.copyOf(options);
        this.token = token;
        this.systemOp = systemOp;
        for (int i = 1; i <= nodes; i++) {
            String n = "n" + i;
            names.add(n);
            hostOf.put(n, "127.0.0." + (10 + i));
            nodeOfHost.put("127.0.0." + (10 + i), n);
        }
    }

    @Override
    public synchronized void setup(Path dir, Recorder rec) throws Exception {
        if (runDir != null) {
            throw new IllegalStateException("setup already called");
        }
        runDir = dir.toAbsolutePath();
        Files.createDirectories(runDir.resolve("logs"));
        cleanup.register();
        try {
            vertx = Vertx.vertx();
            if (wantPowerLoss) {
                String problem = PowerLossFs.problem();
                if (problem != null) {
                    throw new IllegalStateException("power-loss (listed in " + sf.file() + "): " + problem);
                }
                for (String m : powerLossMembers()) {
                    power.mount(m, runDir, logDir());
                }
            }
            if (sf.database().equals("postgres")) {
                Path dbMount = power.mountpoint(Grudge.DB);
                db = new HarnessPostgres(dbMount != null ? dbMount.resolve("pgdata") : runDir.resolve("db"),
                        logDir().resolve("postgres.log"), List.of(), List.of(), false);
                if (dbMount != null) {
                    // after a drop everything on the mount is durable; syncfs spares the fsync walk of
                    // recovery through FUSE (as the local environment does)
                    db.setServerConfig("recovery_init_sync_method", "syncfs");
                }
                db.start();
            }
            for (String n : names) {
                String host = hostOf.get(n);
                Map<String, Integer> ports = new LinkedHashMap<>();
                for (SystemFile.Port p : sf.ports().values()) {
                    ports.put(p.name(), ServicePorts.free(host));
                }
                portOf.put(n, ports);
                clientProxy.put(n, TcpProxy.start(vertx, "client-" + n, "127.0.0.1", 0,
                        new InetSocketAddress(host, ports.get(sf.clientPort().name())), h -> "client"));
                for (SystemFile.Port p : sf.peerPorts()) {
                    peerProxy.computeIfAbsent(p.name(), k -> new LinkedHashMap<>()).put(n, TcpProxy.start(vertx,
                            p.name() + "-" + n, "127.0.0.1", 0, new InetSocketAddress(host, ports.get(p.name())), h -> {
                                String node = nodeOfHost.get(h);
                                if (node == null) {
                                    strangers.computeIfAbsent(p.name(), k -> ConcurrentHashMap.newKeySet()).add(h);
                                    return "stranger:" + h;
                                }
                                return node;
                            }));
                }
                if (db != null) {
                    dbProxy.put(n, TcpProxy.start(vertx, "db-" + n, "127.0.0.1", 0,
                            new InetSocketAddress("127.0.0.1", db.port()), h -> n));
                }
                Files.createDirectories(dataDir(n));
            }
            for (String n : names) {
                values.put(n, values(n));
                procs.put(n, new NodeProcess(n, Placeholders.expand(sf.start().command(), values.get(n)),
                        logDir().resolve(n + ".out"), expand(sf.start().env(), values.get(n))));
            }
            for (String n : names) {
                procs.get(n).start();
            }
            awaitHealthy(Duration.ofMillis(sf.health().timeoutMs()));
        } catch (Exception e) {
            close();
            throw e;
        }
    }

    private Path logDir() {
        return runDir.resolve("logs");
    }

    private Path dataDir(String n) {
        Path m = power.mountpoint(n);
        return m != null ? m : runDir.resolve("data").resolve(n);
    }

    /** The placeholder values of node {@code n} (docs/systems.md). */
    Map<String, String> values(String n) {
        Map<String, String> v = new HashMap<>();
        v.put("id", n);
        v.put("index", n.substring(1));
        v.put("nodes", Integer.toString(names.size()));
        v.put("host", hostOf.get(n));
        v.put("data_dir", dataDir(n).toString());
        v.put("log_dir", logDir().toString());
        v.put("log_file", logDir().resolve(n + ".log").toString());
        v.put("run_dir", runDir.toString());
        v.put("file_dir", sf.file().getParent().toString());
        v.put("token", token == null ? "" : token);
        v.put("java", Path.of(System.getProperty("java.home"), "bin", "java").toString());
        v.put("classpath", System.getProperty("java.class.path"));
        for (SystemFile.Port p : sf.ports().values()) {
            String name = p.name();
            int port = portOf.get(n).get(name);
            v.put("port." + name, Integer.toString(port));
            v.put("addr." + name, hostOf.get(n) + ":" + port);
            InetSocketAddress reach = reach(n, p);
            v.put("proxy." + name, reach.getHostString() + ":" + reach.getPort());
            v.put("proxy." + name + ".host", reach.getHostString());
            v.put("proxy." + name + ".port", Integer.toString(reach.getPort()));
            v.put("members." + name, names.stream().map(x -> addr(reach(x, p))).collect(Collectors.joining(",")));
            v.put("peers." + name, names.stream().filter(x -> !x.equals(n)).map(x -> addr(reach(x, p)))
                    .collect(Collectors.joining(",")));
        }
        if (db != null) {
            int port = dbProxy.get(n).address().getPort();
            v.put("database.url", "postgresql://postgres@127.0.0.1:" + port + "/postgres");
            v.put("database.host", "127.0.0.1");
            v.put("database.port", Integer.toString(port));
        }
        options.forEach((k, x) -> v.put("opt." + k, x));
        return v;
    }

    /** Where others reach port {@code p} of node {@code n}: its proxy, or the port itself when internal. */
    private InetSocketAddress reach(String n, SystemFile.Port p) {
        return switch (p.role()) {
            case "client" -> clientProxy.get(n).address();
            case "peer" -> peerProxy.get(p.name()).get(n).address();
            default -> new InetSocketAddress(hostOf.get(n), portOf.get(n).get(p.name()));
        };
    }

    private static String addr(InetSocketAddress a) {
        return a.getHostString() + ":" + a.getPort();
    }

    private static Map<String, String> expand(Map<String, String> env, Map<String, String> values) {
        Map<String, String> out = new LinkedHashMap<>();
        env.forEach((k, x) -> out.put(k, Placeholders.expand(x, values)));
        return out;
    }

    // ---- health ----

    @Override
    public void awaitHealthy(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (String n : names) {
            await(n, deadline, timeout, false);
        }
    }

    private void await(String n, long deadline, Duration timeout, boolean serving) throws Exception {
        NodeProcess p = proc(n);
        String last;
        while (true) {
            Integer exit = p.exitCode();
            if (exit != null || p.pid() < 0) {
                throw new IllegalStateException("node " + n + " is not running" + (exit == null ? "" : " (exit code " + exit + ")")
                        + "; see " + p.outFile() + " and " + logDir().resolve(n + ".log"));
            }
            last = probe(n, serving);
            if (last == null) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("node " + n + " not " + (serving ? "serving" : "healthy") + " after "
                        + timeout.toSeconds() + " s (" + describeHealth() + "): " + last + "; see " + p.outFile()
                        + " and " + logDir().resolve(n + ".log"));
            }
            Thread.sleep(200); // polling another process's health, not a test wait
        }
    }

    private String describeHealth() {
        SystemFile.Health h = sf.health();
        if (h.httpPath() != null) {
            return "GET " + h.httpPath() + " answering " + h.status() + (h.nodesAt() == null ? "" : " with every node at " + h.nodesAt());
        }
        return h.tcpPort() != null ? "TCP port " + h.tcpPort() + " accepting" : "health command exiting 0";
    }

    /**
     * Null when node {@code n} passes the file's health check, else what was wrong. {@code serving}
     * (after a restart): an HTTP check needs any answer, not the status and the view: the node is up
     * again, and the cluster's healing is the final {@link #awaitHealthy}'s business.
     */
    private String probe(String n, boolean serving) {
        SystemFile.Health h = sf.health();
        try {
            if (h.httpPath() != null) {
                HttpRequest.Builder b = HttpRequest.newBuilder(adminEndpoint(n).resolve(h.httpPath()))
                        .timeout(Duration.ofSeconds(3)).GET();
                if (token != null) {
                    b.header("Authorization", "Bearer " + token);
                }
                HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
                if (serving) {
                    return null;
                }
                if (r.statusCode() != h.status()) {
                    return "HTTP " + r.statusCode() + " " + abbreviate(r.body());
                }
                if (h.nodesAt() != null) {
                    JsonNode at;
                    try {
                        at = JSON.readTree(r.body()).at(h.nodesAt());
                    } catch (IOException e) {
                        return "the answer is not JSON: " + abbreviate(r.body());
                    }
                    Set<String> seen = new HashSet<>();
                    at.forEach(x -> seen.add(x.asText()));
                    if (!seen.containsAll(names)) {
                        return "at " + h.nodesAt() + ": " + at + ", not every node of " + names;
                    }
                }
                return null;
            }
            if (h.tcpPort() != null) {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(hostOf.get(n), portOf.get(n).get(h.tcpPort())), 2000);
                    return null;
                }
            }
            int rc = runCommand(n, h.command(), values.get(n), Duration.ofSeconds(10), "health");
            return rc == 0 ? null : "health command exited " + rc;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        } catch (Exception e) {
            return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }

    /** Runs a command of the file as an owned process; its output goes to {@code logs/<id>.<what>.out}. */
    private int runCommand(String n, SystemFile.Command c, Map<String, String> v, Duration timeout, String what)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(Placeholders.expand(c.command(), v)).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logDir().resolve(n + "." + what + ".out").toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().putAll(expand(c.env(), v));
        Process p = OwnedProcesses.start(pb, what + " command of " + n);
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                return -1;
            }
            return p.exitValue();
        } finally {
            if (!p.isAlive()) {
                OwnedProcesses.release(p.pid());
            }
        }
    }

    // ---- endpoints ----

    @Override
    public List<String> nodes() {
        return names;
    }

    @Override
    public URI clientEndpoint(String node) {
        InetSocketAddress a = started(clientProxy, node).address();
        return URI.create("http://" + a.getHostString() + ":" + a.getPort());
    }

    @Override
    public URI adminEndpoint(String node) {
        requireNode(node);
        Map<String, Integer> ports = portOf.get(node);
        if (ports == null) {
            throw new IllegalStateException("environment not set up");
        }
        return URI.create("http://" + hostOf.get(node) + ":" + ports.get(sf.clientPort().name()));
    }

    @Override
    public List<Path> logs() {
        if (runDir == null) {
            return List.of();
        }
        List<Path> logs = new ArrayList<>();
        for (String n : names) {
            logs.add(logDir().resolve(n + ".log"));
            logs.add(logDir().resolve(n + ".out"));
        }
        if (db != null) {
            logs.add(logDir().resolve("postgres.log"));
        }
        return logs;
    }

    @Override
    public ObjectNode system() {
        return systemOp;
    }

    @Override
    public Duration retryHorizon() {
        return Duration.ofMillis(sf.retryHorizonMs());
    }

    /** Power-loss is set up only for a run that may inject it (a FUSE mount per member costs something). */
    @Override
    public synchronized void prepareFaults(Set<String> kinds) {
        wantPowerLoss = kinds.contains(Fault.POWER_LOSS) && sf.faults().contains(Fault.POWER_LOSS);
    }

    /** Exactly the faults the file lists; {@code power-loss} only when prepared (and, after setup, mounted). */
    @Override
    public synchronized Set<String> faultKinds() {
        Set<String> kinds = new LinkedHashSet<>(sf.faults());
        if (!(runDir != null ? !power.isEmpty() : wantPowerLoss)) {
            kinds.remove(Fault.POWER_LOSS);
        }
        return kinds;
    }

    /** The nodes, and {@link Grudge#DB} when the file has the harness's database. */
    @Override
    public List<String> powerLossMembers() {
        List<String> m = new ArrayList<>(names);
        if (sf.database().equals("postgres")) {
            m.add(Grudge.DB);
        }
        return m;
    }

    /** SIGKILL of the members' processes at once, then each member's unsynced bytes dropped; down until {@link #powerOn}. */
    @Override
    public synchronized ObjectNode powerOff(List<String> members) throws Exception {
        requireNodes();
        for (String m : members) {
            if (!m.equals(Grudge.DB)) {
                requireNode(m);
            }
        }
        List<PowerLossFs> fss = power.require(members);
        for (String m : members) {
            if (!m.equals(Grudge.DB)) {
                kill(m);
            }
        }
        if (members.contains(Grudge.DB)) {
            db.crashStop();
        }
        return PowerLossMounts.drop(fss);
    }

    /** The database first, then the nodes; a member already up is left alone. */
    @Override
    public synchronized void powerOn(List<String> members) throws Exception {
        requireNodes();
        if (members.contains(Grudge.DB) && !db.running()) {
            db.start();
        }
        for (String m : members) {
            if (!m.equals(Grudge.DB) && !proc(m).alive()) {
                restart(m);
            }
        }
    }

    // ---- faults ----

    @Override
    public void kill(String node) throws Exception {
        proc(node).kill();
    }

    @Override
    public void restart(String node) throws Exception {
        proc(node).start();
        Duration t = Duration.ofMillis(sf.health().timeoutMs());
        await(node, System.nanoTime() + t.toNanos(), t, true);
    }

    /** Starts the node's command again without waiting until it is healthy ({@link #awaitHealthy} says when). */
    @Override
    public void start(String node) throws Exception {
        proc(node).start();
    }

    @Override
    public void pause(String node) throws Exception {
        proc(node).pause();
    }

    @Override
    public void resume(String node) throws Exception {
        proc(node).resume();
    }

    @Override
    public List<String> partitionMembers() {
        List<String> m = new ArrayList<>(names);
        if (sf.database().equals("postgres")) {
            m.add(Grudge.DB);
        }
        return m;
    }

    @Override
    public synchronized void partition(Grudge grudge) throws Exception {
        requireNodes();
        List<String> members = partitionMembers();
        for (String m : grudge.refuses().keySet()) {
            if (!members.contains(m)) {
                throw new IllegalArgumentException("grudge names unknown member '" + m + "' (members: " + members + ")");
            }
        }
        if (!strangers.isEmpty()) {
            throw new IllegalStateException("cannot cut the peer links: connections to " + strangers.entrySet().stream()
                    .map(e -> "port " + e.getKey() + " came from " + e.getValue()).collect(Collectors.joining(", "))
                    + ", not from a node's own address; the service must open its peer connections from {host}"
                    + " (docs/systems.md, \"A system described by a file\")");
        }
        for (String j : names) {
            Set<String> refused = new HashSet<>();
            for (String i : names) {
                if (!i.equals(j) && grudge.cuts(i, j)) {
                    refused.add(i);
                }
            }
            for (Map<String, TcpProxy> byNode : peerProxy.values()) {
                byNode.get(j).refuse(refused);
            }
            if (db != null) {
                dbProxy.get(j).refuse(grudge.cuts(j, Grudge.DB) ? Set.of(j) : Set.of());
            }
        }
    }

    @Override
    public synchronized void heal() throws Exception {
        for (TcpProxy p : links()) {
            p.refuse(Set.of());
        }
    }

    @Override
    public synchronized void delayLinks(Duration delay) throws Exception {
        requireNodes();
        for (TcpProxy p : links()) {
            p.delay(delay);
        }
    }

    @Override
    public synchronized void clearDelay() throws Exception {
        for (TcpProxy p : links()) {
            p.delay(Duration.ZERO);
        }
    }

    private List<TcpProxy> links() {
        return Stream.concat(peerProxy.values().stream().flatMap(m -> m.values().stream()), dbProxy.values().stream()).toList();
    }

    @Override
    public void disconnectClients(String node) throws Exception {
        started(clientProxy, node).closeAll();
    }

    @Override
    public void restartDatabase() throws Exception {
        requireNodes();
        if (db == null) {
            throw new IllegalStateException("this system file has no database (\"database\": \"postgres\")");
        }
        db.crashRestart();
    }

    // ---- close ----

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        procs.values().parallelStream().forEach(this::stop);
        clientProxy.values().forEach(TcpProxy::close);
        links().forEach(TcpProxy::close);
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
        power.close();
        if (runDir != null) {
            deleteTree(runDir.resolve("data"));
            if (!power.isEmpty()) {
                deleteTree(runDir.resolve("power-loss.backing"));
            }
        }
        cleanup.unregister();
    }

    /** The file's stop: its signal or command, up to the grace period, then SIGTERM/SIGKILL of the tree. Never throws. */
    private void stop(NodeProcess p) {
        SystemFile.Stop s = sf.stop();
        Duration grace = Duration.ofMillis(s.graceMs());
        try {
            if (p.alive() && s.command() == null && s.signal().equals("TERM")) {
                p.stop(grace);
                return;
            }
            if (p.alive()) {
                p.resume();
                if (s.command() != null) {
                    Map<String, String> v = new HashMap<>(values.get(p.id()));
                    v.put("pid", Long.toString(p.pid()));
                    runCommand(p.id(), s.command(), v, grace, "stop");
                } else {
                    Signals.send(s.signal(), p.pid());
                }
                long deadline = System.nanoTime() + grace.toNanos();
                while (p.alive() && System.nanoTime() < deadline) {
                    Thread.sleep(100); // waiting for another process to exit, bounded
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            // fall through to the forced stop
        }
        p.stop(Duration.ofSeconds(1));
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
        } catch (IOException e) {
            // best effort
        }
    }

    private synchronized Map<String, NodeProcess> requireNodes() {
        if (procs.isEmpty() || closed) {
            throw new IllegalStateException("environment not set up (or closed)");
        }
        return procs;
    }

    private NodeProcess proc(String node) {
        requireNode(node);
        return requireNodes().get(node);
    }

    private void requireNode(String node) {
        if (!names.contains(node)) {
            throw new IllegalArgumentException("no node named '" + node + "' (nodes: " + String.join(", ", names) + ")");
        }
    }

    private <T> T started(Map<String, T> map, String node) {
        requireNode(node);
        T t = map.get(node);
        if (t == null) {
            throw new IllegalStateException("environment not set up");
        }
        return t;
    }
}
