package io.deliverycheck.environments.process;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** POSIX signals Java cannot send itself (STOP, CONT, QUIT), through {@code kill(1)}, by PID only. */
public final class Signals {

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
    }

    /** Sends {@code signal} to one PID. */
    public static void send(String signal, long pid) throws IOException, InterruptedException {
        List<ProcessHandle> l = new ArrayList<>();
        ProcessHandle.of(pid).ifPresent(l::add);
        send(signal, l);
    }
}
