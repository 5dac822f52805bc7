package io.deliverycheck.systems.nats;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.history.Recorder;
import io.deliverycheck.checker.runner.ClientDisconnectable;
import io.deliverycheck.checker.runner.Environment;
import io.deliverycheck.checker.runner.Fault;
import io.deliverycheck.checker.runner.Killable;
import io.deliverycheck.checker.runner.Pausable;
import io.deliverycheck.checker.runner.PowerLossable;
import io.deliverycheck.environments.disk.PowerLossFs;
import io.deliverycheck.environments.process.Cleanup;
import io.deliverycheck.environments.process.Ports;
import io.deliverycheck.environments.proxy.TcpProxy;
import io.vertx.core.Vertx;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The lifecycle shared by the environments that run one private broker process, node {@code n1}
 * (Mosquitto, Redis, ElasticMQ): a port picked free on 127.0.0.1, a harness-owned {@link TcpProxy}
 * in front of it ({@link #clientEndpoint}), the process itself ({@link BrokerProcess}), and the
 * faults that fit one node: kill and restart, pause and resume, closing the client connections,
 * and cutting the client link ({@link #cutClients}: open connections closed, new ones refused until
 * {@link #restoreClients}). One node has no peer to be partitioned from, so it is not
 * {@link io.deliverycheck.checker.runner.Partitionable}; the client link cut is the partition it has.
 *
 * <p>Contract for subclasses: {@link #prepare} writes the broker's configuration and returns its
 * command line; {@link #problem} says why the broker does not serve yet (null when it does), asking
 * it directly on {@link #brokerPort()}. {@link #setup} runs once and closes everything if it fails;
 * {@link #close} is idempotent, also runs from a shutdown hook, and stops the process by its PID.
 *
 * <p>{@code power-loss}, for a broker whose subclass offers it ({@link #offersPowerLoss}) in a run
 * that may inject it ({@link #prepareFaults}): the broker's folder is {@code power-loss/n1/} on a
 * {@link PowerLossFs} over {@code power-loss.backing/n1/}; the fault SIGKILLs the broker and drops
 * every byte it had not fsynced, and its end starts it again.
 *
 * <p>Run folder: {@code <system>/} (configuration and data; {@code power-loss/n1/} instead with
 * power-loss), {@code logs/n1.log} (the broker's own log, where it writes one), {@code logs/n1.out}
 * (its stdout and stderr).
 */
public abstract class SingleBrokerEnvironment implements Environment, Killable, Pausable, ClientDisconnectable,
        PowerLossable {

    /** The only node. */
    public static final String NODE = "n1";
    protected static final String HOST = "127.0.0.1";
    private static final Duration STOP_GRACE = Duration.ofSeconds(10);

    private final String system;
    private final String scheme;
    private final Duration startTimeout;
    private final Cleanup cleanup;
    private Path logDir;
    private Path dataDir;
    private int brokerPort;
    private Vertx vertx;
    private TcpProxy clientProxy;
    private BrokerProcess broker;
    private String version;
    private boolean closed;
    private boolean wantPowerLoss;
    private PowerLossFs powerFs;

    /**
     * @param system the system's short name: the folder of its data, the name of its process
     * @param scheme the scheme of {@link #clientEndpoint} ({@code redis}, {@code mqtt}, {@code http})
     */
    protected SingleBrokerEnvironment(String system, String scheme, Duration startTimeout) {
        this.system = system;
        this.scheme = scheme;
        this.startTimeout = startTimeout;
        this.cleanup = new Cleanup(system + "-environment", this::close);
    }

    /** The broker's version, asked of its binary before it starts. */
    protected abstract String queryVersion() throws Exception;

    /**
     * Writes the broker's configuration under {@code dataDir} and returns its command line.
     *
     * @param port the port the broker listens on (127.0.0.1)
     * @param proxy where clients reach it (for brokers that put their address in replies)
     * @param log the broker's own log file
     */
    protected abstract List<String> prepare(Path dataDir, int port, InetSocketAddress proxy, Path log) throws Exception;

    /** Why the broker does not serve on {@link #brokerPort()} yet, or null when it does. */
    protected abstract String problem();

    /**
     * Whether this broker keeps data worth a power loss (its files on disk, some of them fsynced).
     * False by default (a broker that keeps everything in memory loses it all to a kill already).
     */
    protected boolean offersPowerLoss() {
        return false;
    }

    @Override
    public final synchronized void setup(Path runDir, Recorder rec) throws Exception {
        if (logDir != null) {
            throw new IllegalStateException("setup already called");
        }
        Path dir = runDir.toAbsolutePath();
        logDir = dir.resolve("logs");
        dataDir = dir.resolve(system);
        Files.createDirectories(logDir);
        cleanup.register();
        try {
            if (wantPowerLoss) {
                String problem = PowerLossFs.problem();
                if (problem != null) {
                    throw new IllegalStateException("power-loss: " + problem);
                }
                powerFs = PowerLossFs.mount(dir.resolve("power-loss.backing").resolve(NODE), dir.resolve("power-loss").resolve(NODE),
                        logDir.resolve("powerlossfs-" + NODE + ".log"));
                dataDir = powerFs.mountpoint();
            }
            Files.createDirectories(dataDir);
            version = queryVersion();
            vertx = Vertx.vertx();
            brokerPort = Ports.free(HOST);
            clientProxy = TcpProxy.start(vertx, "client-" + NODE, HOST, 0, new InetSocketAddress(HOST, brokerPort), h -> "client");
            List<String> command = prepare(dataDir, brokerPort, clientProxy.address(), brokerLog());
            broker = new BrokerProcess(system + " " + NODE, command, logDir.resolve(NODE + ".out"));
            broker.start();
            awaitHealthy(startTimeout);
            if (powerFs != null) {
                powerFs.syncAll(); // its configuration and empty store are on disk; what the run writes is at risk
            }
        } catch (Exception e) {
            close();
            throw e;
        }
    }

    /** Power-loss is set up only when the broker offers it and the run may inject it (a FUSE mount costs something). */
    @Override
    public synchronized void prepareFaults(Set<String> kinds) {
        wantPowerLoss = offersPowerLoss() && kinds.contains(Fault.POWER_LOSS);
    }

    /** The abilities' kinds; {@code power-loss} only when offered and prepared (and, after setup, mounted). */
    @Override
    public synchronized Set<String> faultKinds() {
        Set<String> kinds = new LinkedHashSet<>(Environment.super.faultKinds());
        if (!(logDir != null ? powerFs != null : wantPowerLoss && PowerLossFs.problem() == null)) {
            kinds.remove(Fault.POWER_LOSS);
        }
        return kinds;
    }

    /** Makes the workload's topology (queues, streams, sessions) durable on the power-loss file system; nothing without it. */
    @Override
    public void workloadReady() throws Exception {
        PowerLossFs fs;
        synchronized (this) {
            fs = powerFs;
        }
        if (fs != null) {
            fs.syncAll();
        }
    }

    @Override
    public List<String> powerLossMembers() {
        return List.of(NODE);
    }

    /** SIGKILLs the broker, then drops every byte it had not fsynced; it stays down until {@link #powerOn}. */
    @Override
    public ObjectNode powerOff(List<String> members) throws Exception {
        members.forEach(SingleBrokerEnvironment::requireNode);
        PowerLossFs fs;
        synchronized (this) {
            fs = powerFs;
        }
        if (fs == null) {
            throw new IllegalStateException("power-loss: " + system + " " + NODE + " is not on a power-loss file system"
                    + " (the run was not prepared for power-loss faults, or " + system + " does not offer them)");
        }
        if (members.isEmpty()) {
            return JsonNodeFactory.instance.objectNode().put("reverted_files", 0).put("restored_bytes", 0).put("undone_ops", 0);
        }
        broker().kill();
        PowerLossFs.Dropped d = fs.drop();
        return JsonNodeFactory.instance.objectNode().put("reverted_files", d.revertedFiles())
                .put("restored_bytes", d.restoredBytes()).put("undone_ops", d.undoneOps());
    }

    /** Starts the broker again when it is down; returns once it serves. Idempotent. */
    @Override
    public void powerOn(List<String> members) throws Exception {
        members.forEach(SingleBrokerEnvironment::requireNode);
        if (!members.isEmpty() && !broker().alive()) {
            broker().start();
            awaitHealthy(startTimeout);
        }
    }

    @Override
    public final List<String> nodes() {
        return List.of(NODE);
    }

    /** {@code scheme://host:port} of the proxy in front of the broker. */
    @Override
    public final URI clientEndpoint(String node) {
        requireNode(node);
        if (clientProxy == null) {
            throw new IllegalStateException(system + " environment not set up");
        }
        InetSocketAddress a = clientProxy.address();
        return URI.create(scheme + "://" + a.getHostString() + ":" + a.getPort());
    }

    /** None by default: these brokers have no HTTP endpoint to scrape. */
    @Override
    public URI adminEndpoint(String node) {
        requireNode(node);
        return null;
    }

    /** {@code logs/n1.log} and {@code logs/n1.out}; a broker that logs only to stdout overrides this. */
    @Override
    public List<Path> logs() {
        return logDir == null ? List.of() : List.of(brokerLog(), logDir.resolve(NODE + ".out"));
    }

    /** The broker's own log file ({@code logs/n1.log}). */
    protected final Path brokerLog() {
        return logDir.resolve(NODE + ".log");
    }

    /** The broker's version (after setup). */
    public final String version() {
        return version;
    }

    /** The port the broker itself listens on, not proxied (after setup). */
    public final int brokerPort() {
        return brokerPort;
    }

    /** The folder of the broker's configuration and data (after setup). */
    public final Path dataDir() {
        return dataDir;
    }

    @Override
    public final void awaitHealthy(Duration timeout) throws Exception {
        broker().awaitUntil(timeout, "serving", this::problem, logs());
    }

    @Override
    public final void kill(String node) throws Exception {
        requireNode(node);
        broker().kill();
    }

    /** Starts the killed broker again with the same configuration, port and data; returns once it serves. */
    @Override
    public final void restart(String node) throws Exception {
        requireNode(node);
        broker().start();
        awaitHealthy(startTimeout);
    }

    /** Starts the killed broker again without waiting until it serves ({@link #awaitHealthy} says when). */
    @Override
    public final void start(String node) throws Exception {
        requireNode(node);
        broker().start();
    }

    @Override
    public final void pause(String node) throws Exception {
        requireNode(node);
        broker().pause();
    }

    @Override
    public final void resume(String node) throws Exception {
        requireNode(node);
        broker().resume();
    }

    /** Closes every client connection through the proxy; clients may reconnect at once. */
    @Override
    public final void disconnectClients(String node) throws Exception {
        requireNode(node);
        proxy().closeAll();
    }

    /** Cuts the client link: closes every client connection and refuses new ones until {@link #restoreClients}. */
    public final void cutClients(String node) throws Exception {
        requireNode(node);
        proxy().refuse(Set.of("client"));
    }

    /** Ends a {@link #cutClients}. Idempotent. */
    public final void restoreClients(String node) throws Exception {
        requireNode(node);
        proxy().refuse(Set.of());
    }

    /** The proxy in front of the broker, for tests. */
    public final TcpProxy clientProxy() {
        return proxy();
    }

    /** The PID of the live broker process, by node (empty when it is not running). */
    public final Map<String, Long> pids() {
        Map<String, Long> out = new LinkedHashMap<>();
        if (broker != null && broker.alive()) {
            out.put(NODE, broker.pid());
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
        if (broker != null) {
            broker.stop(STOP_GRACE);
        }
        if (powerFs != null) {
            powerFs.close();
        }
        if (clientProxy != null) {
            clientProxy.close();
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

    private synchronized BrokerProcess broker() {
        if (broker == null || closed) {
            throw new IllegalStateException(system + " environment not set up (or closed)");
        }
        return broker;
    }

    private synchronized TcpProxy proxy() {
        broker();
        return clientProxy;
    }

    private static void requireNode(String node) {
        if (!NODE.equals(node)) {
            throw new IllegalArgumentException("no node named '" + node + "' (nodes: " + NODE + ")");
        }
    }
}
