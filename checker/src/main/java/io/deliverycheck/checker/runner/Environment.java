package io.deliverycheck.checker.runner;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.history.Recorder;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Where the system under test runs (Jepsen's {@code db} role): its N private instances, the links
 * between them, and how clients reach them. This interface is the part every system has; the
 * faults a system can suffer are separate, optional abilities ({@link Killable}, {@link Pausable},
 * {@link Partitionable}, {@link DatabaseRestartable}, {@link LinkDelayable},
 * {@link ClientDisconnectable}, {@link PowerLossable}, {@link ClockSkewable}, {@link FileCorruptible}), and {@link #faultKinds()} says which of them this environment
 * offers. Implementations: the reference cluster as local child processes behind harness-owned TCP
 * proxies or in Linux network namespaces, the in-process fake cluster, and the brokers' private
 * instances.
 *
 * <p>Contract:
 * <ul>
 *   <li>{@link #setup} is called once, before anything else but {@link #close}; it returns only when
 *       every instance is healthy, or throws an exception naming the node and its log file (after
 *       stopping what it started).</li>
 *   <li>Fault methods of the abilities may be called from any thread, one at a time (the nemesis
 *       serialises them). Each returns when the fault is in effect; each is idempotent (killing a
 *       killed node, healing a healed network are no-ops).</li>
 *   <li>{@link #close} is idempotent and leaves nothing running that the environment started
 *       (processes, databases, proxies, namespaces, firewall rules), also after a failed step.</li>
 * </ul>
 */
public interface Environment extends AutoCloseable {

    /**
     * Called at most once, before {@link #setup}, with the fault kinds ({@link Fault#KINDS}) the run
     * may inject: some faults need the instances set up for them (a data directory on a power-loss
     * file system, nodes started under a fake clock), which costs something, so an environment does
     * that only when told. {@link #faultKinds()} may then offer more. Nothing by default.
     */
    default void prepareFaults(Set<String> kinds) {
    }

    /** Starts the instances under {@code runDir} (logs in {@code runDir/logs}) and waits until healthy. */
    void setup(Path runDir, Recorder rec) throws Exception;

    /** The node names, in order: "n1", "n2", "n3". Valid after construction. */
    List<String> nodes();

    /**
     * The endpoint clients (senders, devices) use to reach {@code node}, proxied where the
     * environment can cut it: {@code http://host:port} for the reference node, {@code amqp://..},
     * {@code kafka://host:port}, ... for a broker.
     */
    URI clientEndpoint(String node);

    /**
     * The direct {@code http://host:port} of {@code node} for {@code /metrics} and {@code /health};
     * never faulted. Null when the system has no such endpoint (then nothing is scraped).
     */
    URI adminEndpoint(String node);

    /** The log files of the instances (they may not exist yet before setup). */
    List<Path> logs();

    /**
     * Called once the workload has set up what it needs on the system (topics, streams, queues) and
     * before any fault. An environment whose faults take back what no disk held ({@link PowerLossable})
     * makes that set-up durable here, as a deployment that has run a while holds its topology on
     * disk: a power loss then tests the run's messages, not whether a stream created a second ago
     * was fsynced. The default does nothing.
     */
    default void workloadReady() throws Exception {
    }

    /**
     * Waits (bounded) until every node is healthy again, as at the end of {@link #setup}; throws
     * naming the unhealthy node and its log. The runner calls it after {@link Nemesis#healAll} and
     * before draining. The default does nothing.
     */
    default void awaitHealthy(Duration timeout) throws Exception {
    }

    /**
     * The value of the history's {@code system} op (HISTORY.md): what the system under test claims
     * for the settings of this run ({@code name}, {@code version}, {@code settings},
     * {@code guarantee}, {@code receipts}, {@code order}). Called once, after {@link #setup}; null
     * when the environment makes no claim (the guarantee then comes from the command line).
     */
    default ObjectNode system() {
        return null;
    }

    /**
     * The longest a correct instance of this system may take to hand a message out again after a
     * delivery that was not acknowledged (its ack timeout, backoff and lease, or a broker's
     * redelivery delay). The drain waits at least this long after the last receive, so late
     * redeliveries are seen. Zero by default.
     */
    default Duration retryHorizon() {
        return Duration.ZERO;
    }

    /**
     * The fault kinds ({@link Fault#KINDS}) this environment can inject: by default one per ability
     * interface it implements. An environment whose abilities depend on its configuration (a system
     * file listing the faults that apply) narrows this.
     */
    default Set<String> faultKinds() {
        Set<String> kinds = new LinkedHashSet<>();
        if (this instanceof Partitionable) {
            kinds.add(Fault.PARTITION);
        }
        if (this instanceof Killable) {
            kinds.add(Fault.KILL);
        }
        if (this instanceof Pausable) {
            kinds.add(Fault.PAUSE);
        }
        if (this instanceof DatabaseRestartable) {
            kinds.add(Fault.DB_RESTART);
        }
        if (this instanceof LinkDelayable) {
            kinds.add(Fault.LINK_DELAY);
        }
        if (this instanceof ClientDisconnectable) {
            kinds.add(Fault.DEVICE_DISCONNECT);
        }
        if (this instanceof PowerLossable) {
            kinds.add(Fault.POWER_LOSS);
        }
        if (this instanceof ClockSkewable) {
            kinds.add(Fault.CLOCK_SKEW);
        }
        if (this instanceof FileCorruptible) {
            kinds.add(Fault.CORRUPT_FILE);
        }
        return kinds;
    }

    /** Idempotent; nothing the environment started outlives it. Never throws. */
    @Override
    void close();
}
