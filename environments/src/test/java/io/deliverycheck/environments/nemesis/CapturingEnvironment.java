package io.deliverycheck.environments.nemesis;

import io.deliverycheck.checker.history.Recorder;
import io.deliverycheck.checker.runner.Environment;
import io.deliverycheck.checker.runner.Grudge;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** An in-memory environment that records every call and keeps the fault state, for fast tests. */
final class CapturingEnvironment implements Environment {

    final List<String> calls = Collections.synchronizedList(new ArrayList<>());
    final Set<String> killed = Collections.synchronizedSet(new LinkedHashSet<>());
    final Set<String> paused = Collections.synchronizedSet(new LinkedHashSet<>());
    /** Method name -> how many more calls of it throw. */
    final Map<String, Integer> failures = Collections.synchronizedMap(new HashMap<>());
    volatile Grudge grudge = Grudge.none();
    volatile Duration delay = Duration.ZERO;
    volatile boolean dbUp = true;
    private final List<String> nodes;

    CapturingEnvironment(List<String> nodes) {
        this.nodes = List.copyOf(nodes);
    }

    boolean healthy() {
        return killed.isEmpty() && paused.isEmpty() && grudge.isEmpty() && delay.isZero() && dbUp;
    }

    private void call(String method, Object arg) {
        calls.add(arg == null ? method : method + " " + arg);
        Integer left = failures.get(method);
        if (left != null && left > 0) {
            failures.put(method, left - 1);
            throw new IllegalStateException("injected failure of " + method);
        }
    }

    @Override public void setup(Path runDir, Recorder rec) { call("setup", null); }
    @Override public List<String> nodes() { return nodes; }
    @Override public URI clientEndpoint(String node) { return URI.create("http://client/" + node); }
    @Override public URI adminEndpoint(String node) { return URI.create("http://admin/" + node); }
    @Override public void kill(String node) { call("kill", node); killed.add(node); }
    @Override public void restart(String node) { call("restart", node); killed.remove(node); }
    @Override public void pause(String node) { call("pause", node); paused.add(node); }
    @Override public void resume(String node) { call("resume", node); paused.remove(node); }
    @Override public void partition(Grudge g) { call("partition", g.refuses()); grudge = g; }
    @Override public void heal() { call("heal", null); grudge = Grudge.none(); }
    @Override public void restartDatabase() {
        dbUp = false;
        call("restartDatabase", null);
        dbUp = true;
    }
    @Override public void delayLinks(Duration d) { call("delayLinks", d.toMillis()); delay = d; }
    @Override public void clearDelay() { call("clearDelay", null); delay = Duration.ZERO; }
    @Override public void disconnectClients(String node) { call("disconnectClients", node); }
    @Override public List<Path> logs() { return List.of(); }
    @Override public void close() { calls.add("close"); }
}
