package io.deliverycheck.environments.netns;

import io.deliverycheck.checker.runner.Grudge;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The private network of one netns environment, and the faults on it; all through a {@link Shell}.
 * <pre>
 *   root namespace: bridge dc&lt;k&gt;br, 10.77.k.1/24 (harness, database)
 *     |-- veth dc&lt;k&gt;n1h  ==  eth0 10.77.k.11/24 in namespace dc&lt;k&gt;-n1
 *     |-- veth dc&lt;k&gt;n2h  ==  eth0 10.77.k.12/24 in namespace dc&lt;k&gt;-n2
 * </pre>
 * No default route, no NAT, no forwarding: traffic cannot leave the machine. {@code k} is the first
 * subnet index not used by another environment. A partition is iptables rules inside the node
 * namespaces (a member drops input from those it refuses; the database is addressed by its port, since
 * the harness shares its address); a link delay is {@code tc netem} on each node's eth0. Deleting the
 * namespaces and the bridge removes every link and rule.
 */
public final class NetnsNetwork {

    private final Shell sh;
    private final int k;
    private final List<String> nodes;
    private final Map<String, String> ipOf = new LinkedHashMap<>();
    private final List<String> namespaces = new ArrayList<>();
    private final List<String> veths = new ArrayList<>();
    private boolean bridgeUp;
    private int dbPort;

    NetnsNetwork(Shell sh, int k, List<String> nodes) {
        this.sh = sh;
        this.k = k;
        this.nodes = List.copyOf(nodes);
        for (int i = 0; i < nodes.size(); i++) {
            ipOf.put(nodes.get(i), "10.77." + k + "." + (11 + i));
        }
    }

    /** Picks the first subnet index 1..250 whose bridge and route are free. */
    static int freeIndex(Shell sh) throws IOException, InterruptedException {
        String links = sh.check(List.of("ip", "-o", "link", "show"));
        String routes = sh.check(List.of("ip", "-4", "route", "show"));
        String netns = sh.run(List.of("ip", "netns", "list")).output();
        for (int k = 1; k <= 250; k++) {
            if (!links.contains("dc" + k + "br") && !routes.contains("10.77." + k + ".") && !netns.contains("dc" + k + "-")) {
                return k;
            }
        }
        throw new IOException("no free 10.77.k.0/24 subnet for a netns environment (250 in use?)");
    }

    public String bridgeIp() {
        return "10.77." + k + ".1";
    }

    public String subnet() {
        return "10.77." + k + ".0/24";
    }

    public String ip(String node) {
        return ipOf.get(node);
    }

    public String namespace(String node) {
        return "dc" + k + "-" + node;
    }

    String bridge() {
        return "dc" + k + "br";
    }

    String hostVeth(String node) {
        return "dc" + k + node + "h";
    }

    /** Creates the bridge, the namespaces and their veth links. */
    public void create() throws IOException, InterruptedException {
        sh.check(List.of("ip", "link", "add", bridge(), "type", "bridge"));
        bridgeUp = true;
        sh.check(List.of("ip", "addr", "add", bridgeIp() + "/24", "dev", bridge()));
        sh.check(List.of("ip", "link", "set", bridge(), "up"));
        for (String n : nodes) {
            String ns = namespace(n);
            sh.check(List.of("ip", "netns", "add", ns));
            namespaces.add(ns);
            sh.check(List.of("ip", "link", "add", hostVeth(n), "type", "veth", "peer", "name", "eth0", "netns", ns));
            veths.add(hostVeth(n));
            sh.check(List.of("ip", "link", "set", hostVeth(n), "master", bridge(), "up"));
            sh.check(List.of("ip", "netns", "exec", ns, "ip", "addr", "add", ip(n) + "/24", "dev", "eth0"));
            sh.check(List.of("ip", "netns", "exec", ns, "ip", "link", "set", "eth0", "up"));
            sh.check(List.of("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"));
        }
    }

