package io.deliverycheck.environments.ssh;

import io.deliverycheck.checker.runner.Grudge;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The iptables rules of a grudge on the hosts of an ssh environment, as data (a pure function, tested
 * without hosts). Rules live in two chains of the run's own, {@code DCI-<tag>} (jumped to first from
 * INPUT) and {@code DCO-<tag>} (from OUTPUT), which the environment creates at setup and removes at
 * close, and which each host's watchdog removes if the harness dies; the machine's own rules are
 * never touched.
 *
 * <p>Packets are dropped (not rejected), as in Jepsen: connections across the cut hang until their
 * timeouts. Rules match the run's ports, never a whole address, so the harness's SSH sessions, the
 * client and admin links (the harness to each node's HTTP port) and anything else on the hosts keep
 * working: "node j refuses node i" drops, on j's host, TCP from i's address to j's cluster port
 * (i's connections to j) and from i's cluster port (j's connections to i); "j refuses the database"
 * drops TCP from the database's address and port; "the database refuses j" is enforced on the
 * database's host when it is one of the hosts (input to its port from j's address), and on j's host,
 * on the way out, when the database is the harness's own. A rule is
 * {@code "I <match> -j DROP"} or {@code "O <match> -j DROP"} (see dc-remote.sh {@code fw-set}).
 */
final class Firewall {

    /** Where a node listens: its host's name and address, and its cluster port. */
    record NodeAt(String host, String address, int clusterPort) {
    }

    private final Map<String, NodeAt> nodes;
    private final String dbHost;     // null: the database is the harness's own
    private final String dbAddress;
    private final int dbPort;

    /**
     * @param nodes     the nodes in order
     * @param dbHost    the host running the database, or null when it is the harness's own
     * @param dbAddress the database's address (the harness's, or its host's)
     * @param dbPort    the database's port
     */
    Firewall(Map<String, NodeAt> nodes, String dbHost, String dbAddress, int dbPort) {
        this.nodes = new LinkedHashMap<>(nodes);
        this.dbHost = dbHost;
        this.dbAddress = dbAddress;
        this.dbPort = dbPort;
    }

    /** The hosts that carry rules: every node's host and the database's host. */
    List<String> hosts() {
        List<String> hs = new ArrayList<>();
        nodes.values().forEach(n -> {
            if (!hs.contains(n.host())) {
                hs.add(n.host());
            }
        });
        if (dbHost != null && !hs.contains(dbHost)) {
            hs.add(dbHost);
        }
        return hs;
    }

    /**
     * The rules of {@code grudge} per host; every host of {@link #hosts} has an entry (empty: no
     * rules), so applying the map replaces the previous grudge everywhere.
     */
    Map<String, List<String>> rules(Grudge grudge) {
        for (String m : grudge.refuses().keySet()) {
            if (!m.equals(Grudge.DB) && !nodes.containsKey(m)) {
                throw new IllegalArgumentException("grudge names unknown member '" + m + "' (members: " + nodes.keySet() + ", db)");
            }
        }
        Map<String, List<String>> out = new LinkedHashMap<>();
        hosts().forEach(h -> out.put(h, new ArrayList<>()));
        String db = Integer.toString(dbPort);
        nodes.forEach((j, at) -> {
            List<String> r = out.get(at.host());
            for (String i : grudge.refuses().getOrDefault(j, java.util.Set.of())) {
                if (i.equals(Grudge.DB)) {
                    r.add("I -s " + dbAddress + " -p tcp --sport " + db + " -j DROP");
                } else {
                    NodeAt from = nodes.get(i);
                    r.add("I -s " + from.address() + " -p tcp --dport " + at.clusterPort() + " -j DROP");
                    r.add("I -s " + from.address() + " -p tcp --sport " + from.clusterPort() + " -j DROP");
                }
            }
            if (grudge.refuses(Grudge.DB, j)) {
                if (dbHost == null) {
                    r.add("O -d " + dbAddress + " -p tcp --dport " + db + " -j DROP");
                } else {
                    out.get(dbHost).add("I -s " + at.address() + " -p tcp --dport " + db + " -j DROP");
                }
            }
        });
        return out;
    }
}
