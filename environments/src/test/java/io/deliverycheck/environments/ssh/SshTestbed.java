package io.deliverycheck.environments.ssh;

import io.deliverycheck.environments.netns.Shell;
import io.deliverycheck.environments.process.Ports;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.awaitility.Awaitility.await;

/**
 * "Hosts" for the ssh environment's tests, on this machine only: a bridge {@code dcs<k>br}
 * (10.78.k.1/24, the harness's side) and one network namespace {@code dcs<k>-hI} per host (eth0
 * 10.78.k.1I/24 on a veth into the bridge; no route out, no NAT), each running a private
 * {@code sshd -D} (Debian's openssh-server) with its own config, host key and authorized key made
 * for the test, on a free port, started and stopped by PID. Writes the known_hosts file and the
 * client key; {@link #close} stops the sshds and deletes the namespaces and the bridge.
 */
public final class SshTestbed implements AutoCloseable {

    static final String SSHD = "/usr/sbin/sshd";
    private static final String SFTP_SERVER = "/usr/lib/openssh/sftp-server";

    private final Shell sh = Shell.system();
    private final Path dir;
    private final int k;
    private final int count;
    private final List<String> namespaces = new ArrayList<>();
    private final List<String> veths = new ArrayList<>();
    private final List<Process> sshds = new ArrayList<>();
    private final List<Integer> ports = new ArrayList<>();
    private boolean bridge;
    private boolean madeRunSshd;

    /**
     * Null when the testbed can run; else why not. Not root or not Linux: the caller skips. Root
     * without a tool: the caller fails with the install line (the netns tier must run where it can).
     */
    public static String missingTools() {
        List<String> missing = new ArrayList<>();
        for (String t : List.of("ip", "iptables", "ssh-keygen", "setsid", "xz")) {
            if (which(t) == null) {
                missing.add(t);
            }
        }
        if (!Files.isExecutable(Path.of(SSHD))) {
            missing.add("sshd");
        }
        if (!Files.isExecutable(Path.of(SFTP_SERVER))) {
            missing.add("sftp-server");
        }
        return missing.isEmpty() ? null : "the ssh environment's netns tests need " + String.join(", ", missing)
                + "; install with: apt-get install -y iproute2 iptables openssh-server openssh-client util-linux xz-utils";
    }

