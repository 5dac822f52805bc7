package io.deliverycheck.environments.process;

import io.deliverycheck.environments.process.HealthProbe.Health;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The node processes of an environment and the waits on their {@code /health}: shared by the local
 * and netns environments, which differ only in how a node's command line is built and where it runs.
 */
public final class NodeSet {

    private final Map<String, NodeProcess> nodes = new LinkedHashMap<>();
    private final Function<String, URI> admin;
    private final Function<String, Path> log;
    private final HealthProbe probe;

    public NodeSet(HealthProbe probe, Function<String, URI> admin, Function<String, Path> log) {
        this.probe = probe;
        this.admin = admin;
        this.log = log;
    }

    public void add(NodeProcess p) {
        nodes.put(p.id(), p);
    }

    public NodeProcess get(String id) {
        NodeProcess p = nodes.get(id);
        if (p == null) {
            throw new IllegalArgumentException("no node named '" + id + "' (nodes: " + String.join(", ", nodes.keySet()) + ")");
        }
        return p;
    }

    public List<String> ids() {
        return List.copyOf(nodes.keySet());
    }

    /**
     * Waits until every node answers {@code /health} 200 with a view of all nodes. Throws, naming the
     * first node that is not healthy (or whose process exited) and its log files.
     */
    public void awaitHealthy(Duration timeout) throws InterruptedException {
        await(ids(), timeout, h -> h.healthyWith(ids()), "healthy (HTTP 200 and a view of " + ids() + ")");
    }

    /** Waits until {@code id} answers {@code /health} at all (any status): its HTTP server is up. */
    public void awaitServing(String id, Duration timeout) throws InterruptedException {
        await(List.of(id), timeout, h -> h.status() != 0, "serving HTTP");
    }

    private void await(List<String> ids, Duration timeout, java.util.function.Predicate<Health> ok, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (String id : ids) {
            NodeProcess p = get(id);
            Health last;
            while (true) {
                Integer exit = p.exitCode();
                if (exit != null || p.pid() < 0) {
                    throw new IllegalStateException("node " + id + " is not running" + (exit == null ? "" : " (exit code " + exit + ")")
                            + "; see " + log.apply(id) + " and " + p.outFile());
                }
                last = probe.probe(admin.apply(id));
                if (ok.test(last)) {
                    break;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("node " + id + " not " + what + " after " + timeout.toSeconds()
                            + " s; last /health: " + last.describe() + "; see " + log.apply(id) + " and " + p.outFile());
                }
                Thread.sleep(200); // polling a remote process's health, not a test wait
            }
        }
    }

    /** Stops every node (SIGCONT, SIGTERM, then SIGKILL of its tree). Never throws. */
    public void stopAll(Duration grace) {
        nodes.values().parallelStream().forEach(p -> p.stop(grace));
    }
}
