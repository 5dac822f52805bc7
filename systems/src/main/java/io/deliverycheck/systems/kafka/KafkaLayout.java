package io.deliverycheck.systems.kafka;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Where every broker listens and how every other process reaches it: pure values, so the
 * {@code server.properties} and hosts file of a broker can be tested without starting one.
 *
 * <p>Broker {@code nI} (index I from 1, broker id I) binds its three listeners on its own loopback
 * address {@code 127.0.0.(10+I)}: {@code CLIENT} (the harness's clients, advertised as its client
 * proxy on 127.0.0.1), {@code BROKER} (replication between brokers) and, on a voter,
 * {@code CONTROLLER} (the KRaft quorum). Brokers reach each other by name: {@code BROKER} is
 * advertised as {@code kafka-nJ:port}, the voters are {@code J@kafka-nJ:port}, and every broker JVM
 * has its own hosts file ({@code -Djdk.net.hosts.file}) in which {@code kafka-nJ} is
 * {@link #pairHost 127.0.(10+I).(10+J)}: the address of the harness proxy that carries the link from
 * {@code nI} to {@code nJ}, on the same port as the real listener. The proxy therefore knows both ends
 * of every connection it carries (Kafka cannot bind its outgoing sockets to a source address), and a
 * partition can cut exactly the links a grudge names. In its own file {@code kafka-nI} is its real
 * address.
 */
final class KafkaLayout {

    /** The listener names of every broker. */
    static final String CLIENT = "CLIENT";
    static final String BROKER = "BROKER";
    static final String CONTROLLER = "CONTROLLER";

    /**
     * One broker's addresses.
     *
     * @param name           n1, n2, ...
     * @param index          1, 2, ... (also the broker id)
     * @param voter          whether it is a controller (a voter of the quorum)
     * @param clientPort     its CLIENT listener on {@link #host}
     * @param brokerPort     its BROKER listener on {@link #host}, and the port of the proxies to it
     * @param controllerPort its CONTROLLER listener on {@link #host} and its proxies; -1 on a non-voter
     * @param clientProxy    where its client proxy listens (what clients use and CLIENT advertises)
     */
    record Node(String name, int index, boolean voter, int clientPort, int brokerPort, int controllerPort,
                InetSocketAddress clientProxy) {

        /** The broker's own loopback address. */
        String host() {
            return KafkaLayout.host(index);
        }

        /** The name other brokers reach it by. */
        String hostname() {
            return KafkaLayout.hostname(name);
        }
    }

    private final List<Node> nodes;

    KafkaLayout(List<Node> nodes) {
        this.nodes = List.copyOf(nodes);
    }

    List<Node> nodes() {
        return nodes;
    }

    Node node(String name) {
        return nodes.stream().filter(n -> n.name().equals(name)).findFirst().orElseThrow(() ->
                new IllegalArgumentException("no node named '" + name + "'"));
    }

    /** The loopback address broker {@code index} binds. */
    static String host(int index) {
        return "127.0.0." + (10 + index);
    }

    /** The address of the proxy that carries connections from broker {@code from} to broker {@code to}. */
    static String pairHost(int from, int to) {
        return "127.0." + (10 + from) + "." + (10 + to);
    }

    /** The name of broker {@code node} in the brokers' hosts files. */
    static String hostname(String node) {
        return "kafka-" + node;
    }

    /** {@code 1@kafka-n1:port,2@kafka-n2:port,...}: the static quorum, the same string on every broker. */
    String voters() {
        StringJoiner j = new StringJoiner(",");
        for (Node n : nodes) {
            if (n.voter()) {
                j.add(n.index() + "@" + n.hostname() + ":" + n.controllerPort());
            }
        }
        return j.toString();
    }

    /**
     * The {@code server.properties} of {@code node}: the harness's keys (roles, id, quorum,
     * listeners, data directory) then {@code settings} (the config's broker settings), in order.
     */
    Map<String, String> properties(Node node, Path dataDir, Map<String, String> settings) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("process.roles", node.voter() ? "broker,controller" : "broker");
        p.put("node.id", Integer.toString(node.index()));
        p.put("controller.quorum.voters", voters());
        p.put("controller.listener.names", CONTROLLER);
        String listeners = CLIENT + "://" + node.host() + ":" + node.clientPort()
                + "," + BROKER + "://" + node.host() + ":" + node.brokerPort();
        if (node.voter()) {
            listeners += "," + CONTROLLER + "://" + node.host() + ":" + node.controllerPort();
        }
        p.put("listeners", listeners);
        p.put("advertised.listeners", CLIENT + "://" + node.clientProxy().getHostString() + ":" + node.clientProxy().getPort()
                + "," + BROKER + "://" + node.hostname() + ":" + node.brokerPort());
        p.put("listener.security.protocol.map", CLIENT + ":PLAINTEXT," + BROKER + ":PLAINTEXT," + CONTROLLER + ":PLAINTEXT");
        p.put("inter.broker.listener.name", BROKER);
        p.put("log.dirs", dataDir.toAbsolutePath().toString());
        p.putAll(settings);
        return p;
    }

    /**
     * The hosts file of {@code node}'s JVM: {@code localhost} and the machine's own name (some code
     * asks for them) on 127.0.0.1, its own name on its own address, every other broker's name on the
     * proxy from this broker to that one. The JVM resolves nothing else.
     */
    String hostsFile(Node node, String localHostName) {
        StringBuilder b = new StringBuilder();
        b.append("# kafka ").append(node.name()).append(": every other broker is reached through a harness proxy\n");
        b.append("127.0.0.1 localhost");
        if (localHostName != null && !localHostName.isBlank() && !localHostName.equals("localhost")) {
            b.append(' ').append(localHostName);
        }
        b.append('\n');
        for (Node other : nodes) {
            String addr = other.index() == node.index() ? node.host() : pairHost(node.index(), other.index());
            b.append(addr).append(' ').append(other.hostname()).append('\n');
        }
        return b.toString();
    }

    /** A properties file's text, one {@code key=value} a line (backslashes escaped; no line breaks allowed). */
    static String propertiesText(String header, Map<String, String> props) {
        StringBuilder b = new StringBuilder("# ").append(header).append('\n');
        props.forEach((k, v) -> {
            if (k.contains("\n") || v.contains("\n") || k.contains("=")) {
                throw new IllegalArgumentException("kafka setting " + k.replace("\n", "\\n") + ": line breaks and '=' in keys are not allowed");
            }
            b.append(k).append('=').append(v.replace("\\", "\\\\")).append('\n');
        });
        return b.toString();
    }
}