    public static boolean rootOnLinux() throws IOException, InterruptedException {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            return false;
        }
        Process p = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        return p.waitFor() == 0 && out.equals("0");
    }

    private static String which(String cmd) {
        String path = System.getenv().getOrDefault("PATH", "") + File.pathSeparator + "/usr/sbin" + File.pathSeparator + "/sbin";
        for (String d : path.split(File.pathSeparator)) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, cmd))) {
                return d + "/" + cmd;
            }
        }
        return null;
    }

    public SshTestbed(Path dir, int count) throws IOException, InterruptedException {
        this.dir = dir.toAbsolutePath();
        this.count = count;
        this.k = freeIndex();
        try {
            create();
        } catch (IOException | InterruptedException | RuntimeException e) {
            close();
            throw e;
        }
    }

    private int freeIndex() throws IOException, InterruptedException {
        String links = sh.check(List.of("ip", "-o", "link", "show"));
        String routes = sh.check(List.of("ip", "-4", "route", "show"));
        String netns = sh.run(List.of("ip", "netns", "list")).output();
        for (int i = 1; i <= 250; i++) {
            // a veth left by an earlier testbed (its namespace still held by the kernel) takes the index too
            if (!links.contains("dcs" + i + "br") && !links.contains("dcs" + i + "h") && !routes.contains("10.78." + i + ".")
                    && !netns.contains("dcs" + i + "-")) {
                return i;
            }
        }
        throw new IOException("no free 10.78.k.0/24 for the ssh testbed");
    }

    public String harnessAddress() {
        return "10.78." + k + ".1";
    }

    public String address(int i) {
        return "10.78." + k + "." + (10 + i);
    }

    public String namespace(int i) {
        return "dcs" + k + "-h" + i;
    }

    public String hostName(int i) {
        return "h" + i;
    }

    public int sshPort(int i) {
        return ports.get(i - 1);
    }

    Path clientKey() {
        return dir.resolve("client_key");
    }

    Path knownHosts() {
        return dir.resolve("known_hosts");
    }

    /** Runs {@code command} inside host {@code i}'s namespace. */
    public String inHost(int i, String... command) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", namespace(i)));
        cmd.addAll(List.of(command));
        return sh.check(cmd);
    }

    private void create() throws IOException, InterruptedException {
        String br = "dcs" + k + "br";
        sh.check(List.of("ip", "link", "add", br, "type", "bridge"));
        bridge = true;
        sh.check(List.of("ip", "addr", "add", harnessAddress() + "/24", "dev", br));
        sh.check(List.of("ip", "link", "set", br, "up"));
        Files.createDirectories(dir);
        sh.check(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "deliverycheck-test", "-f", clientKey().toString()));
        Path runSshd = Path.of("/run/sshd");
        if (!Files.isDirectory(runSshd)) {
            Files.createDirectories(runSshd); // sshd's privilege separation folder, as the package's service would make it
            madeRunSshd = true;
        }
        StringBuilder known = new StringBuilder();
        for (int i = 1; i <= count; i++) {
            String ns = namespace(i);
            sh.check(List.of("ip", "netns", "add", ns));
            namespaces.add(ns);
            String veth = "dcs" + k + "h" + i;
            sh.check(List.of("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns));
            veths.add(veth);
            sh.check(List.of("ip", "link", "set", veth, "master", br, "up"));
            inHost(i, "ip", "addr", "add", address(i) + "/24", "dev", "eth0");
            inHost(i, "ip", "link", "set", "eth0", "up");
            inHost(i, "ip", "link", "set", "lo", "up");

            Path h = dir.resolve(hostName(i));
            Files.createDirectories(h);
            Path hostKey = h.resolve("host_key");
            sh.check(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", hostName(i), "-f", hostKey.toString()));
            int port = Ports.free("127.0.0.1");
            ports.add(port);
            Path config = h.resolve("sshd_config");
            Files.writeString(config, String.join("\n",
                    "Port " + port,
                    "ListenAddress " + address(i),
                    "HostKey " + hostKey,
                    "AuthorizedKeysFile " + clientKey() + ".pub",
                    "PidFile none",
                    "UsePAM no",
                    "StrictModes no",
                    "PermitRootLogin prohibit-password",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    "X11Forwarding no",
                    "AllowTcpForwarding no",
                    "PrintMotd no",
                    "Subsystem sftp " + SFTP_SERVER,
                    "") + "\n");
            Process p = new ProcessBuilder("ip", "netns", "exec", ns, SSHD, "-D", "-e", "-f", config.toString())
                    .redirectErrorStream(true).redirectOutput(h.resolve("sshd.log").toFile()).start();
            sshds.add(p);
            String pub = Files.readString(Path.of(hostKey + ".pub")).trim();
            String[] parts = pub.split(" ");
            known.append("[").append(address(i)).append("]:").append(port).append(' ').append(parts[0]).append(' ').append(parts[1]).append('\n');
        }
        Files.writeString(knownHosts(), known.toString());
        for (int i = 1; i <= count; i++) {
            InetSocketAddress a = new InetSocketAddress(address(i), sshPort(i));
            Process p = sshds.get(i - 1);
            int host = i;
            await("sshd of " + hostName(i) + " listening").atMost(Duration.ofSeconds(30)).until(() -> {
                if (!p.isAlive()) {
                    throw new IllegalStateException("sshd of " + hostName(host) + " exited: " + Files.readString(dir.resolve(hostName(host)).resolve("sshd.log")));
                }
                try (Socket s = new Socket()) {
                    s.connect(a, 500);
                    return true;
                } catch (IOException e) {
                    return false;
                }
            });
        }
    }

    /** A hosts file for hosts 1..n running n1..nN, with {@code database} as given (JSON). */
    public Path hostsFile(String database, String extra) throws IOException {
        StringBuilder hosts = new StringBuilder();
        StringBuilder nodes = new StringBuilder();
        for (int i = 1; i <= count; i++) {
            hosts.append(i == 1 ? "" : ",\n    ").append(String.format(
                    "{\"name\": \"%s\", \"address\": \"%s\", \"port\": %d, \"user\": \"root\", \"key\": \"%s\"}",
                    hostName(i), address(i), sshPort(i), clientKey()));
            nodes.append(i == 1 ? "" : ", ").append(String.format("\"n%d\": \"%s\"", i, hostName(i)));
        }
        Path f = dir.resolve("hosts.json");
        Files.writeString(f, "{\"hosts\": [\n    " + hosts + "],\n \"nodes\": {" + nodes + "},\n \"database\": " + database
                + ",\n \"known_hosts\": \"" + knownHosts() + "\",\n \"remote_dir\": \"" + dir.resolve("remote") + "\"" + extra + "}\n");
        return f;
    }

    /** The folder the hosts' run folders go under (one machine: all hosts share it). */
    public Path remoteBase() {
        return dir.resolve("remote");
    }

    /** The PIDs of processes in host {@code i}'s namespace that are not its sshd or sshd's session children. */
    public List<Long> pidsInHost(int i) throws IOException, InterruptedException {
        List<Long> out = new ArrayList<>();
        for (String l : sh.check(List.of("ip", "netns", "pids", namespace(i))).split("\n")) {
            if (!l.isBlank()) {
                long pid = Long.parseLong(l.trim());
                String cmd = ProcessHandle.of(pid).flatMap(h -> h.info().command()).orElse("");
                if (!cmd.endsWith("/sshd") && !cmd.endsWith("/sftp-server")) {
                    out.add(pid);
                }
            }
        }
        return out;
    }

    @Override
    public void close() {
        for (Process p : sshds) {
            p.destroy();
        }
        for (Process p : sshds) {
            try {
                if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        // the host end of each veth first: deleting it removes both ends at once, whereas a deleted
        // namespace may linger in the kernel (sockets of killed processes) and keep its veth alive
        for (String veth : veths) {
            quietly(List.of("ip", "link", "del", veth));
        }
        veths.clear();
        for (String ns : namespaces) {
            quietly(List.of("ip", "netns", "del", ns));
        }
        namespaces.clear();
        if (bridge) {
            quietly(List.of("ip", "link", "del", "dcs" + k + "br"));
            bridge = false;
        }
        if (madeRunSshd) {
            try {
                Files.deleteIfExists(Path.of("/run/sshd"));
            } catch (IOException e) {
                // not empty: someone else uses it now
            }
        }
    }

    private void quietly(List<String> cmd) {
        try {
            sh.run(cmd);
        } catch (IOException e) {
            // best effort
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
