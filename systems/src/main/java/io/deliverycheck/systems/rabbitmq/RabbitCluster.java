package io.deliverycheck.systems.rabbitmq;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.deliverycheck.checker.history.Recorder;
import io.deliverycheck.checker.runner.ClientDisconnectable;
import io.deliverycheck.checker.runner.Environment;
import io.deliverycheck.checker.runner.Fault;
import io.deliverycheck.checker.runner.Grudge;
import io.deliverycheck.checker.runner.Killable;
import io.deliverycheck.checker.runner.LinkDelayable;
import io.deliverycheck.checker.runner.Partitionable;
import io.deliverycheck.checker.runner.Pausable;
import io.deliverycheck.checker.runner.PowerLossable;
import io.deliverycheck.environments.disk.PowerLossFs;
import io.deliverycheck.environments.disk.PowerLossMounts;
import io.deliverycheck.environments.process.Cleanup;
import io.deliverycheck.environments.process.OwnedProcesses;
import io.deliverycheck.environments.proxy.TcpProxy;
import io.deliverycheck.systems.ServicePorts;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A private RabbitMQ cluster of N nodes (Debian's {@code rabbitmq-server}), owned by the harness,
 * every link through a harness-owned {@link TcpProxy}:
 * <ul>
 *   <li>clients: one proxy per node in front of its AMQP port ({@link #clientEndpoint}:
 *       {@code amqp://127.0.0.1:port});</li>
 *   <li>Erlang distribution: one proxy per ordered pair of nodes (n1 to n2, n2 to n1, ...). Each
 *       node loads the {@code dc_epmd} module ({@code -epmd_module}), which tells it that a peer
 *       listens on the port of its own proxy towards that peer, so every inter-node connection runs
 *       through the proxy of its direction and the harness can cut it.</li>
 * </ul>
 * Each run has its own epmd ({@link PrivateEpmd}) on a free port, its own Erlang cookie, node names
 * and data directories under the run folder ({@code rabbitmq/n1/...}, deleted at close) and logs in
 * {@code logs/} ({@code rabbitmq-n1.log}, {@code rabbitmq-n1.out}, {@code epmd.out}). The cluster
 * forms by RabbitMQ's classic config peer discovery (every node lists all).
 *
 * <p>Faults: {@code kill} (SIGKILL, restart on the same data), {@code pause} (SIGSTOP/SIGCONT),
 * {@code partition}, {@code link-delay} (the distribution proxies hold every byte between nodes) and
 * {@code device-disconnect}. A partition cuts the distribution links the grudge
 * names, and the clients stay with the majority: a node that cannot reach a majority of the cluster
 * (itself included) is also cut off from the clients, who fail over to other nodes. A grudge that
 * names the member {@code clients} says instead exactly which nodes the clients refuse.
 */
public final class RabbitCluster implements Environment, Killable, Pausable, Partitionable, LinkDelayable,
        ClientDisconnectable, PowerLossable {
    /** The grudge member standing for every client (publishers and devices). */
    public static final String CLIENTS = "clients";
    private static final Duration STOP_GRACE = Duration.ofSeconds(10);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final RabbitConfig config;
    private final List<String> names;
    private final String tag;
    private final Map<String, PrivateRabbit> rabbits = new LinkedHashMap<>();
    private final Map<String, TcpProxy> clientProxy = new LinkedHashMap<>();
    private final Map<String, TcpProxy> distProxy = new LinkedHashMap<>();
    private final Map<String, Integer> metricsPort = new LinkedHashMap<>();
    private final Cleanup cleanup;
    private PrivateEpmd epmd;
    private Vertx vertx;
    private Path logDir;
    private Path dataRoot;
    private Path home;
    private volatile String version = "unknown";
    private boolean closed;
    private boolean wantPowerLoss;
    private final PowerLossMounts power = new PowerLossMounts("rabbitmq");

    public RabbitCluster(RabbitConfig config) {
        this.config = config;
        this.names = config.nodeNames();
        this.tag = "dc" + ProcessHandle.current().pid() + Long.toString(System.nanoTime() % 1_000_000, 36);
        this.cleanup = new Cleanup("rabbitmq-cluster", this::close);
    }

    @Override
    public synchronized void setup(Path runDir, Recorder rec) throws Exception {
        if (logDir != null) {
            throw new IllegalStateException("setup already called");
        }
        Path dir = runDir.toAbsolutePath();
        logDir = dir.resolve("logs");
        dataRoot = dir.resolve("rabbitmq");
        home = dataRoot.resolve("home");
        Files.createDirectories(logDir);
        Files.createDirectories(home);
        cleanup.register();
        try {
            writeCookie();
            Path ebin = compileEpmdModule();
            epmd = PrivateEpmd.start(erlangTool("epmd"), logDir.resolve("epmd.out"), Duration.ofSeconds(20));
            vertx = Vertx.vertx();
            Map<String, Integer> amqp = new LinkedHashMap<>();
            Map<String, Integer> dist = new LinkedHashMap<>();
            for (String n : names) {
                amqp.put(n, ServicePorts.free("127.0.0.1"));
                dist.put(n, ServicePorts.free("127.0.0.1"));
                if (config.metrics()) {
                    metricsPort.put(n, ServicePorts.free("127.0.0.1"));
                }
                clientProxy.put(n, TcpProxy.start(vertx, "client-" + n, "127.0.0.1", 0,
                        new InetSocketAddress("127.0.0.1", amqp.get(n)), h -> CLIENTS));
            }
            for (String from : names) {
                for (String to : names) {
                    if (!from.equals(to)) {
                        distProxy.put(link(from, to), TcpProxy.start(vertx, "dist-" + from + "-" + to, "127.0.0.1", 0,
                                new InetSocketAddress("127.0.0.1", dist.get(to)), h -> from));
                    }
                }
            }
            if (wantPowerLoss) {
                for (String n : names) {
                    power.mount(n, dir, logDir);
                }
            }
            for (String n : names) {
                rabbits.put(n, node(n, amqp.get(n), dist.get(n), ebin));
            }
            for (PrivateRabbit r : rabbits.values()) {
                r.start();
            }
            awaitHealthy(config.startTimeout());
            workloadReady(); // the formed cluster's state is on disk; what the run writes is at risk
        } catch (Exception e) {
            close();
            throw e;
        }
    }

    private static String link(String from, String to) {
        return from + ">" + to;
    }

    private String nodeName(String n) {
        return tag + "_" + n + "@localhost";
    }

    private PrivateRabbit node(String n, int amqpPort, int distPort, Path ebin) throws IOException {
        Path mounted = power.mountpoint(n);
        Path data = mounted != null ? mounted : dataRoot.resolve(n);
        StringBuilder conf = new StringBuilder();
        conf.append("listeners.tcp.1 = 127.0.0.1:").append(amqpPort).append('\n');
        conf.append("cluster_formation.peer_discovery_backend = classic_config\n");
        for (int i = 0; i < names.size(); i++) {
            conf.append("cluster_formation.classic_config.nodes.").append(i + 1).append(" = ")
                    .append(nodeName(names.get(i))).append('\n');
        }
        conf.append("cluster_partition_handling = ").append(config.partitionHandling()).append('\n');
        conf.append("log.console = false\nlog.file.level = info\n");
        List<String> plugins = new ArrayList<>();
        if (config.metrics()) {
            plugins.add("rabbitmq_prometheus");
            conf.append("prometheus.tcp.ip = 127.0.0.1\nprometheus.tcp.port = ").append(metricsPort.get(n)).append('\n');
        }
        PrivateRabbit.writeFiles(data, conf.toString(), plugins);
        List<String> routes = new ArrayList<>();
        for (String peer : names) {
            if (!peer.equals(n)) {
                String peerName = nodeName(peer);
                routes.add(peerName.substring(0, peerName.indexOf('@')) + "=" + distProxy.get(link(n, peer)).address().getPort());
            }
        }
        Path log = logDir.resolve("rabbitmq-" + n + ".log");
        Map<String, String> env = PrivateRabbit.environment(nodeName(n), distPort, epmd.port, home, data, log, ebin,
                String.join(",", routes));
        return new PrivateRabbit(n, nodeName(n), amqpPort, distPort, data, log,
                new PrivateRabbit.Launch(config.serverScript(), env, logDir.resolve("rabbitmq-" + n + ".out")));
    }

    /** The run's own Erlang cookie (random, readable by the owner only), in the nodes' shared HOME. */
    private void writeCookie() throws IOException {
        byte[] b = new byte[16];
        new SecureRandom().nextBytes(b);
        Path cookie = home.resolve(".erlang.cookie");
        Files.writeString(cookie, "DC" + HexFormat.of().formatHex(b).toUpperCase(java.util.Locale.ROOT));
        Files.setPosixFilePermissions(cookie, PosixFilePermissions.fromString("r--------"));
    }

    /** Compiles the {@code dc_epmd} module (a resource of this package) into {@code rabbitmq/ebin}. */
    private Path compileEpmdModule() throws Exception {
        Path ebin = dataRoot.resolve("ebin");
        Files.createDirectories(ebin);
        Path src = ebin.resolve("dc_epmd.erl");
        try (InputStream in = RabbitCluster.class.getResourceAsStream("dc_epmd.erl")) {
            if (in == null) {
                throw new IllegalStateException("resource dc_epmd.erl missing from the jar");
            }
            Files.write(src, in.readAllBytes());
        }
        Process p = OwnedProcesses.start(new ProcessBuilder(erlangTool("erlc").toString(), "-o", ebin.toString(),
                src.toString()).redirectErrorStream(true), "erlc dc_epmd");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0 || !Files.exists(ebin.resolve("dc_epmd.beam"))) {
            p.destroyForcibly();
            throw new IOException("erlc could not compile " + src + ": " + out.trim());
        }
        OwnedProcesses.release(p.pid());
        return ebin;
    }

    /** An Erlang tool ({@code erlc}, {@code epmd}) from Debian's erlang-base. */
    private static Path erlangTool(String name) {
        for (Path p : List.of(Path.of("/usr/bin", name), Path.of("/usr/lib/erlang/bin", name))) {
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return Path.of("/usr/bin", name);
    }

    @Override
    public List<String> nodes() {
        return names;
    }

    @Override
    public URI clientEndpoint(String node) {
        InetSocketAddress a = started(clientProxy, node).address();
        return URI.create("amqp://" + a.getHostString() + ":" + a.getPort());
    }

    /** The node's {@code rabbitmq_prometheus} endpoint when metrics are on, else null. */
    @Override
    public URI adminEndpoint(String node) {
        requireNode(node);
        Integer p = metricsPort.get(node);
        return p == null ? null : URI.create("http://127.0.0.1:" + p);
    }

    @Override
    public List<Path> logs() {
        if (logDir == null) {
            return List.of();
        }
        List<Path> logs = new ArrayList<>();
        for (String n : names) {
            logs.add(logDir.resolve("rabbitmq-" + n + ".log"));
            logs.add(logDir.resolve("rabbitmq-" + n + ".out"));
        }
        logs.add(logDir.resolve("epmd.out"));
        return logs;
    }

    /** The broker's version as it reports it on an AMQP connection ({@code unknown} before setup). */
    public String version() {
        return version;
    }

    @Override
    public ObjectNode system() {
        if (config.system() == null) {
            return null;
        }
        ObjectNode v = config.system().deepCopy();
        v.put("version", version);
        return v;
    }

    /**
     * How long a correct cluster may take to hand an unacknowledged message out again: RabbitMQ
     * requeues a delivery the moment its consumer's channel closes; the client notices a dead
     * connection within two heartbeats and reconnects within its backoff (at most 2 s), and a quorum
     * queue elects a new leader within seconds.
     */
    @Override
    public Duration retryHorizon() {
        return Duration.ofSeconds(2L * config.heartbeatSeconds() + 2);
    }

    @Override
    public void kill(String node) throws Exception {
        started(rabbits, node).kill();
    }

    @Override
    public void restart(String node) throws Exception {
        PrivateRabbit r = started(rabbits, node);
        r.start();
        awaitAmqp(r, System.nanoTime() + config.startTimeout().toNanos());
    }

    /** Starts the node again without waiting until it accepts AMQP ({@link #awaitHealthy} says when). */
    @Override
    public void start(String node) throws Exception {
        started(rabbits, node).start();
    }

    @Override
    public void pause(String node) throws Exception {
        started(rabbits, node).pause();
    }

    /** Power-loss is set up only for a run that may inject it (a FUSE mount per node costs something). */
    @Override
    public synchronized void prepareFaults(Set<String> kinds) {
        wantPowerLoss = kinds.contains(Fault.POWER_LOSS);
    }

    /** The abilities' kinds; {@code power-loss} only when prepared (and, after setup, mounted). */
    @Override
    public synchronized Set<String> faultKinds() {
        Set<String> kinds = new LinkedHashSet<>(Environment.super.faultKinds());
        if (!(logDir != null ? !power.isEmpty()
                : wantPowerLoss && PowerLossFs.problem() == null)) {
            kinds.remove(Fault.POWER_LOSS);
        }
        return kinds;
    }

    /** Makes the workload's exchanges, queues and bindings durable on the power-loss file systems; nothing without them. */
    @Override
    public void workloadReady() throws Exception {
        power.syncAll();
    }

    /** Every node (the cluster has no database). */
    @Override
    public List<String> powerLossMembers() {
        return names;
    }

    /** SIGKILL of the named nodes at once, then every byte they had not fsynced dropped; down until {@link #powerOn}. */
    @Override
    public ObjectNode powerOff(List<String> members) throws Exception {
        members.forEach(m -> started(rabbits, m));
        List<PowerLossFs> fss = power.require(members);
        for (String m : members) {
            started(rabbits, m).kill();
        }
        return PowerLossMounts.drop(fss);
    }

    /**
     * Starts the named nodes that are down, all before waiting for any (a node restarted after its
     * peers went down with it waits for them to form the cluster again); returns once each accepts AMQP.
     */
    @Override
    public void powerOn(List<String> members) throws Exception {
        for (String m : members) {
            PrivateRabbit r = started(rabbits, m);
            if (!r.alive()) {
                r.start();
            }
        }
        long deadline = System.nanoTime() + config.startTimeout().toNanos();
        for (String m : members) {
            awaitAmqp(started(rabbits, m), deadline);
        }
    }

    @Override
    public void resume(String node) throws Exception {
        started(rabbits, node).resume();
    }

    @Override
    public List<String> partitionMembers() {
        List<String> m = new ArrayList<>(names);
        m.add(CLIENTS);
        return m;
    }

    @Override
    public synchronized void partition(Grudge grudge) throws Exception {
        requireSetUp();
        for (String m : grudge.refuses().keySet()) {
            if (!m.equals(CLIENTS) && !names.contains(m)) {
                throw new IllegalArgumentException("grudge names unknown member '" + m + "' (members: "
                        + String.join(", ", partitionMembers()) + ")");
            }
        }
        for (String from : names) {
            for (String to : names) {
                if (!from.equals(to)) {
                    distProxy.get(link(from, to)).refuse(grudge.cuts(from, to) ? Set.of(from) : Set.of());
                }
            }
        }
        Set<String> cutFromClients = clientsRefuse(grudge, names);
        for (String n : names) {
            clientProxy.get(n).refuse(cutFromClients.contains(n) ? Set.of(CLIENTS) : Set.of());
        }
    }

    /**
     * The nodes a grudge cuts off from the clients: those it names against {@link #CLIENTS} when it
     * names that member; else every node that cannot reach a majority of {@code nodes}, itself included.
     */
    static Set<String> clientsRefuse(Grudge grudge, List<String> nodes) {
        Set<String> out = new HashSet<>();
        boolean explicit = grudge.refuses().containsKey(CLIENTS)
                || grudge.refuses().values().stream().anyMatch(s -> s.contains(CLIENTS));
        for (String n : nodes) {
            if (explicit) {
                if (grudge.cuts(n, CLIENTS)) {
                    out.add(n);
                }
            } else {
                long reach = nodes.stream().filter(o -> o.equals(n) || !grudge.cuts(n, o)).count();
                if (reach * 2 <= nodes.size()) {
                    out.add(n);
                }
            }
        }
        return out;
    }

    @Override
    public synchronized void heal() throws Exception {
        if (rabbits.isEmpty() || closed) {
            return;
        }
        for (TcpProxy p : distProxy.values()) {
            p.refuse(Set.of());
        }
        for (TcpProxy p : clientProxy.values()) {
            p.refuse(Set.of());
        }
    }

    @Override
    public synchronized void delayLinks(Duration delay) throws Exception {
        requireSetUp();
        for (TcpProxy p : distProxy.values()) {
            p.delay(delay);
        }
    }

    @Override
    public synchronized void clearDelay() throws Exception {
        if (rabbits.isEmpty() || closed) {
            return;
        }
        for (TcpProxy p : distProxy.values()) {
            p.delay(Duration.ZERO);
        }
    }

    @Override
    public void disconnectClients(String node) throws Exception {
        started(clientProxy, node).closeAll();
    }

    /**
     * Every node accepts an AMQP connection (directly, not through its proxy) and every node is among
     * the running nodes of the cluster as {@code rabbitmqctl cluster_status} on each node reports it;
     * throws naming the node and its log after {@code timeout}.
     */
    @Override
    public void awaitHealthy(Duration timeout) throws Exception {
        requireSetUp();
        long deadline = System.nanoTime() + timeout.toNanos();
        for (PrivateRabbit r : rabbits.values()) {
            awaitAmqp(r, deadline);
        }
        String last = "";
        while (true) {
            String problem = clusterProblem();
            if (problem == null) {
                return;
            }
            last = problem;
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("rabbitmq cluster not formed after " + timeout.toSeconds() + " s: " + last
                        + " (logs: " + logDir + "/rabbitmq-n*.log)");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(500));
        }
    }

    /** Null when every node sees every node running; else what is wrong. */
    private String clusterProblem() throws Exception {
        for (PrivateRabbit r : rabbits.values()) {
            JsonNode status;
            try {
                status = JSON.readTree(rabbitmqctl(r, "cluster_status", "--formatter", "json"));
            } catch (IOException e) {
                return r.id + ": " + e.getMessage();
            }
            Set<String> running = new HashSet<>();
            status.path("running_nodes").forEach(x -> running.add(x.asText()));
            for (PrivateRabbit other : rabbits.values()) {
                if (!running.contains(other.nodeName)) {
                    return r.id + " does not see " + other.id + " running (running: " + running + ")";
                }
            }
        }
        return null;
    }

    /** Runs {@code rabbitmqctl -n <node> args...} with the run's epmd and cookie; returns stdout. */
    String rabbitmqctl(PrivateRabbit r, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(config.serverScript().resolveSibling("rabbitmqctl").toString(),
                "-n", r.nodeName, "-q"));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(dataRoot, "ctl", ".out");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile());
            pb.environment().put("HOME", home.toString());
            pb.environment().put("ERL_EPMD_PORT", Integer.toString(epmd.port));
            pb.environment().put("ERL_EPMD_ADDRESS", "127.0.0.1");
            pb.environment().put("RABBITMQ_CONF_ENV_FILE", r.dataDir.resolve("rabbitmq-env.conf").toString());
            pb.environment().put("RABBITMQ_ENABLED_PLUGINS_FILE", r.dataDir.resolve("enabled_plugins").toString());
            Process p = OwnedProcesses.start(pb, "rabbitmqctl " + String.join(" ", args));
            try {
                if (!p.waitFor(60, TimeUnit.SECONDS)) {
                    throw new IOException("rabbitmqctl " + String.join(" ", args) + " did not answer in 60 s");
                }
            } finally {
                p.destroyForcibly();
                OwnedProcesses.release(p.pid());
            }
            String text = Files.readString(out);
            if (p.exitValue() != 0) {
                throw new IOException("rabbitmqctl " + String.join(" ", args) + " exited " + p.exitValue() + ": "
                        + text.strip().lines().reduce((a, b) -> b).orElse(""));
            }
            return text;
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** Waits until the node accepts an AMQP connection on its own port; learns the broker version. */
    private void awaitAmqp(PrivateRabbit r, long deadline) throws Exception {
        ConnectionFactory f = new ConnectionFactory();
        f.setHost("127.0.0.1");
        f.setPort(r.amqpPort);
        f.setConnectionTimeout(2000);
        f.setHandshakeTimeout(5000);
        f.setAutomaticRecoveryEnabled(false);
        String last = "";
        while (true) {
            if (!r.alive()) {
                throw new IllegalStateException("rabbitmq " + r.id + " exited during start (see "
                        + logDir.resolve("rabbitmq-" + r.id + ".log") + " and .out)");
            }
            try (Connection c = f.newConnection("deliverycheck-health")) {
                Object v = c.getServerProperties().get("version");
                if (v != null) {
                    version = v.toString();
                }
                return;
            } catch (IOException | java.util.concurrent.TimeoutException e) {
                last = String.valueOf(e.getMessage());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("rabbitmq " + r.id + " does not accept AMQP connections on port "
                        + r.amqpPort + " (" + last + "); see " + logDir.resolve("rabbitmq-" + r.id + ".log"));
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(250));
        }
    }

    /** The PIDs of the live broker processes, by node. */
    public Map<String, Long> pids() {
        Map<String, Long> out = new LinkedHashMap<>();
        rabbits.forEach((n, r) -> {
            if (r.alive()) {
                out.put(n, r.pid());
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
        List<Thread> stops = new ArrayList<>();
        for (PrivateRabbit r : rabbits.values()) {
            Thread t = new Thread(() -> r.stop(STOP_GRACE), "stop-rabbitmq-" + r.id);
            t.start();
            stops.add(t);
        }
        for (Thread t : stops) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        power.close();
        clientProxy.values().forEach(TcpProxy::close);
        distProxy.values().forEach(TcpProxy::close);
        if (vertx != null) {
            try {
                vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                // its threads are daemons
            }
        }
        if (epmd != null) {
            epmd.close();
        }
        if (dataRoot != null) {
            deleteTree(dataRoot);
        }
        cleanup.unregister();
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (var s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // leave it: it is inside the run folder
        }
    }

    private void requireSetUp() {
        if (rabbits.isEmpty() || closed) {
            throw new IllegalStateException("rabbitmq cluster not set up (or closed)");
        }
    }

    private void requireNode(String node) {
        if (!names.contains(node)) {
            throw new IllegalArgumentException("no node named '" + node + "' (nodes: " + String.join(", ", names) + ")");
        }
    }

    private <T> T started(Map<String, T> map, String node) {
        requireNode(node);
        T t = map.get(node);
        if (t == null || closed) {
            throw new IllegalStateException("rabbitmq cluster not set up (or closed)");
        }
        return t;
    }
}
