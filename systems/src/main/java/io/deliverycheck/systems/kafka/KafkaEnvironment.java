package io.deliverycheck.systems.kafka;

import com.fasterxml.jackson.databind.node.ObjectNode;
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
import io.deliverycheck.environments.proxy.TcpProxy;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.AppInfoParser;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Apache Kafka as the harness runs it (DESIGN.md, "Systems under test": how it runs): N KRaft
 * brokers, each its own JVM (so each can be killed and paused alone) started from the
 * {@code org.apache.kafka} jars on the class path (no distribution is downloaded), all formatted
 * with one cluster id. The first three nodes (or all, when fewer) are combined broker+controller
 * nodes and form a static 3-voter quorum; further nodes are brokers only.
 *
 * <p>Every link runs through a harness-owned {@link TcpProxy} ({@link KafkaLayout} says how):
 * <ul>
 *   <li>clients: one proxy per broker in front of its {@code CLIENT} listener, which advertises the
 *       proxy, so clients that follow the cluster's metadata stay behind the proxies;
 *       {@link #clientEndpoint} is {@code kafka://127.0.0.1:port} of that proxy and
 *       {@link #bootstrapServers} lists them all. {@link #disconnectClients} closes its connections.</li>
 *   <li>broker to broker (replication) and to the controllers (the KRaft quorum, broker
 *       heartbeats): one proxy per ordered pair of brokers and listener. {@link #partition} closes
 *       and refuses the links a grudge cuts (either direction cuts both: a TCP connection cannot be
 *       half-cut); {@link #delayLinks} holds their bytes.</li>
 * </ul>
 * Faults: {@code kill} = SIGKILL and {@link #restart} on the same data, ports and settings;
 * {@code pause} = SIGSTOP/SIGCONT; {@code partition}; {@code link-delay}; {@code device-disconnect};
 * {@code power-loss} when the run may inject it ({@link #prepareFaults}) and the machine can mount the
 * power-loss file system: each broker's log directory (its partitions and its KRaft metadata log)
 * is then {@code power-loss/nI/} on a {@link PowerLossFs} of its own over
 * {@code power-loss.backing/nI/}, and a power loss SIGKILLs the brokers named at once and drops
 * every byte they had not fsynced (Kafka's default flush policy leaves flushing to the OS).
 * Healthy ({@link #setup}, {@link #restart}, {@link #awaitHealthy}): every broker is among the
 * cluster's live (registered, unfenced) brokers and answers a request addressed to it.
 *
 * <p>Run folder: {@code logs/kafka-nI.log} (the broker's log and output), {@code kafka/nI/}
 * ({@code server.properties}, {@code hosts}, {@code data/}: its log directory, kept after close),
 * {@code kafka/lib/} (the {@link #BROKER_LIB} jars, on the brokers' class path only).
 * {@link #close} SIGKILLs the brokers and closes the proxies; it is idempotent, also runs when the
 * harness is interrupted, and every broker is owned through {@code OwnedProcesses} and exits when
 * the harness's end of its stdin closes.
 *
 * <p>Claims are not made here: the system's {@code system} op and redelivery horizon are given to
 * the constructor by whoever maps clients and claims onto this environment.
 */
public final class KafkaEnvironment implements Environment, Killable, Pausable, Partitionable, LinkDelayable,
        ClientDisconnectable, PowerLossable {

    /**
     * Jars only the brokers have on their class path (resources of this package, copied there by the
     * build): Kafka calls the log4j API, and log4j on the harness's class path would change how
     * Vert.x logs in every JVM that shares it.
     */
    static final List<String> BROKER_LIB = List.of("log4j-api.jar", "log4j-to-slf4j.jar");

    private final KafkaClusterConfig config;
    private final List<String> names;
    private final ObjectNode system;
    private final Duration retryHorizon;
    private final Cleanup cleanup;
    private final Map<String, KafkaBroker> brokers = new LinkedHashMap<>();
    private final PowerLossMounts power = new PowerLossMounts("kafka");
    private boolean wantPowerLoss;
    private KafkaLinks links;
    private KafkaHealth health;
    private String clusterId;
    private Path runDir;
    private boolean started;
    private boolean closed;

    /** An environment that makes no claim (no {@code system} op) and has no redelivery horizon. */
    public KafkaEnvironment(KafkaClusterConfig config) {
        this(config, null, Duration.ZERO);
    }

    /**
     * @param system       the value of the history's {@code system} op for this run (name, version,
     *                     settings, claims), or null for none
     * @param retryHorizon the longest the clients of this run take to be handed an unacknowledged
     *                     message again ({@link Environment#retryHorizon})
     */
    public KafkaEnvironment(KafkaClusterConfig config, ObjectNode system, Duration retryHorizon) {
        this.config = config;
        this.names = config.nodeNames();
        this.system = system == null ? null : system.deepCopy();
        this.retryHorizon = retryHorizon;
        this.cleanup = new Cleanup("kafka-environment", this::close);
    }

    /** The Kafka version of the jars the brokers run, e.g. {@code 4.3.1}. */
    public static String kafkaVersion() {
        return AppInfoParser.getVersion();
    }

    @Override
    public void setup(Path runDir, Recorder rec) throws Exception {
        synchronized (this) {
            if (this.runDir != null) {
                throw new IllegalStateException("setup already called");
            }
            if (closed) {
                throw new IllegalStateException("environment closed");
            }
            this.runDir = runDir.toAbsolutePath();
        }
        Files.createDirectories(this.runDir.resolve("logs"));
        cleanup.register();
        try {
            start();
        } catch (Exception e) {
            close();
            throw e;
        }
    }

    private void start() throws Exception {
        clusterId = clusterIdFor(runDir);
        KafkaLinks l = KafkaLinks.start(names, config.voters());
        synchronized (this) {
            links = l;
            if (closed) {
                l.close();
                throw new IllegalStateException("kafka environment closed during setup");
            }
        }
        List<KafkaLayout.Node> nodes = l.nodes();
        KafkaLayout layout = new KafkaLayout(nodes);
        String classpath = brokerLib(runDir.resolve("kafka").resolve("lib")) + java.io.File.pathSeparator + config.classpath();
        String localName = localHostName();
        boolean wantsPower;
        synchronized (this) {
            wantsPower = wantPowerLoss;
        }
        if (wantsPower) {
            for (KafkaLayout.Node n : nodes) {
                power.mount(n.name(), runDir, runDir.resolve("logs"));
            }
        }
        for (KafkaLayout.Node n : nodes) {
            Path dir = nodeDir(n.name());
            Path data = dataDir(n.name());
            Files.createDirectories(dir);
            Files.createDirectories(data);
            Path props = dir.resolve("server.properties");
            Path hosts = dir.resolve("hosts");
            writeAtomically(props, KafkaLayout.propertiesText("kafka " + n.name() + ", cluster " + clusterId + ", written by deliverycheck",
                    layout.properties(n, data, config.broker())));
            writeAtomically(hosts, layout.hostsFile(n, localName));
            List<String> cmd = new ArrayList<>();
            cmd.add(config.javaCommand());
            cmd.addAll(config.jvmOptions());
            cmd.add("-Djdk.net.hosts.file=" + hosts);
            cmd.add("-Dslf4j.provider=" + BrokerLogProvider.class.getName());
            cmd.add("-Djava.awt.headless=true");
            cmd.add("-cp");
            cmd.add(classpath);
            cmd.add(KafkaBrokerMain.class.getName());
            cmd.add(props.toString());
            cmd.add(clusterId);
            synchronized (this) {
                if (closed) {
                    throw new IllegalStateException("kafka environment closed during setup");
                }
                brokers.put(n.name(), new KafkaBroker(n.name(), cmd, log(n.name())));
            }
        }
        for (KafkaBroker b : brokerList()) {
            b.start(); // throws once close() has retired it (an interrupt during setup)
        }
        KafkaHealth h = new KafkaHealth(bootstrapServers());
        synchronized (this) {
            health = h;
            started = !closed;
        }
        if (!started) {
            h.close();
            throw new IllegalStateException("kafka environment closed during setup");
        }
        health.await(ids(names), config.startTimeout(), this::exited, this::log);
        // a cluster that has run a while has its formatted storage on disk: only what the run
        // writes from here on is at risk in a power loss
        power.syncAll();
    }

    /** The broker's log directory: on its power-loss file system when it has one. */
    private Path dataDir(String node) {
        Path m = power.mountpoint(node);
        return m != null ? m : nodeDir(node).resolve("data");
    }

    /** Writes the {@link #BROKER_LIB} jars into {@code dir}; returns them as a class path. */
    static String brokerLib(Path dir) throws IOException {
        Files.createDirectories(dir);
        List<String> paths = new ArrayList<>();
        for (String jar : BROKER_LIB) {
            Path target = dir.resolve(jar);
            try (java.io.InputStream in = KafkaEnvironment.class.getResourceAsStream("broker-lib/" + jar)) {
                if (in == null) {
                    throw new IOException("broker-lib/" + jar + " is missing from the systems module (its build copies it there;"
                            + " rebuild with mvn -pl systems -am package)");
                }
                Path tmp = dir.resolve(jar + ".tmp");
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
            paths.add(target.toString());
        }
        return String.join(java.io.File.pathSeparator, paths);
    }

    private static String localHostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * The cluster id every broker is formatted with: derived from the run folder, so a run's id is
     * the same whenever it is looked at, never random. Kafka's ids never start with '-'.
     */
    static String clusterIdFor(Path runDir) {
        for (int k = 0; ; k++) {
            UUID u = UUID.nameUUIDFromBytes((runDir.toAbsolutePath() + "#" + k).getBytes(StandardCharsets.UTF_8));
            String id = new Uuid(u.getMostSignificantBits(), u.getLeastSignificantBits()).toString();
            if (!id.startsWith("-")) {
                return id;
            }
        }
    }

    private static void writeAtomically(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Null while {@code node}'s broker runs (or was never started), else why it is not running. */
    private String exited(String node) {
        KafkaBroker b;
        synchronized (this) {
            b = brokers.get(node);
        }
        Integer code = b == null ? null : b.exitCode();
        if (code == null) {
            return null;
        }
        String last = lastError(b.log());
        return "kafka " + node + " exited with code " + code + "; see " + b.log() + (last == null ? "" : " (last error: " + last + ")");
    }

    /** The last ERROR line of a broker log, shortened, or null. */
    private static String lastError(Path log) {
        try (Stream<String> lines = Files.lines(log)) {
            return lines.filter(l -> l.contains(" ERROR ") || l.startsWith("Exception") || l.contains("Error:"))
                    .reduce((a, b) -> b).map(l -> l.length() > 300 ? l.substring(0, 300) + "..." : l).orElse(null);
        } catch (IOException | java.io.UncheckedIOException e) {
            return null;
        }
    }

    private Map<String, Integer> ids(List<String> nodes) {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (String n : nodes) {
            m.put(n, brokerId(n));
        }
        return m;
    }

    private Path nodeDir(String node) {
        return runDir.resolve("kafka").resolve(node);
    }

    private Path log(String node) {
        return runDir.resolve("logs").resolve("kafka-" + node + ".log");
    }

    // ---- the Environment role ----

    @Override
    public List<String> nodes() {
        return names;
    }

    /** {@code kafka://127.0.0.1:port}: the client proxy of {@code node}. */
    @Override
    public URI clientEndpoint(String node) {
        InetSocketAddress a = clientProxy(node).address();
        return URI.create("kafka://" + a.getHostString() + ":" + a.getPort());
    }

    /** Every client proxy, as Kafka's {@code bootstrap.servers}: {@code 127.0.0.1:p1,127.0.0.1:p2,...}. */
    public String bootstrapServers() {
        return names.stream().map(n -> {
            InetSocketAddress a = clientProxy(n).address();
            return a.getHostString() + ":" + a.getPort();
        }).collect(Collectors.joining(","));
    }

    /** Kafka has no HTTP endpoint: nothing is scraped. */
    @Override
    public URI adminEndpoint(String node) {
        requireNode(node);
        return null;
    }

    @Override
    public List<Path> logs() {
        if (runDir == null) {
            return List.of();
        }
        return names.stream().map(this::log).toList();
    }

    @Override
    public void awaitHealthy(Duration timeout) throws Exception {
        requireStarted();
        health.await(ids(names), timeout, this::exited, this::log);
    }

    @Override
    public ObjectNode system() {
        return system == null ? null : system.deepCopy();
    }

    @Override
    public Duration retryHorizon() {
        return retryHorizon;
    }

    // ---- abilities ----

    /** SIGKILL the broker's JVM; returns when it is gone. */
    @Override
    public void kill(String node) throws Exception {
        broker(node).kill();
    }

    /** Starts the broker again with the same command, ports and data; returns once it is healthy. */
    @Override
    public void restart(String node) throws Exception {
        broker(node).start();
        health.await(ids(List.of(node)), config.startTimeout(), this::exited, this::log);
    }

    /** Starts the broker again without waiting until it is healthy ({@link #awaitHealthy} says when). */
    @Override
    public void start(String node) throws Exception {
        broker(node).start();
    }

    @Override
    public void pause(String node) throws Exception {
        broker(node).pause();
    }

    @Override
    public void resume(String node) throws Exception {
        broker(node).resume();
    }

    /** Power-loss is set up only for a run that may inject it (a FUSE mount per broker costs something). */
    @Override
    public synchronized void prepareFaults(Set<String> kinds) {
        wantPowerLoss = kinds.contains(Fault.POWER_LOSS);
    }

    /** The abilities' kinds; {@code power-loss} only when prepared (and, after setup, mounted). */
    @Override
    public synchronized Set<String> faultKinds() {
        Set<String> kinds = new LinkedHashSet<>(Environment.super.faultKinds());
        if (!(runDir != null && started ? !power.isEmpty() : wantPowerLoss && PowerLossFs.problem() == null)) {
            kinds.remove(Fault.POWER_LOSS);
        }
        return kinds;
    }

    /** Makes the workload's topology (its topics, their partitions and the consumer groups' offsets topic) durable on the power-loss file systems; nothing without them. */
    @Override
    public void workloadReady() throws Exception {
        power.syncAll();
    }

    /** Every broker (Kafka has no database). */
    @Override
    public List<String> powerLossMembers() {
        return names;
    }

    /** SIGKILL of the named brokers at once, then every byte they had not fsynced dropped; down until {@link #powerOn}. */
    @Override
    public ObjectNode powerOff(List<String> members) throws Exception {
        members.forEach(this::broker);
        List<PowerLossFs> fss = power.require(members);
        for (String m : members) {
            broker(m).kill();
        }
        return PowerLossMounts.drop(fss);
    }

    /** Starts the named brokers that are down; returns once they are all healthy. Idempotent. */
    @Override
    public void powerOn(List<String> members) throws Exception {
        for (String m : members) {
            broker(m).start();
        }
        health.await(ids(members), config.startTimeout(), this::exited, this::log);
    }

    /**
     * The brokers and {@code clients} (every client of the run): a grudge that names {@code clients}
     * cuts the clients off from the brokers it names against them (their client proxies refuse
     * them); one that does not leaves every client link open. Kafka has no database to isolate.
     */
    @Override
    public List<String> partitionMembers() {
        List<String> m = new ArrayList<>(names);
        m.add(KafkaLinks.CLIENTS);
        return m;
    }

    @Override
    public synchronized void partition(Grudge grudge) throws Exception {
        requireStarted();
        links.partition(grudge);
    }

    @Override
    public synchronized void heal() throws Exception {
        if (!isStarted()) {
            return;
        }
        links.heal();
    }

    /** Holds every byte between brokers (replication and quorum) for {@code delay}, each way. */
    @Override
    public synchronized void delayLinks(Duration delay) throws Exception {
        requireStarted();
        links.delay(delay);
    }

    @Override
    public synchronized void clearDelay() throws Exception {
        if (!isStarted()) {
            return;
        }
        links.delay(Duration.ZERO);
    }

    /** Closes every client connection at {@code node}'s client proxy; clients may reconnect at once. */
    @Override
    public void disconnectClients(String node) throws Exception {
        requireStarted();
        requireNode(node);
        links.disconnectClients(node);
    }

    // ---- for the clients, tests and diagnostics ----

    /** The broker id of {@code node} (n1 is 1). */
    public int brokerId(String node) {
        requireNode(node);
        return names.indexOf(node) + 1;
    }

    /** The node whose broker id is {@code id}. */
    public String nodeOf(int id) {
        if (id < 1 || id > names.size()) {
            throw new IllegalArgumentException("no broker with id " + id + " (ids 1.." + names.size() + ")");
        }
        return names.get(id - 1);
    }

    public KafkaClusterConfig config() {
        return config;
    }

    /** The cluster id the brokers were formatted with (null before setup). */
    public String clusterId() {
        return clusterId;
    }

    /** The live brokers' PIDs by node. */
    public synchronized Map<String, Long> pids() {
        Map<String, Long> out = new LinkedHashMap<>();
        brokers.forEach((n, b) -> {
            if (b.alive()) {
                out.put(n, b.pid());
            }
        });
        return out;
    }

    /** The proxy carrying connections from broker {@code from} to broker {@code to}'s BROKER listener. */
    public TcpProxy linkProxy(String from, String to) {
        requireStarted();
        return links.link(from, to);
    }

    /** The client proxy of {@code node}. */
    public synchronized TcpProxy clientProxy(String node) {
        requireNode(node);
        if (links == null) {
            throw new IllegalStateException("kafka environment not set up");
        }
        return links.client(node);
    }

    private synchronized List<KafkaBroker> brokerList() {
        return List.copyOf(brokers.values());
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        KafkaHealth h;
        synchronized (this) {
            h = health;
        }
        if (h != null) {
            h.close();
        }
        brokerList().parallelStream().forEach(KafkaBroker::stop);
        power.close();
        KafkaLinks l;
        synchronized (this) {
            l = links;
        }
        if (l != null) {
            l.close();
        }
        cleanup.unregister();
    }

    private synchronized boolean isStarted() {
        return started && !closed;
    }

    private void requireStarted() {
        if (!isStarted()) {
            throw new IllegalStateException("kafka environment not set up (or closed)");
        }
    }

    private synchronized KafkaBroker broker(String node) {
        requireNode(node);
        requireStarted();
        return brokers.get(node);
    }

    private void requireNode(String node) {
        if (!names.contains(node)) {
            throw new IllegalArgumentException("no node named '" + node + "' (nodes: " + String.join(", ", names) + ")");
        }
    }

}