    /** Tells the network the database's port (partitions of the database match on it). */
    void databasePort(int port) {
        this.dbPort = port;
    }

    /** The command prefix that runs a program inside {@code node}'s namespace. */
    public List<String> exec(String node) {
        return List.of("ip", "netns", "exec", namespace(node));
    }

    /** Replaces the rules of every namespace by those of {@code grudge}. */
    public void partition(Grudge grudge) throws IOException, InterruptedException {
        for (String m : grudge.refuses().keySet()) {
            if (!m.equals(Grudge.DB) && !ipOf.containsKey(m)) {
                throw new IllegalArgumentException("grudge names unknown member '" + m + "' (members: " + nodes + ", db)");
            }
        }
        heal();
        for (String n : nodes) {
            List<String> ipt = new ArrayList<>(exec(n));
            ipt.add("iptables");
            for (String from : grudge.refuses().getOrDefault(n, java.util.Set.of())) {
                if (from.equals(Grudge.DB)) {
                    sh.check(with(ipt, "-A", "INPUT", "-s", bridgeIp(), "-p", "tcp", "--sport", Integer.toString(dbPort), "-j", "DROP"));
                } else {
                    sh.check(with(ipt, "-A", "INPUT", "-s", ip(from), "-j", "DROP"));
                }
            }
            if (grudge.refuses(Grudge.DB, n)) {
                // the database is in the root namespace: its refusal is enforced at the node, on the way out
                sh.check(with(ipt, "-A", "OUTPUT", "-d", bridgeIp(), "-p", "tcp", "--dport", Integer.toString(dbPort), "-j", "DROP"));
            }
        }
    }

    /** Removes every partition rule. */
    public void heal() throws IOException, InterruptedException {
        for (String n : nodes) {
            List<String> ipt = new ArrayList<>(exec(n));
            ipt.add("iptables");
            sh.check(with(ipt, "-F", "INPUT"));
            sh.check(with(ipt, "-F", "OUTPUT"));
        }
    }

    /** {@code tc netem} delay on every node's eth0 (egress, so each direction between nodes is delayed once per hop). */
    public void delay(Duration d) throws IOException, InterruptedException {
        for (String n : nodes) {
            List<String> tc = new ArrayList<>(exec(n));
            tc.addAll(List.of("tc", "qdisc", "replace", "dev", "eth0", "root", "netem", "delay", d.toMillis() + "ms"));
            Shell.Result r = sh.run(tc);
            if (r.exitCode() != 0) {
                if (r.output().contains("qdisc kind is unknown")) {
                    throw new UnsupportedOperationException("tc netem is not available in this kernel (module sch_netem): "
                            + "link delays cannot run in the netns environment here");
                }
                throw new IOException("'" + String.join(" ", tc) + "' failed: " + r.output().trim());
            }
        }
    }

    /** Removes the netem delay (a missing qdisc is fine). */
    public void clearDelay() throws IOException, InterruptedException {
        for (String n : nodes) {
            List<String> tc = new ArrayList<>(exec(n));
            tc.addAll(List.of("tc", "qdisc", "del", "dev", "eth0", "root"));
            sh.run(tc);
        }
    }

    /** Deletes the namespaces (with their veths and rules) and the bridge. Idempotent; never throws. */
    public void destroy() {
        for (String ns : new ArrayList<>(namespaces)) {
            quietly(List.of("ip", "netns", "del", ns));
            namespaces.remove(ns);
        }
        for (String v : new ArrayList<>(veths)) {
            quietly(List.of("ip", "link", "del", v));  // normally gone with its namespace
            veths.remove(v);
        }
        if (bridgeUp) {
            quietly(List.of("ip", "link", "del", bridge()));
            bridgeUp = false;
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

    private static List<String> with(List<String> prefix, String... rest) {
        List<String> l = new ArrayList<>(prefix);
        l.addAll(List.of(rest));
        return l;
    }
}
