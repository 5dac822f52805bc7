package io.deliverycheck.systems.kafka;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How {@link KafkaEnvironment} runs Kafka: how many brokers, the broker settings every
 * {@code server.properties} gets, and the brokers' JVM.
 *
 * @param nodes        brokers, 1..9, named n1..nN (broker ids 1..N); the first three (or all, when
 *                     fewer) are combined broker+controller nodes and form the KRaft quorum
 * @param broker       broker settings ({@code server.properties} keys), e.g.
 *                     {@code unclean.leader.election.enable}, {@code min.insync.replicas},
 *                     {@code default.replication.factor}, {@code log.flush.interval.messages}; never
 *                     one of {@link #HARNESS_KEYS}
 * @param startTimeout how long setup, restart and awaitHealthy wait for the brokers
 * @param javaCommand  the {@code java} executable of the brokers
 * @param classpath    the brokers' class path (it must hold the Kafka jars and this module); by
 *                     default the harness JVM's own
 * @param jvmOptions   JVM options of every broker (heap, GC)
 */
public record KafkaClusterConfig(int nodes, Map<String, String> broker, Duration startTimeout,
                                 String javaCommand, String classpath, List<String> jvmOptions) {

    /** The most voters of the quorum: a 3-voter quorum survives the loss of any one. */
    public static final int MAX_VOTERS = 3;

    /**
     * Settings the environment writes itself: node identity, roles, quorum, listeners (every one is
     * behind a harness proxy) and data directories.
     */
    public static final Set<String> HARNESS_KEYS = Set.of("process.roles", "node.id", "broker.id",
            "controller.quorum.voters", "controller.quorum.bootstrap.servers", "controller.listener.names",
            "listeners", "advertised.listeners", "listener.security.protocol.map", "inter.broker.listener.name",
            "security.inter.broker.protocol", "log.dir", "log.dirs", "metadata.log.dir");

    public KafkaClusterConfig {
        if (nodes < 1 || nodes > 9) {
            throw new IllegalArgumentException("kafka nodes must be 1..9, not " + nodes);
        }
        for (Map.Entry<String, String> e : broker.entrySet()) {
            String k = e.getKey();
            if (k == null || k.isBlank() || e.getValue() == null) {
                throw new IllegalArgumentException("kafka setting " + k + ": needs a name and a value");
            }
            if (HARNESS_KEYS.contains(k)) {
                throw new IllegalArgumentException("kafka setting " + k + ": set by the harness (listeners, quorum and data"
                        + " directories are its own); remove it");
            }
        }
        broker = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(broker)); // in order: server.properties reads as written
        jvmOptions = List.copyOf(jvmOptions);
        if (startTimeout.isNegative() || startTimeout.isZero()) {
            throw new IllegalArgumentException("kafka start timeout must be positive, not " + startTimeout);
        }
    }

    /**
     * {@code nodes} brokers with the settings a delivery test wants by default: replication
     * {@code min(3, nodes)} for every topic (also the internal ones), {@code min.insync.replicas}
     * {@code min(2, nodes)}, no unclean leader election, Kafka's own flush policy (the OS flushes;
     * durability comes from replication), few internal partitions and threads (2 cores), no initial
     * rebalance delay. Each broker: 320 MB heap, serial GC, C1 only ({@code -XX:TieredStopAtLevel=1}:
     * on the shared 2 cores a broker then starts on about 60% of the CPU, and short runs publish
     * faster, since C2's compilations compete with the brokers for the same cores; docs/systems.md).
     * 120 s start timeout.
     */
    public static KafkaClusterConfig defaults(int nodes) {
        String rf = Integer.toString(Math.min(3, Math.max(1, nodes)));
        String isr = Integer.toString(Math.min(2, Math.max(1, nodes)));
        Map<String, String> b = new LinkedHashMap<>();
        b.put("default.replication.factor", rf);
        b.put("min.insync.replicas", isr);
        b.put("unclean.leader.election.enable", "false");
        b.put("num.partitions", "1");
        b.put("offsets.topic.replication.factor", rf);
        b.put("offsets.topic.num.partitions", "6");
        b.put("transaction.state.log.replication.factor", rf);
        b.put("transaction.state.log.min.isr", isr);
        b.put("transaction.state.log.num.partitions", "6");
        b.put("share.coordinator.state.topic.replication.factor", rf);
        b.put("share.coordinator.state.topic.min.isr", isr);
        b.put("share.coordinator.state.topic.num.partitions", "6");
        b.put("group.initial.rebalance.delay.ms", "0");
        b.put("num.network.threads", "2");
        b.put("num.io.threads", "4");
        b.put("background.threads", "4");
        b.put("num.recovery.threads.per.data.dir", "1");
        b.put("log.cleaner.threads", "1");
        return new KafkaClusterConfig(nodes, b, Duration.ofSeconds(120),
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                System.getProperty("java.class.path"),
                List.of("-Xms64m", "-Xmx320m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:+ExitOnOutOfMemoryError"));
    }

    /** This config with one broker setting added or replaced. */
    public KafkaClusterConfig with(String key, String value) {
        Map<String, String> b = new LinkedHashMap<>(broker);
        b.put(key, value);
        return new KafkaClusterConfig(nodes, b, startTimeout, javaCommand, classpath, jvmOptions);
    }

    /** This config with every setting of {@code settings} added or replaced. */
    public KafkaClusterConfig with(Map<String, String> settings) {
        Map<String, String> b = new LinkedHashMap<>(broker);
        b.putAll(settings);
        return new KafkaClusterConfig(nodes, b, startTimeout, javaCommand, classpath, jvmOptions);
    }

    public KafkaClusterConfig withStartTimeout(Duration d) {
        return new KafkaClusterConfig(nodes, broker, d, javaCommand, classpath, jvmOptions);
    }

    public KafkaClusterConfig withJvmOptions(List<String> options) {
        return new KafkaClusterConfig(nodes, broker, startTimeout, javaCommand, classpath, options);
    }

    /** The node names n1..nN. */
    public List<String> nodeNames() {
        List<String> names = new ArrayList<>();
        for (int i = 1; i <= nodes; i++) {
            names.add("n" + i);
        }
        return names;
    }

    /** How many of the nodes are controllers (voters of the KRaft quorum): n1..nV. */
    public int voters() {
        return Math.min(MAX_VOTERS, nodes);
    }
}
