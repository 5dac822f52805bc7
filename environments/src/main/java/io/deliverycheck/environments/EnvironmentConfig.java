package io.deliverycheck.environments;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * How an environment starts the nodes: how many, with which extra flags (e.g. {@code --guarantee},
 * {@code --bug}), which JVM and main class. Shared by every environment.
 *
 * @param nodes        number of nodes, 1..9, named n1..nN
 * @param nodeFlags    extra flags appended to every node's command line (after the environment's own)
 * @param token        the API token nodes require (null: none); passed as {@code --token}
 * @param startTimeout how long setup, restart and awaitHealthy wait for a node
 * @param javaCommand  the {@code java} executable
 * @param classpath    the nodes' class path; by default the harness JVM's own
 * @param mainClass    the node's main class ({@code io.deliverycheck.node.NodeMain})
 * @param jvmOptions   JVM options of every node (heap, GC)
 * @param keepData     keep the database's data directory after close (it is deleted by default)
 */
public record EnvironmentConfig(int nodes, List<String> nodeFlags, String token, Duration startTimeout,
                                String javaCommand, String classpath, String mainClass,
                                List<String> jvmOptions, boolean keepData) {

    /** The reference node's main class (Contract 2). */
    public static final String NODE_MAIN = "io.deliverycheck.node.NodeMain";

    public EnvironmentConfig {
        if (nodes < 1 || nodes > 9) {
            throw new IllegalArgumentException("nodes must be 1..9, not " + nodes);
        }
        nodeFlags = List.copyOf(nodeFlags);
        jvmOptions = List.copyOf(jvmOptions);
        if (startTimeout.isNegative() || startTimeout.isZero()) {
            throw new IllegalArgumentException("start timeout must be positive, not " + startTimeout);
        }
    }

    /** {@code nodes} reference nodes, the harness JVM's java and class path, 90 s start timeout, 384 MB heaps. */
    public static EnvironmentConfig defaults(int nodes) {
        return new EnvironmentConfig(nodes, List.of(), null, Duration.ofSeconds(90),
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                System.getProperty("java.class.path"), NODE_MAIN,
                List.of("-Xmx384m", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError"), false);
    }

    public EnvironmentConfig withNodeFlags(List<String> flags) {
        return new EnvironmentConfig(nodes, flags, token, startTimeout, javaCommand, classpath, mainClass, jvmOptions, keepData);
    }

    public EnvironmentConfig withToken(String t) {
        return new EnvironmentConfig(nodes, nodeFlags, t, startTimeout, javaCommand, classpath, mainClass, jvmOptions, keepData);
    }

    public EnvironmentConfig withStartTimeout(Duration d) {
        return new EnvironmentConfig(nodes, nodeFlags, token, d, javaCommand, classpath, mainClass, jvmOptions, keepData);
    }

    public EnvironmentConfig withMainClass(String main) {
        return new EnvironmentConfig(nodes, nodeFlags, token, startTimeout, javaCommand, classpath, main, jvmOptions, keepData);
    }

    public EnvironmentConfig withJvmOptions(List<String> options) {
        return new EnvironmentConfig(nodes, nodeFlags, token, startTimeout, javaCommand, classpath, mainClass, options, keepData);
    }

    public EnvironmentConfig withKeepData(boolean keep) {
        return new EnvironmentConfig(nodes, nodeFlags, token, startTimeout, javaCommand, classpath, mainClass, jvmOptions, keep);
    }

    /** The node names n1..nN. */
    public List<String> nodeNames() {
        List<String> names = new ArrayList<>();
        for (int i = 1; i <= nodes; i++) {
            names.add("n" + i);
        }
        return names;
    }

    /** Splits a config value such as {@code "--guarantee at-least-once --bug no-lease"} on whitespace. */
    public static List<String> splitFlags(String value) {
        if (value == null || value.isBlank()) {
            return List.of();
        }
        return Arrays.asList(value.trim().split("\\s+"));
    }

    /** The JVM part of a node's command line: java, options, class path, main class. */
    public List<String> javaCommandLine() {
        List<String> cmd = new ArrayList<>();
        cmd.add(javaCommand);
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(classpath);
        cmd.add(mainClass);
        return cmd;
    }
}
