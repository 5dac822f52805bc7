package io.deliverycheck.systems.rabbitmq;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How {@link RabbitCluster} runs its private nodes.
 *
 * @param nodes cluster size, 1..9, nodes n1..nN
 * @param serverScript Debian's {@code /usr/lib/rabbitmq/bin/rabbitmq-server}; {@code rabbitmqctl}
 *     is its sibling
 * @param partitionHandling RabbitMQ's {@code cluster_partition_handling}: {@code ignore},
 *     {@code pause_minority} or {@code autoheal}
 * @param metrics enable the {@code rabbitmq_prometheus} plugin on a private port per node (the
 *     admin endpoint, scraped into {@code metrics.jsonl}); off: no admin endpoint
 * @param startTimeout how long setup, restart and awaitHealthy wait for a node
 * @param heartbeatSeconds the AMQP heartbeat clients request (docs: 5-20 s suits most environments)
 * @param system the {@code system} op without its {@code version} (filled in from the running
 *     broker), or null for none
 */
public record RabbitConfig(int nodes, Path serverScript, String partitionHandling, boolean metrics,
        Duration startTimeout, int heartbeatSeconds, ObjectNode system) {

    /** RabbitMQ's partition handling modes. */
    public static final List<String> PARTITION_HANDLING = List.of("ignore", "pause_minority", "autoheal");

    /** Debian's server script. */
    public static final Path DEBIAN_SERVER = Path.of("/usr/lib/rabbitmq/bin/rabbitmq-server");

    public RabbitConfig {
        if (nodes < 1 || nodes > 9) {
            throw new IllegalArgumentException("--nodes " + nodes + ": rabbitmq runs 1 to 9 nodes");
        }
        Objects.requireNonNull(serverScript, "serverScript");
        if (!PARTITION_HANDLING.contains(partitionHandling)) {
            throw new IllegalArgumentException("partition-handling " + partitionHandling + ": choose one of "
                    + String.join(", ", PARTITION_HANDLING));
        }
        system = system == null ? null : system.deepCopy();
    }

    /** {@code nodes} nodes of Debian's server, pause_minority, no metrics, 120 s start timeout, 10 s heartbeat. */
    public static RabbitConfig defaults(int nodes) {
        return new RabbitConfig(nodes, DEBIAN_SERVER, "pause_minority", false, Duration.ofSeconds(120), 10, null);
    }

    public RabbitConfig withSystem(ObjectNode v) {
        return new RabbitConfig(nodes, serverScript, partitionHandling, metrics, startTimeout, heartbeatSeconds, v);
    }

    public RabbitConfig withPartitionHandling(String v) {
        return new RabbitConfig(nodes, serverScript, v, metrics, startTimeout, heartbeatSeconds, system);
    }

    public RabbitConfig withServerScript(Path v) {
        return new RabbitConfig(nodes, v, partitionHandling, metrics, startTimeout, heartbeatSeconds, system);
    }

    public RabbitConfig withHeartbeat(int seconds) {
        return new RabbitConfig(nodes, serverScript, partitionHandling, metrics, startTimeout, seconds, system);
    }

    public RabbitConfig withMetrics(boolean v) {
        return new RabbitConfig(nodes, serverScript, partitionHandling, v, startTimeout, heartbeatSeconds, system);
    }

    /** The node names n1..nN. */
    public List<String> nodeNames() {
        return java.util.stream.IntStream.rangeClosed(1, nodes).mapToObj(i -> "n" + i).toList();
    }
}
