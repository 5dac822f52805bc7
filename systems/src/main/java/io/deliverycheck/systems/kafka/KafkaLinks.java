package io.deliverycheck.systems.kafka;

import io.deliverycheck.checker.runner.Grudge;
import io.deliverycheck.environments.process.Ports;
import io.deliverycheck.environments.proxy.TcpProxy;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The links of a Kafka environment (Jepsen's net), all through harness {@link TcpProxy}s on one
 * Vert.x: a client proxy per broker in front of its {@code CLIENT} listener, and a proxy per
 * ordered pair of brokers and listener ({@code BROKER}, and {@code CONTROLLER} into a voter),
 * listening on {@link KafkaLayout#pairHost} with the port of the real listener. Picks every port
 * (free at start) and hands out the {@link KafkaLayout.Node}s. Control calls block until the
 * proxies did it; {@link #close} is idempotent.
 */
final class KafkaLinks implements AutoCloseable {

    private static final int PORT_ATTEMPTS = 20;
    /** The partition member that stands for every client (producers, consumers, admin clients). */
    static final String CLIENTS = "clients";
    /** The source name of every connection at a client proxy. */
    private static final String CLIENT_SOURCE = "client";

    private final List<String> names;
    private final Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    private final Map<String, TcpProxy> clientProxy = new LinkedHashMap<>();
    /** from node, to node: the proxies (BROKER, and CONTROLLER when {@code to} is a voter) of that link. */
    private final Map<String, Map<String, List<TcpProxy>>> linkProxy = new LinkedHashMap<>();
    private final List<KafkaLayout.Node> nodes = new ArrayList<>();

    private KafkaLinks(List<String> names) {
        this.names = List.copyOf(names);
    }

    /** Starts every proxy for brokers {@code names}, of which the first {@code voters} are controllers. */
    static KafkaLinks start(List<String> names, int voters) throws Exception {
        KafkaLinks links = new KafkaLinks(names);
        try {
            for (int i = 1; i <= names.size(); i++) {
                String n = names.get(i - 1);
                String host = KafkaLayout.host(i);
                int clientPort = freePort(host, Set.of());
                TcpProxy client = TcpProxy.start(links.vertx, "client-" + n, "127.0.0.1", 0,
                        new InetSocketAddress(host, clientPort), h -> CLIENT_SOURCE);
                links.clientProxy.put(n, client);
                Set<Integer> taken = new HashSet<>(Set.of(clientPort));
                int brokerPort = links.bindLinks(i, KafkaLayout.BROKER, taken);
                taken.add(brokerPort);
                boolean voter = i <= voters;
                int controllerPort = voter ? links.bindLinks(i, KafkaLayout.CONTROLLER, taken) : -1;
                links.nodes.add(new KafkaLayout.Node(n, i, voter, clientPort, brokerPort, controllerPort, client.address()));
            }
            return links;
        } catch (Exception e) {
            links.close();
            throw e;
        }
    }

    /** The brokers' addresses and ports, in node order. */
    List<KafkaLayout.Node> nodes() {
        return List.copyOf(nodes);
    }

    /** The client proxy of {@code node}. */
    TcpProxy client(String node) {
        TcpProxy p = clientProxy.get(node);
        if (p == null) {
            throw new IllegalArgumentException("no node named '" + node + "'");
        }
        return p;
    }

    /** The proxy carrying connections from broker {@code from} to broker {@code to}'s BROKER listener. */
    TcpProxy link(String from, String to) {
        Map<String, List<TcpProxy>> m = linkProxy.get(from);
        List<TcpProxy> l = m == null ? null : m.get(to);
        if (l == null) {
            throw new IllegalArgumentException("no link from '" + from + "' to '" + to + "'");
        }
        return l.get(0);
    }

    /**
     * Cuts the links the grudge cuts, either direction cutting both; heals the others. The member
     * {@link #CLIENTS} stands for every client: a node the grudge cuts from it refuses client
     * connections at its client proxy. A grudge that does not name it leaves the clients' links alone.
     */
    void partition(Grudge grudge) throws Exception {
        for (String m : grudge.refuses().keySet()) {
            if (!m.equals(CLIENTS) && !names.contains(m)) {
                throw new IllegalArgumentException("grudge names unknown member '" + m + "' (members: " + String.join(", ", names)
                        + ", " + CLIENTS + ")");
            }
        }
        for (String n : names) {
            clientProxy.get(n).refuse(grudge.cuts(n, CLIENTS) ? Set.of(CLIENT_SOURCE) : Set.of());
        }
        for (Map.Entry<String, Map<String, List<TcpProxy>>> from : linkProxy.entrySet()) {
            for (Map.Entry<String, List<TcpProxy>> to : from.getValue().entrySet()) {
                Set<String> refused = grudge.cuts(from.getKey(), to.getKey()) ? Set.of(from.getKey()) : Set.of();
                for (TcpProxy p : to.getValue()) {
                    p.refuse(refused);
                }
            }
        }
    }

    /** Restores every link between brokers, and between the clients and the brokers. */
    void heal() throws Exception {
        for (TcpProxy p : linkProxies()) {
            p.refuse(Set.of());
        }
        for (TcpProxy p : clientProxy.values()) {
            p.refuse(Set.of());
        }
    }

    /** Holds every byte between brokers for {@code delay}, each way (zero: no delay). */
    void delay(Duration delay) throws Exception {
        for (TcpProxy p : linkProxies()) {
            p.delay(delay);
        }
    }

    /** Closes every client connection at {@code node}. @return how many */
    int disconnectClients(String node) throws Exception {
        return client(node).closeAll();
    }

    @Override
    public void close() {
        clientProxy.values().forEach(TcpProxy::close);
        linkProxies().forEach(TcpProxy::close);
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            // best effort: its threads are daemons
        }
    }

    private List<TcpProxy> linkProxies() {
        return linkProxy.values().stream().flatMap(m -> m.values().stream()).flatMap(List::stream).toList();
    }

    /**
     * Starts the proxies of every link into broker {@code to} on one port, the port its
     * {@code listener} will bind: free on its own address and on every pair address. Returns it.
     */
    private int bindLinks(int to, String listener, Set<Integer> taken) throws Exception {
        String toName = names.get(to - 1);
        Exception last = null;
        for (int attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
            int port = freePort(KafkaLayout.host(to), taken);
            Map<String, TcpProxy> started = new LinkedHashMap<>();
            try {
                for (int from = 1; from <= names.size(); from++) {
                    if (from == to) {
                        continue;
                    }
                    String fromName = names.get(from - 1);
                    started.put(fromName, TcpProxy.start(vertx, listener.toLowerCase(Locale.ROOT) + "-" + fromName + "-" + toName,
                            KafkaLayout.pairHost(from, to), port, new InetSocketAddress(KafkaLayout.host(to), port), h -> fromName));
                }
            } catch (Exception e) {
                started.values().forEach(TcpProxy::close);
                last = e;
                continue;
            }
            started.forEach((fromName, p) -> linkProxy.computeIfAbsent(fromName, k -> new LinkedHashMap<>())
                    .computeIfAbsent(toName, k -> new ArrayList<>()).add(p));
            return port;
        }
        throw new IOException("no port free for the " + listener + " listener of kafka " + toName + " on all its proxy addresses after "
                + PORT_ATTEMPTS + " tries", last);
    }

    private static int freePort(String host, Set<Integer> taken) throws IOException {
        for (int i = 0; i < PORT_ATTEMPTS; i++) {
            int p = Ports.free(host);
            if (!taken.contains(p)) {
                return p;
            }
        }
        throw new IOException("no free port on " + host);
    }
}
