package io.deliverycheck.environments.nemesis;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.history.Recorder;
import io.deliverycheck.checker.runner.Environment;
import io.deliverycheck.checker.runner.Fault;
import io.deliverycheck.checker.runner.FaultPlan;
import io.deliverycheck.checker.runner.Nemesis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Plays a {@link FaultPlan} on the harness clock ({@link Recorder#now()}), one background thread,
 * faults in plan order: at {@code at_ms} after {@link #start} it applies the fault and records its
 * start op; {@code duration_ms} later it heals it and records the stop op. A fault that fails to
 * apply or to heal is recorded all the same, with {@code "error"} in the op's value; the thread goes
 * on with the plan. {@link #healAll} stops the thread, heals what is still broken (also what a failed
 * step may have left: a killed node not restarted, a database not started) and returns when done.
 */
public final class ScheduledNemesis implements Nemesis {

    /** The process name of nemesis ops (Contract 3). */
    public static final String PROCESS = "nemesis";

    private final FaultPlan plan;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    private final Object applying = new Object();
    private final List<Fault> active = new ArrayList<>();
    private final Set<String> killed = new LinkedHashSet<>();
    private final Set<String> paused = new LinkedHashSet<>();
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

    private void play(long originNs) {
        for (Fault f : plan.faults()) {
            if (!waitUntil(originNs + TimeUnit.MILLISECONDS.toNanos(f.atMs()))) {
                return;
            }
            synchronized (applying) {
                if (stopping) {
                    return;
                }
                apply(f);
            }
            if (!waitUntil(originNs + TimeUnit.MILLISECONDS.toNanos(f.endMs()))) {
                return; // healAll stops what is active
            }
            synchronized (applying) {
                if (stopping) {
                    return;
                }
                heal(f);
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
        synchronized (applying) {
            for (Fault f : new ArrayList<>(active)) {
                String err = heal(f);
                if (err != null) {
                    errors.add(f.stopOp() + ": " + err);
                }
            }
            // Sweep: idempotent heals of anything a failed step may have left broken.
            sweep(errors, "heal network", env::heal);
            sweep(errors, "clear delay", env::clearDelay);
            for (String n : new ArrayList<>(paused)) {
                if (sweep(errors, "resume " + n, () -> env.resume(n))) {
                    paused.remove(n);
                }
            }
            if (dbMayBeDown && sweep(errors, "restart database", env::restartDatabase)) {
                dbMayBeDown = false;
            }
            for (String n : new ArrayList<>(killed)) {
                if (sweep(errors, "restart " + n, () -> env.restart(n))) {
                    killed.remove(n);
                }
            }
        }
        if (!errors.isEmpty()) {
            throw new IllegalStateException("nemesis could not heal everything: " + String.join("; ", errors));
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

    /** Applies {@code f} and records its start op. */
    private void apply(Fault f) {
        ObjectNode value = value(f);
        String error = null;
        String node = f.detail().path("node").asText(null);
        try {
            switch (f.kind()) {
                case Fault.PARTITION -> env.partition(Grudges.fromDetail(f.detail()));
                case Fault.KILL -> {
                    killed.add(node);
                    env.kill(node);
                }
                case Fault.PAUSE -> {
                    paused.add(node);
                    env.pause(node);
                }
                case Fault.DB_RESTART -> {
                    dbMayBeDown = true;
                    env.restartDatabase();
                    dbMayBeDown = false;
                }
                case Fault.LINK_DELAY -> env.delayLinks(Duration.ofMillis(f.detail().path("delay_ms").asLong(200)));
                case Fault.DEVICE_DISCONNECT -> env.disconnectClients(node);
                default -> throw new IllegalArgumentException("unknown fault kind " + f.kind());
            }
        } catch (Exception e) {
            error = message(e);
        }
        active.add(f);
        record(f.startOp(), value, error);
    }

    /** Heals {@code f}, records its stop op; returns the error or null. */
    private String heal(Fault f) {
        ObjectNode value = value(f);
        String error = null;
        String node = f.detail().path("node").asText(null);
        try {
            switch (f.kind()) {
                case Fault.PARTITION -> env.heal();
                case Fault.KILL -> {
                    env.restart(node);
                    killed.remove(node);
                }
                case Fault.PAUSE -> {
                    env.resume(node);
                    paused.remove(node);
                }
                case Fault.LINK_DELAY -> env.clearDelay();
                case Fault.DB_RESTART, Fault.DEVICE_DISCONNECT -> {
                    // instantaneous faults: the stop op marks the end of the observation window
                }
                default -> throw new IllegalArgumentException("unknown fault kind " + f.kind());
            }
        } catch (Exception e) {
            error = message(e);
        }
        active.remove(f);
        record(f.stopOp(), value, error);
        return error;
    }

    private void record(String f, ObjectNode value, String error) {
        if (error != null) {
            value.put("error", error);
        }
        rec.info(PROCESS, f, value);
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
