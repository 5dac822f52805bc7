package io.deliverycheck.systems.nats;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.history.Recorder;
import io.deliverycheck.checker.runner.ClientDisconnectable;
import io.deliverycheck.checker.runner.Environment;
import io.deliverycheck.checker.runner.Fault;
import io.deliverycheck.checker.runner.FileCorruptible;
import io.deliverycheck.checker.runner.Grudge;
import io.deliverycheck.checker.runner.Killable;
import io.deliverycheck.checker.runner.Partitionable;
import io.deliverycheck.checker.runner.Pausable;
import io.deliverycheck.checker.runner.PowerLossable;
import io.deliverycheck.environments.disk.FileCorruption;
import io.deliverycheck.environments.disk.PowerLossFs;
import io.deliverycheck.environments.disk.PowerLossMounts;
import io.deliverycheck.environments.process.Cleanup;
import io.deliverycheck.environments.process.Ports;
import io.deliverycheck.environments.proxy.TcpProxy;
import io.vertx.core.Vertx;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * NATS JetStream as a system under test: a cluster of private nats-server processes (the Debian
 * package), each with JetStream on and a file store in its own directory, all on 127.0.0.1 with
 * ports picked free.
 *
 * <p>Links, each through a harness-owned {@link TcpProxy}:
 * <ul>
 *   <li>routes: for each ordered pair (a, b) one proxy in front of b's cluster port that only a's
 *       configured route to b uses, so the proxy's source is known and a partition cuts it. Every
 *       server configures routes to all others (JetStream refuses to start in a cluster without
 *       configured routes); of the two connections a pair opens, NATS keeps one and either side
 *       reconnects when it breaks. Every server advertises a "sink" address (a proxy that closes
 *       every connection) as its cluster address, so gossip cannot open a route around a cut: an
 *       implicit route to a peer goes to the sink and fails.</li>
 *   <li>clients: one proxy per server in front of its client port ({@link #clientEndpoint},
 *       {@code nats://host:port}); servers do not advertise other servers' client URLs
 *       ({@code no_advertise}), so clients connect only where they were told to.</li>
 * </ul>
 * The monitoring port ({@link #adminEndpoint}) is direct.
 *
 * <p>Healthy means, on every server: {@code /healthz?js-enabled-only=true} answers 200, the server
 * knows a JetStream meta leader ({@code /jsz}), and it has a route to every other server
 * ({@code /routez}).
 *
 * <p>{@code corrupt-file} (offered with 3 or more servers, so a minority holds no only copy): the
 * server is SIGKILLed, then bits are flipped in, or bytes cut off the end of, one of its stream
 * message blocks ({@code jetstream/**}{@code /msgs/*.blk}; any store file when none exists yet), as
 * Jepsen's NATS 2.12.1 analysis did; it stays down until {@link #restartCorrupted}.
 *
 * <p>{@code power-loss}, when the run may inject it ({@link #prepareFaults}) and the machine can mount
 * the power-loss file system: each server's store is {@code power-loss/<id>/} on a {@link PowerLossFs}
 * of its own over {@code power-loss.backing/<id>/}; a power loss SIGKILLs the servers named at once
 * and drops every byte they had not fsynced (JetStream fsyncs every {@code sync_interval}, 2 minutes
 * by default, or on every write with {@code sync_interval: always}).
 *
 * <p>Run folder: {@code nats/<id>/nats.conf} and {@code nats/<id>/jetstream/} (the store),
 * {@code logs/<id>.log} (the server's log), {@code logs/<id>.out} (its stdout and stderr).
 */
public final class NatsEnvironment implements Environment, Killable, Pausable, Partitionable, ClientDisconnectable,
        FileCorruptible, PowerLossable {

    private static final String HOST = "127.0.0.1";
    private static final Duration STOP_GRACE = Duration.ofSeconds(5);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** What corrupt-file damages first: stream message blocks (4 bits, or up to 64 KiB cut). */
    static final FileCorruption.Target MESSAGE_BLOCKS = new FileCorruption.Target("**/msgs/*.blk",
            List.of(FileCorruption.Kind.BITFLIP, FileCorruption.Kind.TRUNCATE), 4, 64 << 10);

    private final NatsConfig config;
    private final ObjectNode systemOp;
    private final Duration retryHorizon;
    private final List<String> names = new ArrayList<>();
    private final Map<String, Integer> clientPort = new LinkedHashMap<>();
    private final Map<String, Integer> clusterPort = new LinkedHashMap<>();
    private final Map<String, Integer> monitorPort = new LinkedHashMap<>();
    private final Map<String, TcpProxy> clientProxy = new LinkedHashMap<>();
    /** Key "n1>n2": the proxy in front of n2's cluster port that n1's route goes through. */
    private final Map<String, TcpProxy> routeProxy = new LinkedHashMap<>();
    private final Map<String, BrokerProcess> servers = new LinkedHashMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final Cleanup cleanup = new Cleanup("nats-environment", this::close);
    private final PowerLossMounts power = new PowerLossMounts("nats");
    private boolean wantPowerLoss;
    private TcpProxy sink;
    private Vertx vertx;
    private Path logDir;
    private Path natsDir;
    private String version;
    private boolean closed;

    public NatsEnvironment(NatsConfig config) {
        this(config, null, Duration.ZERO);
    }

    /**
     * @param systemOp the {@code system} op the run records (the version is filled in at setup), or
     *     null: the environment claims nothing itself; the client mapping decides the claims
     * @param retryHorizon how long a correct cluster may take to hand an unacknowledged message out again
     */
    public NatsEnvironment(NatsConfig config, ObjectNode systemOp, Duration retryHorizon) {
        this.config = config;
        this.systemOp = systemOp == null ? null : systemOp.deepCopy();
        this.retryHorizon = retryHorizon;
        for (int i = 1; i <= config.servers(); i++) {
            names.add("n" + i);
        }
    }

    public NatsConfig config() {
        return config;
    }

    @Override
    public synchronized void setup(Path runDir, Recorder rec) throws Exception {
        if (logDir != null) {
            throw new IllegalStateException("setup already called");
        }
        Path dir = runDir.toAbsolutePath();
        logDir = dir.resolve("logs");
        natsDir = dir.resolve("nats");
        Files.createDirectories(logDir);
        cleanup.register();
        try {
            version = queryVersion();
            vertx = Vertx.vertx();
            sink = TcpProxy.start(vertx, "route-sink", HOST, 0, new InetSocketAddress(HOST, 9), h -> "gossip");
            sink.refuse(Set.of("gossip"));
            for (String n : names) {
                clientPort.put(n, Ports.free(HOST));
                clusterPort.put(n, Ports.free(HOST));
                monitorPort.put(n, Ports.free(HOST));
                clientProxy.put(n, TcpProxy.start(vertx, "client-" + n, HOST, 0,
                        new InetSocketAddress(HOST, clientPort.get(n)), h -> "client"));
            }
            for (String a : names) {
                for (String b : names) {
                    if (!a.equals(b)) {
                        routeProxy.put(a + ">" + b, TcpProxy.start(vertx, "route-" + a + "-" + b, HOST, 0,
                                new InetSocketAddress(HOST, clusterPort.get(b)), h -> a));
                    }
                }
            }
            if (wantPowerLoss) {
                for (String n : names) {
                    power.mount(n, dir, logDir);
                }
            }
            for (String n : names) {
                Path conf = dir.resolve("nats").resolve(n).resolve("nats.conf");
                BrokerProcess.writeAtomically(conf, configText(n, storeDir(n)));
                servers.put(n, new BrokerProcess("nats " + n, List.of(config.binary(), "-c", conf.toString()),
                        logDir.resolve(n + ".out")));
            }
            checkConfig(dir.resolve("nats").resolve(names.get(0)).resolve("nats.conf"));
            for (BrokerProcess p : servers.values()) {
                p.start();
            }
            awaitHealthy(config.startTimeout());
            // a cluster that has run a while has its store's skeleton on disk: only what the run
            // writes from here on is at risk in a power loss
            power.syncAll();
        } catch (Exception e) {
            close();
            throw e;
        }
    }

    /** The server's configuration file: ports, JetStream store, routes through the proxies. */
    String configText(String n, Path store) {
        StringBuilder routes = new StringBuilder();
        for (Map.Entry<String, TcpProxy> e : routeProxy.entrySet()) {
            if (e.getKey().startsWith(n + ">")) {
                InetSocketAddress a = e.getValue().address();
                routes.append("    \"nats-route://").append(a.getHostString()).append(':').append(a.getPort()).append("\"\n");
            }
        }
        InetSocketAddress client = clientProxy.get(n).address();
        StringBuilder js = new StringBuilder();
        js.append("  store_dir: \"").append(store).append("\"\n");
        js.append("  max_memory_store: 256MB\n");
        js.append("  max_file_store: 4GB\n");
        if (config.syncInterval() != null) {
            js.append("  sync_interval: ").append(config.syncInterval()).append('\n');
        }
        return "# Written by deliverycheck (NatsEnvironment) for server " + n + "; do not edit.\n"
                + "server_name: " + n + "\n"
                + "listen: \"" + HOST + ":" + clientPort.get(n) + "\"\n"
                + "client_advertise: \"" + client.getHostString() + ":" + client.getPort() + "\"\n"
                + "http: \"" + HOST + ":" + monitorPort.get(n) + "\"\n"
                + "log_file: \"" + logDir.resolve(n + ".log") + "\"\n"
                + "logtime: true\n"
                + "jetstream {\n" + js + "}\n"
                + "cluster {\n"
                + "  name: deliverycheck\n"
                + "  listen: \"" + HOST + ":" + clusterPort.get(n) + "\"\n"
                + "  advertise: \"" + sink.address().getHostString() + ":" + sink.address().getPort() + "\"\n"
                + "  no_advertise: true\n"
                + "  routes: [\n" + routes + "  ]\n"
                + "}\n";
    }

    private String queryVersion() throws Exception {
        BrokerProcess.Result r = BrokerProcess.run(List.of(config.binary(), "--version"), Duration.ofSeconds(10), "nats-server");
        if (r.exitCode() != 0) {
            throw new IllegalStateException(config.binary() + " --version failed (" + r.exitCode() + "): " + r.output());
        }
        return r.output().replaceFirst("^nats-server:\\s*v?", "");
    }

    /** {@code nats-server -t}: the server's own check of the file, so an option it lacks is one clear line. */
    private void checkConfig(Path conf) throws Exception {
        BrokerProcess.Result r = BrokerProcess.run(List.of(config.binary(), "-c", conf.toString(), "-t"), Duration.ofSeconds(10), "nats-server");
        if (r.exitCode() != 0) {
            String line = r.output().lines().filter(l -> !l.isBlank()).reduce((a, b) -> b).orElse("exit " + r.exitCode());
            String hint = config.syncInterval() != null && line.contains("sync_interval")
                    ? " (sync_interval needs nats-server 2.10 or later; this is " + version + ")" : "";
            throw new IllegalArgumentException("nats-server " + version + " rejects the configuration " + conf + ": "
                    + line.replaceFirst("^nats-server:\\s*", "") + hint);
        }
    }

    @Override
    public List<String> nodes() {
        return List.copyOf(names);
    }

    /** {@code nats://host:port} of the proxy in front of the server's client port. */
    @Override
    public URI clientEndpoint(String node) {
        InetSocketAddress a = started(clientProxy, node).address();
        return URI.create("nats://" + a.getHostString() + ":" + a.getPort());
    }

    /** The server's monitoring port, {@code http://127.0.0.1:port}, direct. */
    @Override
    public URI adminEndpoint(String node) {
        return URI.create("http://" + HOST + ":" + started(monitorPort, node));
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
        return logs;
    }

    /** The nats-server version, e.g. {@code 2.9.10} (after setup). */
    public String version() {
        return version;
    }

    /** The {@code system} op given at construction, with the version the server reported; null without one. */
    @Override
    public ObjectNode system() {
        if (systemOp == null) {
            return null;
        }
        ObjectNode v = systemOp.deepCopy();
        v.put("version", version);
        return v;
    }

    @Override
    public Duration retryHorizon() {
        return retryHorizon;
    }

    /** The configuration as the settings of a {@code system} op. */
    public ObjectNode settings() {
        ObjectNode s = JsonNodeFactory.instance.objectNode();
        s.put("servers", config.servers());
        s.put("sync_interval", config.syncInterval() == null ? "default" : config.syncInterval());
        return s;
    }

    @Override
    public void awaitHealthy(Duration timeout) throws Exception {
        for (String n : names) {
            server(n).awaitUntil(timeout, "healthy (JetStream enabled, a meta leader, routes to all " + (names.size() - 1) + " peers)",
                    () -> problem(n, true), List.of(logDir.resolve(n + ".log"), logDir.resolve(n + ".out")));
        }
    }

    /** Why {@code n} is not healthy, or null; {@code cluster} also asks for a meta leader and every route. */
    String problem(String n, boolean cluster) {
        try {
            HttpResponse<String> h = get(n, "/healthz?js-enabled-only=true");
            if (h.statusCode() != 200) {
                return "/healthz?js-enabled-only=true: HTTP " + h.statusCode() + " " + h.body().trim();
            }
            if (!cluster || names.size() == 1) {
                return null;
            }
            JsonNode jsz = JSON.readTree(get(n, "/jsz").body());
            String leader = jsz.path("meta_cluster").path("leader").asText("");
            if (leader.isEmpty()) {
                return "no JetStream meta leader known (/jsz)";
            }
            JsonNode routez = JSON.readTree(get(n, "/routez").body());
            int routes = routez.path("num_routes").asInt();
            if (routes < names.size() - 1) {
                return routes + " of " + (names.size() - 1) + " routes up (/routez)";
            }
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        } catch (Exception e) {
            return "monitoring port: " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage());
        }
    }

    /** GET on the server's monitoring port. */
    public HttpResponse<String> get(String n, String path) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(adminEndpoint(n).resolve(path)).timeout(Duration.ofSeconds(3)).GET().build();
        return http.send(req, HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void kill(String node) throws Exception {
        server(node).kill();
    }

    /** Starts a killed server again with the same configuration and store; returns once it serves with JetStream on. */
    @Override
    public void restart(String node) throws Exception {
        BrokerProcess p = server(node);
        p.start();
        p.awaitUntil(config.startTimeout(), "serving with JetStream enabled", () -> problem(node, false),
                List.of(logDir.resolve(node + ".log"), p.outFile()));
    }

    @Override
    public void pause(String node) throws Exception {
        server(node).pause();
    }

    @Override
    public void resume(String node) throws Exception {
        server(node).resume();
    }

    /**
     * The fault kinds of the abilities; corrupt-file only with 3 or more servers (else there is no
     * minority); power-loss only when prepared (and, after setup, mounted).
     */
    @Override
    public synchronized Set<String> faultKinds() {
        Set<String> kinds = new LinkedHashSet<>(Environment.super.faultKinds());
        if (corruptibleNodes().isEmpty()) {
            kinds.remove(Fault.CORRUPT_FILE);
        }
        if (!(logDir != null ? !power.isEmpty() : wantPowerLoss && PowerLossFs.problem() == null)) {
            kinds.remove(Fault.POWER_LOSS);
        }
        return kinds;
    }

    /** Starts a killed server again without waiting until it serves ({@link #awaitHealthy} says when). */
    @Override
    public void start(String node) throws Exception {
        server(node).start();
    }

    @Override
    public List<String> corruptibleNodes() {
        return names.size() >= 3 ? List.copyOf(names) : List.of();
    }

    /** The server's JetStream store directory (its power-loss mount, when it has one). */
    public synchronized Path storeDir(String node) {
        requireSetUp();
        requireNode(node);
        Path m = power.mountpoint(node);
        return m != null ? m : natsDir.resolve(node).resolve("jetstream");
    }

    /** Power-loss is set up only for a run that may inject it (a FUSE mount per server costs something). */
    @Override
    public synchronized void prepareFaults(Set<String> kinds) {
        wantPowerLoss = kinds.contains(Fault.POWER_LOSS);
    }

    /** Makes the workload's topology (its streams and consumers) durable on the power-loss file systems; nothing without them. */
    @Override
    public void workloadReady() throws Exception {
        power.syncAll();
    }

    /** Every server (NATS has no database). */
    @Override
    public List<String> powerLossMembers() {
        return List.copyOf(names);
    }

    /** SIGKILL of the named servers at once, then every byte they had not fsynced dropped; down until {@link #powerOn}. */
    @Override
    public ObjectNode powerOff(List<String> members) throws Exception {
        members.forEach(this::server);
        List<PowerLossFs> fss = power.require(members);
        for (String m : members) {
            server(m).kill();
        }
        return PowerLossMounts.drop(fss);
    }

    /** Starts the named servers that are down, all at once (a quorum must form); returns once each serves. */
    @Override
    public void powerOn(List<String> members) throws Exception {
        for (String m : members) {
            BrokerProcess p = server(m);
            if (!p.alive()) {
                p.start();
            }
        }
        for (String m : members) {
            BrokerProcess p = server(m);
            p.awaitUntil(config.startTimeout(), "serving with JetStream enabled", () -> problem(m, false),
                    List.of(logDir.resolve(m + ".log"), p.outFile()));
        }
    }

    /**
     * SIGKILLs the server, then damages one file of its store: the one {@code detail.corruption}
     * names (a replay), else one message block chosen from {@code detail.seed} (any store file when
     * the server has written no message block yet).
     */
    @Override
    public ObjectNode corruptFiles(String node, ObjectNode detail) throws Exception {
        if (!corruptibleNodes().contains(node)) {
            throw new IllegalArgumentException("corrupt-file: " + node + " is not one of " + corruptibleNodes()
                    + " (a cluster of 3 or more servers)");
        }
        BrokerProcess p = server(node);
        p.kill();
        Path store = storeDir(node);
        FileCorruption.Corruption c;
        if (detail.has("corruption")) {
            c = FileCorruption.Corruption.fromJson(detail.get("corruption"));
        } else {
            Random random = new Random(detail.path("seed").asLong(0));
            try {
                c = FileCorruption.plan(store, MESSAGE_BLOCKS, random);
            } catch (IllegalArgumentException noBlockYet) {
                c = FileCorruption.plan(store, FileCorruption.Target.any(), random);
            }
        }
        FileCorruption.Applied a = FileCorruption.apply(store, c);
        ObjectNode out = c.toJson();
        out.put("length_after", a.lengthAfter());
        if (a.flipsSkipped() > 0) {
            out.put("flips_skipped", a.flipsSkipped());
        }
        return out;
    }

    /** Starts a corrupted server again (see {@link #restart}); a no-op when it is running. */
    @Override
    public void restartCorrupted(String node) throws Exception {
        if (!server(node).alive()) {
            restart(node);
        }
    }

    /** The servers; NATS has no database of its own that a partition could isolate. */
    @Override
    public List<String> partitionMembers() {
        return List.copyOf(names);
    }

    /** Cuts the routes between the server pairs the grudge separates (both ways: a route is one TCP connection). */
    @Override
    public synchronized void partition(Grudge grudge) throws Exception {
        requireSetUp();
        for (String m : grudge.refuses().keySet()) {
            if (!names.contains(m)) {
                throw new IllegalArgumentException("grudge names unknown member '" + m + "' (members: " + String.join(", ", names) + ")");
            }
        }
        for (Map.Entry<String, TcpProxy> e : routeProxy.entrySet()) {
            String[] pair = e.getKey().split(">");
            e.getValue().refuse(grudge.cuts(pair[0], pair[1]) ? Set.of(pair[0]) : Set.of());
        }
    }

    @Override
    public synchronized void heal() throws Exception {
        for (TcpProxy p : routeProxy.values()) {
            p.refuse(Set.of());
        }
    }

    /** Closes every client connection through the server's client proxy; clients may reconnect at once. */
    @Override
    public void disconnectClients(String node) throws Exception {
        started(clientProxy, node).closeAll();
    }

    /** The proxy the route configured at {@code from} towards {@code to} runs through, for tests. */
    public TcpProxy routeProxy(String from, String to) {
        requireNode(from);
        requireNode(to);
        return started(routeProxy, from + ">" + to);
    }

    /** The proxy in front of a server's client port, for tests. */
    public TcpProxy clientProxy(String node) {
        return started(clientProxy, node);
    }

    /** The PIDs of the live server processes. */
    public Map<String, Long> pids() {
        Map<String, Long> out = new LinkedHashMap<>();
        servers.forEach((n, p) -> {
            if (p.alive()) {
                out.put(n, p.pid());
            }
        });
        return out;
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        servers.values().forEach(p -> p.stop(STOP_GRACE));
        power.close();
        clientProxy.values().forEach(TcpProxy::close);
        routeProxy.values().forEach(TcpProxy::close);
        if (sink != null) {
            sink.close();
        }
        if (vertx != null) {
            try {
                vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                // best effort: its threads are daemons
            }
        }
        cleanup.unregister();
    }

    private BrokerProcess server(String node) {
        requireSetUp();
        return started(servers, node);
    }

    private synchronized void requireSetUp() {
        if (logDir == null || closed) {
            throw new IllegalStateException("NATS environment not set up (or closed)");
        }
    }

    /** The entry of {@code key} (a node, or "a>b" for a route); throws when setup has not made it yet. */
    private <T> T started(Map<String, T> map, String key) {
        if (!key.contains(">")) {
            requireNode(key);
        }
        T t = map.get(key);
        if (t == null) {
            throw new IllegalStateException("NATS environment not set up");
        }
        return t;
    }

    private void requireNode(String node) {
        if (!names.contains(node)) {
            throw new IllegalArgumentException("no node named '" + node + "' (nodes: " + String.join(", ", names) + ")");
        }
    }
}
