package io.deliverycheck.environments.nemesis;

import io.deliverycheck.checker.history.Recorder;
import io.deliverycheck.checker.runner.Environment;
import io.deliverycheck.checker.runner.Grudge;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.runner.ClientDisconnectable;
import io.deliverycheck.checker.runner.ClockSkewable;
import io.deliverycheck.checker.runner.Fault;
import io.deliverycheck.checker.runner.FileCorruptible;
import io.deliverycheck.checker.runner.PowerLossable;
import io.deliverycheck.environments.clock.ClockSkew;
import io.deliverycheck.checker.runner.DatabaseRestartable;
import io.deliverycheck.checker.runner.Killable;
import io.deliverycheck.checker.runner.LinkDelayable;
import io.deliverycheck.checker.runner.Partitionable;
import io.deliverycheck.checker.runner.Pausable;

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
final class CapturingEnvironment implements Environment, ClientDisconnectable, DatabaseRestartable, Killable, LinkDelayable, Partitionable, Pausable,
        PowerLossable, ClockSkewable, FileCorruptible {

    final List<String> calls = Collections.synchronizedList(new ArrayList<>());
    final Set<String> killed = Collections.synchronizedSet(new LinkedHashSet<>());
    final Set<String> paused = Collections.synchronizedSet(new LinkedHashSet<>());
    /** Method name -> how many more calls of it throw. */
    final Map<String, Integer> failures = Collections.synchronizedMap(new HashMap<>());
    final Set<String> poweredOff = Collections.synchronizedSet(new LinkedHashSet<>());
    final Set<String> skewed = Collections.synchronizedSet(new LinkedHashSet<>());
    final Set<String> corrupted = Collections.synchronizedSet(new LinkedHashSet<>());
    volatile Grudge grudge = Grudge.none();
    volatile String partitionMode;
    volatile Duration delay = Duration.ZERO;
    volatile boolean dbUp = true;
    private final List<String> nodes;

    CapturingEnvironment(List<String> nodes) {
        this.nodes = List.copyOf(nodes);
    }

    boolean healthy() {
        return killed.isEmpty() && paused.isEmpty() && grudge.isEmpty() && delay.isZero() && dbUp
                && poweredOff.isEmpty() && skewed.isEmpty() && corrupted.isEmpty();
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
    /** Like a process: a killed node is no longer stopped; a node that is down cannot be paused; resuming it does nothing. */
    @Override public void kill(String node) { call("kill", node); killed.add(node); paused.remove(node); }
    @Override public void restart(String node) { call("restart", node); killed.remove(node); }
    /** A restart that does not wait until the node serves (the nemesis's, while other faults are active). */
    @Override public void start(String node) { call("start", node); killed.remove(node); }
    @Override public void pause(String node) {
        call("pause", node);
        if (killed.contains(node)) {
            throw new IllegalStateException("cannot pause " + node + ": it is down");
        }
        paused.add(node);
    }
    @Override public void resume(String node) { call("resume", node); paused.remove(node); }
    @Override public List<String> partitionMembers() { List<String> m = new ArrayList<>(nodes); m.add(Grudge.DB); return m; }
    @Override public void partition(Grudge g) { partition(g, "refuse"); }
    @Override public List<String> partitionModes() { return Fault.PARTITION_MODES; }
    @Override public void partition(Grudge g, String mode) { call("partition", mode + " " + g.refuses()); grudge = g; partitionMode = mode; }
    @Override public List<String> powerLossMembers() { return partitionMembers(); }
    @Override public ObjectNode powerOff(List<String> members) {
        call("powerOff", members);
        poweredOff.addAll(members);
        ObjectNode dropped = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        return dropped.put("reverted_files", members.contains(Grudge.DB) ? 1 : 0);
    }
    @Override public void powerOn(List<String> members) { call("powerOn", members); poweredOff.removeAll(members); }
    @Override public void skewClock(String node, ObjectNode skew) { call("skewClock", node + " " + ClockSkew.Skew.fromJson(skew)); skewed.add(node); }
    @Override public void resetClock(String node) { call("resetClock", node); skewed.remove(node); }
    @Override public List<String> corruptibleNodes() { return nodes; }
    @Override public ObjectNode corruptFiles(String node, ObjectNode detail) {
        call("corruptFiles", node + " " + detail);
        killed.add(node);
        corrupted.add(node);
        return detail.has("corruption") ? (ObjectNode) detail.get("corruption").deepCopy()
                : detail.deepCopy().put("file", "data/" + node + "-" + detail.path("seed").asLong() + ".log");
    }
    @Override public void restartCorrupted(String node) { call("restartCorrupted", node); corrupted.remove(node); killed.remove(node); }
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
