package io.deliverycheck.checker.runner;

import io.deliverycheck.checker.history.Recorder;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Where the system under test runs and how it breaks: the database, the nodes and the links
 * between them (Jepsen's {@code db} + {@code net} roles). Implementations: local child processes
 * behind harness-owned TCP proxies, Linux network namespaces, and (later) remote hosts over SSH.
 *
 * <p>Contract:
 * <ul>
 *   <li>{@link #setup} is called once, before anything else but {@link #close}; it returns only when
 *       the database is up and every node answers {@code /health} with 200 and a view of all nodes,
 *       or throws an exception naming the node and its log file (after stopping what it started).</li>
 *   <li>Fault methods may be called from any thread, one at a time (the nemesis serialises them).
 *       Each returns when the fault is in effect; each is idempotent (killing a killed node,
 *       healing a healed network are no-ops).</li>
 *   <li>{@link #partition} <em>replaces</em> the current grudge (it is not added to it);
 *       {@link #heal} removes it. The name {@link Grudge#DB} stands for the database.</li>
 *   <li>{@link #close} is idempotent and leaves nothing running that the environment started
 *       (processes, databases, proxies, namespaces, firewall rules), also after a failed step.</li>
 * </ul>
 */
public interface Environment extends AutoCloseable {

    /** Starts the database and the nodes under {@code runDir} (logs in {@code runDir/logs}) and waits until healthy. */
    void setup(Path runDir, Recorder rec) throws Exception;

    /** The node names, in order: "n1", "n2", "n3". Valid after construction. */
    List<String> nodes();

    /** The {@code http://host:port} clients (senders, devices) use to reach {@code node}; proxied, so it can be cut. */
    URI clientEndpoint(String node);

    /** The direct {@code http://host:port} of {@code node} for {@code /metrics} and {@code /health}; never faulted. */
    URI adminEndpoint(String node);

    /** SIGKILL the node's process (and its descendants). */
    void kill(String node) throws Exception;

    /** Start a killed node again with the same flags and ports; returns once its process is serving HTTP. */
    void restart(String node) throws Exception;

    /** SIGSTOP the node's process. */
    void pause(String node) throws Exception;

    /** SIGCONT the node's process. */
    void resume(String node) throws Exception;

    /** Cut the links the grudge names (replacing any current grudge); existing connections across the cut are broken. */
    void partition(Grudge grudge) throws Exception;

    /** Restore every link cut by {@link #partition}. */
    void heal() throws Exception;

    /** Crash-stop the harness's own PostgreSQL (immediate shutdown, no checkpoint) and start it again on the same data. */
    void restartDatabase() throws Exception;

    /** Delay every node-to-node and node-to-database link by {@code delay} in each direction. */
    void delayLinks(Duration delay) throws Exception;

    /** Remove the delay of {@link #delayLinks}. */
    void clearDelay() throws Exception;

    /** Close the client (device/sender) connections at {@code node}; clients may reconnect at once. */
    void disconnectClients(String node) throws Exception;

    /** The log files of the nodes and the database (they may not exist yet before setup). */
    List<Path> logs();

    /**
     * Addition to Contract 4: waits (bounded) until every node answers {@code /health} with 200 and a
     * view of all nodes, as at the end of {@link #setup}; throws naming the unhealthy node and its log.
     * The runner calls it after {@link Nemesis#healAll} and before draining. The default does nothing.
     */
    default void awaitHealthy(Duration timeout) throws Exception {
    }

    /** Idempotent; nothing the environment started outlives it. Never throws. */
    @Override
    void close();
}
