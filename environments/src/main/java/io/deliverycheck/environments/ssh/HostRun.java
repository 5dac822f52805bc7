package io.deliverycheck.environments.ssh;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One host's part of a run: the SSH session, the run's folder on the host ({@code <remote_dir>/dc-<run>-<host>},
 * with {@code lib/}, {@code logs/}, {@code pids/}), its firewall chains and its watchdog.
 *
 * <p>The watchdog is the first thing started on the host and the last to end: a bash loop reading the
 * heartbeat lines the harness writes to its stdin every {@link #HEARTBEAT}. When its input ends (the
 * harness closed the channel at close, or the harness died and its TCP connection closed) or no line
 * came for the hosts file's {@code watchdog_timeout_s} (the harness hangs, the network is gone), it
 * SIGKILLs every process of the run, removes the run's chains and deletes the run's folder. So nothing
 * of a run outlives the harness on a host, also after a SIGKILL of the harness.
 */
final class HostRun {

    static final Duration HEARTBEAT = Duration.ofSeconds(2);

    final SshHost ssh;
    final String dir;
    /** The run's chain suffix, or "-" when this host carries no rules. */
    final String tag;
    private final String sudo;
    private SshHost.Remote watchdog;
    private boolean chains;

    HostRun(SshHost ssh, String dir, String tag) {
        this.ssh = ssh;
        this.dir = dir;
        this.tag = tag;
        this.sudo = ssh.host.sudo() ? "sudo" : "-";
    }

    String name() {
        return ssh.host.name();
    }

    /** Starts the watchdog (it makes the run's folder) and waits for it to say it watches. */
    void startWatchdog(Duration timeout) throws IOException, InterruptedException {
        LineTap out = new LineTap(null, "WATCHING", "CLEAN");
        watchdog = ssh.start("watchdog", List.of(dir, Long.toString(timeout.toSeconds()), sudo, tag), out);
        if (!out.await("WATCHING", 1, SshHost.COMMAND_TIMEOUT)) {
            throw new IOException("host " + ssh.host.describe() + ": the watchdog did not start: " + out.tail(5));
        }
    }

    /** One heartbeat line to the watchdog; false when its channel is gone. */
    boolean heartbeat() {
        try {
            if (watchdog != null && watchdog.alive()) {
                watchdog.writeLine("");
                return true;
            }
        } catch (IOException e) {
            // the channel broke; the watchdog cleans up on its own
        }
        return false;
    }

    /**
     * The host's facts for the preflight; returns the problems found (empty: none).
     *
     * @param java      whether a JVM (17+) is needed here
     * @param iptables  whether firewall rules go here
     * @param address   the address the ports are checked on
     * @param ports     ports that must be free
     * @param archive   whether tar and xz are needed (the database's binaries)
     */
    List<String> preflight(boolean java, boolean iptables, String address, List<Integer> ports, boolean archive) throws IOException {
        List<String> args = new ArrayList<>(List.of(ssh.host.java(), sudo, address));
        ports.forEach(p -> args.add(Integer.toString(p)));
        String out = ssh.check("check", args.toArray(String[]::new));
        List<String> problems = new ArrayList<>();
        String h = "host " + ssh.host.describe() + ": ";
        for (String l : SshHost.lines(out)) {
            if (java && l.startsWith("java ")) {
                String v = l.substring(5);
                if (v.equals("missing")) {
                    problems.add(h + "'" + ssh.host.java() + "' not found; install a JDK 17+ (apt-get install -y openjdk-17-jre-headless) "
                            + "or set its \"java\" in the hosts file");
                } else {
                    int major = javaMajor(v);
                    if (major < 17) {
                        problems.add(h + ssh.host.java() + " -version says '" + v + "'; the reference node needs Java 17 or later");
                    }
                }
            } else if (l.equals("setsid missing")) {
                problems.add(h + "setsid not found (util-linux)");
            } else if (archive && (l.equals("tar missing") || l.equals("xz missing"))) {
                problems.add(h + l.replace(" missing", "") + " not found; the database's binaries need it (apt-get install -y tar xz-utils)");
            } else if (iptables && l.startsWith("iptables ") && !l.equals("iptables ok")) {
                problems.add(h + (l.equals("iptables missing") ? "iptables not found (apt-get install -y iptables)"
                        : "iptables cannot be run" + (ssh.host.sudo() ? " through sudo -n" : "") + ": " + l.substring(l.indexOf(':') + 1).trim()
                        + (ssh.host.sudo() ? " (allow it without a password: see docs/real-hosts.md)" : "")));
            } else if (l.startsWith("port ") && l.endsWith(" busy")) {
                problems.add(h + "something already listens on " + address + ":" + l.split(" ")[1]
                        + "; choose other ports in the hosts file (http_port, cluster_port, database.port)");
            }
        }
        return problems;
    }

    /** The major version of a {@code java -version} first line: {@code openjdk version "17.0.15"} is 17, {@code "1.8.0"} is 8; -1 if unreadable. */
    static int javaMajor(String versionLine) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("version \"(\\d+)(?:\\.(\\d+))?").matcher(versionLine);
        if (!m.find()) {
            return -1;
        }
        int major = Integer.parseInt(m.group(1));
        if (major == 1 && m.group(2) != null) {
            major = Integer.parseInt(m.group(2));
        }
        return major;
    }

    /** Creates the run's chains and their jumps. */
    void initFirewall() throws IOException {
        chains = true;
        ssh.check("fw-init", sudo, tag);
    }

    /** Replaces the run's rules on this host. */
    void setRules(List<String> rules) throws IOException {
        List<String> args = new ArrayList<>(List.of(sudo, tag));
        args.addAll(rules);
        ssh.check("fw-set", args.toArray(String[]::new));
    }

    /** Removes the run's chains (idempotent). */
    void removeFirewall() throws IOException {
        if (chains) {
            ssh.check("fw-remove", sudo, tag);
            chains = false;
        }
    }

    /**
     * Ends the watchdog: closes its input, so it kills what is left of the run, removes the chains and
     * the run's folder; waits (bounded) for its "CLEAN". False when that was not confirmed.
     */
    boolean finish(Duration timeout) throws InterruptedException {
        if (watchdog == null) {
            return true;
        }
        watchdog.closeStdin();
        boolean clean = watchdog.out.await("CLEAN", 1, timeout);
        watchdog.close();
        return clean;
    }
}
