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

    /**
     * Polls every node of {@code ids} until each passed {@code ok} once. A node whose process exited
     * ends the wait at once, whichever node is awaited (a dead peer is the cause of the others' short
     * view, not they). On timeout the message describes every awaited node (its last /health, or that it
     * exited and the last line it printed), so a set-up failure seen only in a CI log can be diagnosed.
     */
    private void await(List<String> ids, Duration timeout, java.util.function.Predicate<Health> ok, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, Health> waiting = new LinkedHashMap<>(); // not passed yet, in order, with the last /health
        ids.forEach(id -> waiting.put(id, null));
        while (true) {
            for (String id : ids) {
                NodeProcess p = get(id);
                if (p.exitCode() != null || p.pid() < 0) {
                    throw new IllegalStateException("node " + id + " is not running" + exited(p)
                            + "; see " + log.apply(id) + " and " + p.outFile());
                }
                if (waiting.containsKey(id)) {
                    Health h = probe.probe(admin.apply(id));
                    if (ok.test(h)) {
                        waiting.remove(id);
                    } else {
                        waiting.put(id, h);
                    }
                }
            }
            if (waiting.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                String first = waiting.keySet().iterator().next();
                String each = ids.stream()
                        .map(id -> id + ": " + (waiting.containsKey(id) ? waiting.get(id).describe() : "ok"))
                        .collect(java.util.stream.Collectors.joining("; "));
                throw new IllegalStateException("node " + first + " not " + what + " after " + timeout.toSeconds()
                        + " s; last /health of each: " + each + "; see " + log.apply(first) + " and " + get(first).outFile());
            }
            Thread.sleep(200); // polling remote processes' health, not a test wait
        }
    }

    /** " (exit code N); last output: ..." for a process that exited, or "". */
    private static String exited(NodeProcess p) {
        Integer exit = p.exitCode();
        if (exit == null) {
            return "";
        }
        String line = ProcessLogs.lastWords(List.of(p.outFile()));
        return " (exit code " + exit + ")" + (line == null ? "" : "; last output: " + line);
    }

    /** Stops every node (SIGCONT, SIGTERM, then SIGKILL of its tree). Never throws. */
    public void stopAll(Duration grace) {
        nodes.values().parallelStream().forEach(p -> p.stop(grace));
    }
}
