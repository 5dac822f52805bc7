package io.deliverycheck.environments.process;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * POSIX signals Java cannot send itself (STOP, CONT, QUIT), through {@code kill(1)}, by PID only, or
 * to a process group the harness made ({@link #sendToGroup}).
 *
 * <p>kill(2) only queues a signal: a process running on another core is stopped a moment later.
 * {@link #send} therefore confirms STOP and CONT: it returns once every live target is stopped (or
 * running again), and throws when one is not within {@link #CONFIRM}: a pause that did not take
 * effect is a fault that failed to apply, never one the run believes happened.
 */
public final class Signals {

    /** How long a STOP or CONT may take to show in /proc before it counts as failed. */
    static final Duration CONFIRM = Duration.ofSeconds(5);

    private Signals() {
    }

    /** Sends {@code signal} (e.g. "STOP") to the live processes among {@code targets}. */
    public static void send(String signal, List<ProcessHandle> targets) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("kill", "-s", signal));
        for (ProcessHandle h : targets) {
            if (h.isAlive()) {
                cmd.add(Long.toString(h.pid()));
            }
        }
        if (cmd.size() == 3) {
            return;
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        int rc = p.waitFor();
        // A process that exited between listing and signalling makes kill(1) fail for it; only
        // complain when a target is still alive.
        if (rc != 0 && targets.stream().anyMatch(ProcessHandle::isAlive)) {
            throw new IOException("kill -s " + signal + " failed (" + rc + "): " + out.trim());
        }
        if (signal.equals("STOP") || signal.equals("CONT")) {
            confirm(signal, targets);
        }
    }

    /** Waits until every live target is stopped (STOP) or no longer stopped (CONT). */
    private static void confirm(String signal, List<ProcessHandle> targets) throws IOException {
        boolean wantStopped = signal.equals("STOP");
        long deadline = System.nanoTime() + CONFIRM.toNanos();
        for (ProcessHandle h : targets) {
            while (true) {
                char st = ProcInfo.state(h.pid());
                boolean stopped = st == 'T' || st == 't';
                // gone, a zombie, or in the wanted state: nothing more to wait for
                if (st == 0 || st == 'Z' || st == 'X' || stopped == wantStopped || !h.isAlive()) {
                    break;
                }
                if (System.nanoTime() > deadline) {
                    throw new IOException("pid " + h.pid() + " is still in state " + st + " " + CONFIRM.toSeconds()
                            + " s after SIG" + signal);
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2)); // polling /proc, bounded by CONFIRM
            }
        }
    }

    /** Sends {@code signal} to one PID. */
    public static void send(String signal, long pid) throws IOException, InterruptedException {
        List<ProcessHandle> l = new ArrayList<>();
        ProcessHandle.of(pid).ifPresent(l::add);
        send(signal, l);
    }

    /**
     * Sends {@code signal} to every process of the group led by {@code pgid}: only for a group the
     * harness created (a child started in its own session) and verified by its leader's start time.
     */
    public static void sendToGroup(String signal, long pgid) throws IOException, InterruptedException {
        if (pgid <= 1) {
            throw new IllegalArgumentException("not a process group of ours: " + pgid);
        }
        Process p = new ProcessBuilder("kill", "-s", signal, "--", "-" + pgid).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        int rc = p.waitFor();
        if (rc != 0 && !ProcInfo.group(pgid, 0).isEmpty()) {
            throw new IOException("kill -s " + signal + " -- -" + pgid + " failed (" + rc + "): " + out.trim());
        }
    }
}
