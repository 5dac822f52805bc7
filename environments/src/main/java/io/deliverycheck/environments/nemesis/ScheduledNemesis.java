package io.deliverycheck.environments.nemesis;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.history.Recorder;
import io.deliverycheck.checker.runner.ClientDisconnectable;
import io.deliverycheck.checker.runner.ClockSkewable;
import io.deliverycheck.checker.runner.FileCorruptible;
import io.deliverycheck.checker.runner.Grudge;
import io.deliverycheck.checker.runner.PowerLossable;
import io.deliverycheck.checker.runner.DatabaseRestartable;
import io.deliverycheck.checker.runner.Environment;
import io.deliverycheck.checker.runner.Killable;
import io.deliverycheck.checker.runner.LinkDelayable;
import io.deliverycheck.checker.runner.Partitionable;
import io.deliverycheck.checker.runner.Pausable;
import io.deliverycheck.checker.runner.Fault;
import io.deliverycheck.checker.runner.FaultPlan;
import io.deliverycheck.checker.runner.Grudge;
import io.deliverycheck.checker.runner.HealException;
import io.deliverycheck.checker.runner.Nemesis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Plays a {@link FaultPlan} on the harness clock ({@link Recorder#now()}), one background thread,
 * starts and heals in time order: at {@code at_ms} after {@link #start} it applies the fault and
 * records its start op; {@code duration_ms} later it heals it and records the stop op. Faults may
 * overlap, and what is broken is always what the active faults together say: partitions are the
 * union of the active grudges (healing one re-applies the others), a link delay lasts until the
 * last active delay ends, a node is down while any kill of it is active and stopped while any pause
 * of it is active and no kill (a kill of a paused node kills it; its restart pauses it again when a
 * pause is still active; a pause or resume of a node that is down only changes the count, and the
 * op says so with {@code "note"}). A fault that fails to
 * apply or to heal is recorded all the same, with the op's {@code error} field (a harness error in
 * HISTORY.md); the thread goes on with the plan. {@link #healAll} stops the thread, heals what is
 * still broken (also what a failed step may have left: a killed node not restarted, a database not
 * started) and returns when done, or throws {@link HealException} naming what it could not heal.
 */
public final class ScheduledNemesis implements Nemesis {

    /** The process name of nemesis ops (Contract 3). */
    public static final String PROCESS = "nemesis";

    private final FaultPlan plan;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    private final Object applying = new Object();
    private final List<Fault> active = new ArrayList<>();
    /** Nodes that are down (killed, not yet restarted) and nodes that are stopped (SIGSTOP): what the sweep undoes. */
    private final Set<String> killed = new LinkedHashSet<>();
    private final Set<String> paused = new LinkedHashSet<>();
    private final Set<String> poweredOff = new LinkedHashSet<>();
    private final Set<String> skewed = new LinkedHashSet<>();
    private final Set<String> corrupted = new LinkedHashSet<>();
    /** Active kill and pause faults per node: a node stays down until its last kill ends, stopped until its last pause. */
    private final Map<String, Integer> kills = new HashMap<>();
    private final Map<String, Integer> pauses = new HashMap<>();
    private boolean dbMayBeDown;
    private volatile boolean stopping;
    private Environment env;
    private Recorder rec;
    private Thread thread;

    public ScheduledNemesis(FaultPlan plan) {
        this.plan = plan;
    }

    @Override
    public FaultPlan plan() {
        return plan;
    }

    @Override
    public synchronized void start(Environment env, Recorder rec) {
        if (thread != null) {
            throw new IllegalStateException("nemesis already started");
        }
        this.env = env;
        this.rec = rec;
        long origin = rec.now();
        thread = new Thread(() -> play(origin), "nemesis");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Plays starts and heals in time order: faults may overlap, so the next step is the earlier of
     * the next fault's start and the earliest end among the active ones (a heal first on a tie, a
     * zero-length fault healed right after its start).
     */
    private void play(long originNs) {
        List<Fault> faults = plan.faults();
        PriorityQueue<Integer> ends = new PriorityQueue<>(
                Comparator.<Integer>comparingLong(i -> faults.get(i).endMs()).thenComparingInt(i -> i));
        int next = 0;
        while (next < faults.size() || !ends.isEmpty()) {
            boolean heal = !ends.isEmpty()
                    && (next >= faults.size() || faults.get(ends.peek()).endMs() <= faults.get(next).atMs());
            int i = heal ? ends.peek() : next;
            Fault f = faults.get(i);
            if (!waitUntil(originNs + TimeUnit.MILLISECONDS.toNanos(heal ? f.endMs() : f.atMs()))) {
                return; // healAll stops what is active
            }
            synchronized (applying) {
                if (stopping) {
                    return;
                }
                if (heal) {
                    ends.poll();
                    heal(f);
                } else {
                    next++;
                    apply(f);
                    ends.add(i);
                }
            }
        }
    }

    /** Waits on the harness clock; false when {@link #healAll} asked to stop. */
    private boolean waitUntil(long targetNs) {
        lock.lock();
        try {
            long left;
            while (!stopping && (left = targetNs - rec.now()) > 0) {
                wake.awaitNanos(left);
            }
            return !stopping;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void healAll() throws Exception {
        Thread t;
        synchronized (this) {
            t = thread;
        }
        stopping = true;
        lock.lock();
        try {
            wake.signalAll();
        } finally {
            lock.unlock();
        }
        if (t != null) {
            t.join();
        }
        if (env == null) {
            return;
        }
        List<String> errors = new ArrayList<>();
        List<String> unrecorded = new ArrayList<>();
        synchronized (applying) {
            List<Fault> open = new ArrayList<>(active);
            // pauses first: a paused node that is also down then just restarts
            open.sort(Comparator.comparing(f -> !f.kind().equals(Fault.PAUSE)));
            for (Fault f : open) {
                String err = heal(f); // recorded: the stop op carries the error
                if (err != null) {
                    errors.add(f.stopOp() + ": " + err);
                }
            }
            // Sweep: idempotent heals of anything a failed step may have left broken. No op records
            // these, so their failures go to the runner as unrecorded (it records error ops).
            List<String> swept = new ArrayList<>();
            if (env instanceof Partitionable p && env.faultKinds().contains(Fault.PARTITION)) {
                sweep(swept, "heal network", p::heal);
            }
            if (env instanceof LinkDelayable l && env.faultKinds().contains(Fault.LINK_DELAY)) {
                sweep(swept, "clear delay", l::clearDelay);
            }
            for (String n : new ArrayList<>(paused)) {
                if (sweep(swept, "resume " + n, () -> ability(Pausable.class, Fault.PAUSE).resume(n))) {
                    paused.remove(n);
                }
            }
            if (dbMayBeDown && sweep(swept, "restart database",
                    () -> ability(DatabaseRestartable.class, Fault.DB_RESTART).restartDatabase())) {
                dbMayBeDown = false;
            }
            if (!poweredOff.isEmpty()) {
                List<String> members = new ArrayList<>(poweredOff);
                if (sweep(swept, "power on " + String.join(",", members),
                        () -> ability(PowerLossable.class, Fault.POWER_LOSS).powerOn(members))) {
                    poweredOff.clear();
                }
            }
            for (String n : new ArrayList<>(killed)) {
                if (sweep(swept, "restart " + n, () -> ability(Killable.class, Fault.KILL).restart(n))) {
                    killed.remove(n);
                }
            }
            for (String n : new ArrayList<>(corrupted)) {
                if (sweep(swept, "restart corrupted " + n, () -> ability(FileCorruptible.class, Fault.CORRUPT_FILE).restartCorrupted(n))) {
                    corrupted.remove(n);
                }
            }
            for (String n : new ArrayList<>(skewed)) {
                if (sweep(swept, "reset clock " + n, () -> ability(ClockSkewable.class, Fault.CLOCK_SKEW).resetClock(n))) {
                    skewed.remove(n);
                }
            }
            kills.clear();
            pauses.clear();
            errors.addAll(swept);
            unrecorded.addAll(swept);
        }
        if (!errors.isEmpty()) {
            throw new HealException("nemesis could not heal everything: " + String.join("; ", errors), unrecorded);
        }
    }

    private interface Step {
        void run() throws Exception;
    }

    private static boolean sweep(List<String> errors, String what, Step step) {
        try {
            step.run();
            return true;
        } catch (Exception e) {
            errors.add(what + ": " + message(e));
            return false;
        }
    }

    /** Applies {@code f} on top of the active faults and records its start op. */
    private void apply(Fault f) {
        ObjectNode value = value(f);
        String error = null;
        String node = f.detail().path("node").asText(null);
        active.add(f);
        try {
            switch (f.kind()) {
                case Fault.PARTITION -> {
                    Partitionable p = ability(Partitionable.class, f.kind());
                    long others = active.stream().filter(a -> a.kind().equals(Fault.PARTITION)).count() - 1;
                    if (others > 0) {
                        value.put("note", "composed with " + others + " other active partition" + (others == 1 ? "" : "s"));
                    }
                    cut(p, activeGrudge(), f.detail().path("mode").asText(null));
                }
                case Fault.KILL -> {
                    Killable k = ability(Killable.class, f.kind());
                    kills.merge(node, 1, Integer::sum);
                    if (killed.add(node)) {
                        if (paused.contains(node)) {
                            value.put("note", node + " was paused");
                        }
                        k.kill(node);
                        paused.remove(node); // only once it is dead: a failed kill leaves it stopped, for the sweep to resume
                    } else {
                        value.put("note", node + " is already down");
                    }
                }
                case Fault.PAUSE -> {
                    Pausable p = ability(Pausable.class, f.kind());
                    pauses.merge(node, 1, Integer::sum);
                    if (killed.contains(node)) {
                        value.put("note", node + " is down; it is paused again if it restarts while this pause lasts");
                    } else if (paused.add(node)) {
                        p.pause(node);
                    } else {
                        value.put("note", node + " is already paused");
                    }
                }
                case Fault.DB_RESTART -> {
                    DatabaseRestartable d = ability(DatabaseRestartable.class, f.kind());
                    dbMayBeDown = true;
                    d.restartDatabase();
                    dbMayBeDown = false;
                }
                case Fault.LINK_DELAY -> ability(LinkDelayable.class, f.kind()).delayLinks(activeDelay());
                case Fault.DEVICE_DISCONNECT -> ability(ClientDisconnectable.class, f.kind()).disconnectClients(node);
                case Fault.POWER_LOSS -> {
                    PowerLossable p = ability(PowerLossable.class, f.kind());
                    List<String> members = powerLossMembers(f);
                    poweredOff.addAll(members);
                    value.set("dropped", p.powerOff(members));
                }
                case Fault.CLOCK_SKEW -> {
                    ClockSkewable c = ability(ClockSkewable.class, f.kind());
                    skewed.add(node);
                    c.skewClock(node, f.detail());
                }
                case Fault.CORRUPT_FILE -> {
                    FileCorruptible c = ability(FileCorruptible.class, f.kind());
                    ObjectNode done = value.putObject("corruptions");
                    ObjectNode given = f.detail().path("corruptions").isObject() ? (ObjectNode) f.detail().get("corruptions") : null;
                    long seed = f.detail().path("seed").asLong(0);
                    int i = 0;
                    for (String n : nodeList(f)) {
                        ObjectNode d = value.objectNode();
                        if (given != null && given.has(n)) {
                            d.set("corruption", given.get(n));
                        } else {
                            d.put("seed", seed + i);
                        }
                        i++;
                        corrupted.add(n);
                        done.set(n, c.corruptFiles(n, d));
                    }
                }
                default -> throw new IllegalArgumentException("unknown fault kind " + f.kind());
            }
        } catch (Exception e) {
            error = message(e);
        }
        record(f.startOp(), value, error);
    }

    /** Heals {@code f}, leaving broken what the other active faults still break; records its stop op; returns the error or null. */
    private String heal(Fault f) {
        ObjectNode value = value(f);
        String error = null;
        String node = f.detail().path("node").asText(null);
        active.remove(f);
        try {
            switch (f.kind()) {
                case Fault.PARTITION -> {
                    Partitionable p = ability(Partitionable.class, f.kind());
                    Grudge rest = activeGrudge();
                    if (rest.isEmpty()) {
                        p.heal();
                    } else {
                        value.put("note", "the other active partitions stay");
                        String mode = active.stream().filter(a -> a.kind().equals(Fault.PARTITION))
                                .reduce((x, y) -> y).map(a -> a.detail().path("mode").asText(null)).orElse(null);
                        cut(p, rest, mode);
                    }
                }
                case Fault.KILL -> {
                    Killable k = ability(Killable.class, f.kind());
                    if (release(kills, node) > 0) {
                        value.put("note", node + " stays down: another kill of it is active");
                    } else {
                        List<String> others = active.stream().map(Fault::kind).distinct().toList();
                        if (others.isEmpty()) {
                            k.restart(node);
                        } else {
                            // a restart that waits for the node to serve would block the schedule on a
                            // fault (a partition from its database, a paused peer) that only the schedule ends
                            k.start(node);
                            value.put("note", "started without waiting until it serves: " + String.join(", ", others)
                                    + " active; its health is checked after the heal");
                        }
                        killed.remove(node);
                        if (pauses.getOrDefault(node, 0) > 0) {
                            String before = value.path("note").asText("");
                            value.put("note", (before.isEmpty() ? "" : before + "; ") + node + " paused again: a pause of it is active");
                            paused.add(node);
                            ability(Pausable.class, Fault.PAUSE).pause(node);
                        }
                    }
                }
                case Fault.PAUSE -> {
                    Pausable p = ability(Pausable.class, f.kind());
                    if (release(pauses, node) > 0) {
                        value.put("note", node + " stays paused: another pause of it is active");
                    } else if (killed.contains(node) && !paused.contains(node)) {
                        value.put("note", node + " is down: nothing to resume");
                    } else {
                        p.resume(node);
                        paused.remove(node);
                    }
                }
                case Fault.LINK_DELAY -> {
                    LinkDelayable l = ability(LinkDelayable.class, f.kind());
                    if (active.stream().anyMatch(a -> a.kind().equals(Fault.LINK_DELAY))) {
                        value.put("note", "another active link delay stays");
                        l.delayLinks(activeDelay());
                    } else {
                        l.clearDelay();
                    }
                }
                case Fault.POWER_LOSS -> {
                    // a member another active power loss also took down stays down until that one ends
                    // (powering on one broker of three whose peers are still off: it cannot form a quorum)
                    List<String> members = new ArrayList<>(powerLossMembers(f));
                    List<String> still = active.stream().filter(a -> a.kind().equals(Fault.POWER_LOSS))
                            .flatMap(a -> powerLossMembers(a).stream()).distinct().toList();
                    members.removeAll(still);
                    if (!still.isEmpty()) {
                        value.put("note", "stay down: another active power loss took " + String.join(", ", still));
                    }
                    if (!members.isEmpty()) {
                        ability(PowerLossable.class, f.kind()).powerOn(members);
                    }
                    poweredOff.removeAll(members);
                }
                case Fault.CLOCK_SKEW -> {
                    ability(ClockSkewable.class, f.kind()).resetClock(node);
                    skewed.remove(node);
                }
                case Fault.CORRUPT_FILE -> {
                    FileCorruptible c = ability(FileCorruptible.class, f.kind());
                    for (String n : nodeList(f)) {
                        c.restartCorrupted(n);
                        corrupted.remove(n);
                    }
                }
                case Fault.DB_RESTART, Fault.DEVICE_DISCONNECT -> {
                    // instantaneous faults: the stop op marks the end of the observation window
                }
                default -> throw new IllegalArgumentException("unknown fault kind " + f.kind());
            }
        } catch (Exception e) {
            error = message(e);
        }
        record(f.stopOp(), value, error);
        return error;
    }

    /** One fewer active fault of {@code node} in {@code counts}; returns how many are left. */
    private static int release(Map<String, Integer> counts, String node) {
        int left = counts.getOrDefault(node, 0) - 1;
        if (left > 0) {
            counts.put(node, left);
        } else {
            counts.remove(node);
        }
        return Math.max(0, left);
    }

    /** The union of the active partitions' grudges: a link is cut while any active partition cuts it. */
    private Grudge activeGrudge() {
        return Grudges.union(active.stream().filter(a -> a.kind().equals(Fault.PARTITION))
                .map(a -> Grudges.fromDetail(a.detail())).toList());
    }

    /** The longest delay among the active link delays. */
    private Duration activeDelay() {
        return Duration.ofMillis(active.stream().filter(a -> a.kind().equals(Fault.LINK_DELAY))
                .mapToLong(a -> a.detail().path("delay_ms").asLong(200)).max().orElse(0));
    }

    /** The environment as the ability {@code kind} needs; a plan asking for what it lacks fails that fault, loudly. */
    private <T> T ability(Class<T> type, String kind) {
        if (type.isInstance(env) && env.faultKinds().contains(kind)) {
            return type.cast(env);
        }
        throw new UnsupportedOperationException("the system under test does not support the fault '" + kind
                + "' (it supports: " + String.join(", ", env.faultKinds()) + ")");
    }

    /** A nemesis op; a fault that could not be applied or healed carries the op's {@code error} field. */
    private void record(String f, ObjectNode value, String error) {
        if (error == null) {
            rec.info(PROCESS, f, value);
        } else {
            rec.info(PROCESS, f, value, error);
        }
    }

    /**
     * Cuts {@code grudge} in {@code mode}; a partition that names no mode (a plan written by hand)
     * takes the environment's own cut ({@link Partitionable#partition(Grudge)}: refuse locally, a
     * packet filter's drop in netns and over SSH).
     */
    private static void cut(Partitionable p, Grudge grudge, String mode) throws Exception {
        if (mode == null) {
            p.partition(grudge);
        } else {
            p.partition(grudge, mode);
        }
    }

    /** The members a power-loss fault takes down: {@link Grudge#DB} when {@code db} is true, then {@code nodes}. */
    static List<String> powerLossMembers(Fault f) {
        List<String> members = new ArrayList<>();
        if (f.detail().path("db").asBoolean(false)) {
            members.add(Grudge.DB);
        }
        members.addAll(nodeList(f));
        return members;
    }

    private static List<String> nodeList(Fault f) {
        List<String> out = new ArrayList<>();
        f.detail().path("nodes").forEach(n -> out.add(n.asText()));
        return out;
    }

    private static ObjectNode value(Fault f) {
        ObjectNode v = f.detail();
        if (f.shape() != null) {
            v.put("shape", f.shape());
        }
        return v;
    }

    private static String message(Throwable e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }
}
