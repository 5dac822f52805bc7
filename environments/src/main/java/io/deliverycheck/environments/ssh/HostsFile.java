package io.deliverycheck.environments.ssh;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code hosts.json} of the ssh environment: which machines, how to log in, which node runs
 * where, and where the database runs. Every problem is one line naming the file, the field and what
 * is wrong ({@link HostsFileException}); unknown fields are refused, so a typo never goes unnoticed.
 * Relative paths ({@code key}, {@code known_hosts}) are relative to the file's folder; {@code ~/}
 * is the user's home. The format is documented in docs/real-hosts.md:
 * <pre>{@code
 * {"hosts": [{"name": "a", "address": "192.0.2.11", "user": "dc", "key": "~/.ssh/id_ed25519"}, ...],
 *  "nodes": {"n1": "a", "n2": "b", "n3": "c"},
 *  "database": {"host": "harness", "address": "192.0.2.1"}}
 * }</pre>
 *
 * @param file        the file read (for messages)
 * @param hosts       the hosts by name, in file order
 * @param nodes       node name (n1..nN) to host name, in node order
 * @param database    where the database runs
 * @param knownHosts  the OpenSSH known_hosts file every host key is checked against
 * @param remoteDir   the folder on each host under which the run's own folder is made (and removed)
 * @param watchdog    how long a host's watchdog waits without a heartbeat before it cleans up
 */
public record HostsFile(Path file, Map<String, Host> hosts, Map<String, String> nodes, Database database,
                        Path knownHosts, String remoteDir, Duration watchdog) {

    /** One machine. {@code sudo}: run iptables through {@code sudo -n} (default: when the user is not root). */
    public record Host(String name, String address, int port, String user, Path key, String java, boolean sudo,
                       int httpPort, int clusterPort) {
        /** {@code user@address:port}, for messages. */
        public String describe() {
            return name + " (" + user + "@" + address + ":" + port + ")";
        }
    }

    /**
     * Where PostgreSQL runs: the harness's own ({@code host} "harness", listening on {@code address},
     * the harness's address as the hosts see it) or one started on a host from the bundled binaries
     * ({@code host} a host name, listening on {@code port} of that host's address).
     */
    public record Database(String host, String address, int port) {
        public static final String HARNESS = "harness";

        public boolean onHarness() {
            return host.equals(HARNESS);
        }
    }

    private static final Set<String> TOP = Set.of("hosts", "nodes", "database", "known_hosts", "remote_dir", "watchdog_timeout_s");
    private static final Set<String> HOST = Set.of("name", "address", "port", "user", "key", "java", "sudo", "http_port", "cluster_port");
    private static final Set<String> DB_HARNESS = Set.of("host", "address");
    private static final Set<String> DB_HOST = Set.of("host", "port");

    /** Reads and validates {@code file}; throws {@link HostsFileException} naming the first problem. */
    public static HostsFile read(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new HostsFileException(file + ": no such file (the --hosts file of the ssh environment)");
        } catch (IOException e) {
            throw new HostsFileException(file + ": cannot read: " + e.getMessage());
        }
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(text);
        } catch (JsonProcessingException e) {
            JsonLocation l = e.getLocation();
            throw new HostsFileException(file + (l == null ? "" : ":" + l.getLineNr() + ":" + l.getColumnNr())
                    + ": not JSON: " + e.getOriginalMessage());
        }
        return new Parser(file).parse(root);
    }

    /** The host of {@code node}. */
    public Host hostOf(String node) {
        return hosts.get(nodes.get(node));
    }

    /** The hosts that run a node or the database, in file order. */
    public List<Host> usedHosts() {
        List<Host> out = new ArrayList<>();
        for (Host h : hosts.values()) {
            if (nodes.containsValue(h.name()) || h.name().equals(database.host())) {
                out.add(h);
            }
        }
        return out;
    }

    /** Throws unless the file names exactly the nodes {@code names} (n1..nN of the configuration). */
    public void requireNodes(List<String> names) {
        if (!new ArrayList<>(nodes.keySet()).equals(names)) {
            throw new HostsFileException(file + ": nodes: names " + String.join(", ", nodes.keySet()) + " but the test runs "
                    + names.size() + " node" + (names.size() == 1 ? "" : "s") + " (" + String.join(", ", names)
                    + "); give one host per node, or set --nodes " + nodes.size());
        }
    }

    private static final class Parser {
        private final Path file;
        private final Path base;

        Parser(Path file) {
            this.file = file;
            Path parent = file.toAbsolutePath().getParent();
            this.base = parent == null ? Path.of("").toAbsolutePath() : parent;
        }

        private HostsFileException bad(String field, String problem) {
            return new HostsFileException(file + ": " + field + ": " + problem);
        }

        HostsFile parse(JsonNode root) {
            if (!root.isObject()) {
                throw new HostsFileException(file + ": must be a JSON object with hosts, nodes and database");
            }
            known(root, "", TOP);
            Path knownHosts = pathOr(root, "known_hosts", "~/.ssh/known_hosts");
            if (!Files.isRegularFile(knownHosts)) {
                throw bad("known_hosts", knownHosts + ": no such file (every host key is checked against it; add the hosts "
                        + "with ssh-keyscan, see docs/real-hosts.md)");
            }
            String remoteDir = text(root, "remote_dir", "/tmp/deliverycheck");
            if (!remoteDir.startsWith("/") || remoteDir.contains("'") || remoteDir.matches(".*\\s.*") || remoteDir.equals("/")) {
                throw bad("remote_dir", "'" + remoteDir + "' must be an absolute folder without spaces or quotes, not /");
            }
            int watchdogS = integer(root, "watchdog_timeout_s", 30, 5, 3600);

            JsonNode hostsNode = root.get("hosts");
            if (hostsNode == null) {
                throw bad("hosts", "missing (a list of {\"name\", \"address\", \"user\", \"key\"})");
            }
            if (!hostsNode.isArray() || hostsNode.isEmpty()) {
                throw bad("hosts", "must be a non-empty list of hosts");
            }
            Map<String, Host> hosts = new LinkedHashMap<>();
            Set<String> addresses = new LinkedHashSet<>();
            for (int i = 0; i < hostsNode.size(); i++) {
                Host h = host(hostsNode.get(i), "hosts[" + i + "]");
                if (hosts.containsKey(h.name())) {
                    throw bad("hosts[" + i + "].name", "'" + h.name() + "' is used twice");
                }
                if (!addresses.add(h.address())) {
                    throw bad("hosts[" + i + "].address", h.address() + " is the address of another host too");
                }
                hosts.put(h.name(), h);
            }

            JsonNode nodesNode = root.get("nodes");
            if (nodesNode == null) {
                throw bad("nodes", "missing (which host runs which node: {\"n1\": \"a\", \"n2\": \"b\", ...})");
            }
            if (!nodesNode.isObject() || nodesNode.isEmpty()) {
                throw bad("nodes", "must be an object from node name to host name, e.g. {\"n1\": \"a\"}");
            }
            Map<String, String> nodes = new LinkedHashMap<>();
            Map<String, String> nodeOnHost = new LinkedHashMap<>();
            int k = 1;
            for (Iterator<Map.Entry<String, JsonNode>> it = nodesNode.fields(); it.hasNext(); k++) {
                Map.Entry<String, JsonNode> e = it.next();
                String field = "nodes." + e.getKey();
                if (!e.getKey().equals("n" + k)) {
                    throw bad(field, "nodes must be named n1, n2, ... in order; expected n" + k);
                }
                if (!e.getValue().isTextual()) {
                    throw bad(field, "must be a host name (one of " + String.join(", ", hosts.keySet()) + ")");
                }
                String h = e.getValue().asText();
                if (!hosts.containsKey(h)) {
                    throw bad(field, "no host named '" + h + "' (hosts: " + String.join(", ", hosts.keySet()) + ")");
                }
                String other = nodeOnHost.put(h, e.getKey());
                if (other != null) {
                    throw bad(field, "host " + h + " already runs " + other + "; one node per host (a partition is "
                            + "firewall rules on the hosts' addresses)");
                }
                nodes.put(e.getKey(), h);
            }
            if (nodes.size() > 9) {
                throw bad("nodes", nodes.size() + " nodes; at most 9");
            }

            Database db = database(root.get("database"), hosts);
            return new HostsFile(file, hosts, nodes, db, knownHosts, remoteDir, Duration.ofSeconds(watchdogS));
        }

        private Host host(JsonNode n, String at) {
            if (n == null || !n.isObject()) {
                throw bad(at, "must be an object with name, address, user and key");
            }
            known(n, at + ".", HOST);
            String name = requiredText(n, at, "name");
            if (!name.matches("[A-Za-z0-9][A-Za-z0-9_.-]*")) {
                throw bad(at + ".name", "'" + name + "' must be letters, digits, '.', '_' or '-'");
            }
            String address = requiredText(n, at, "address");
            if (!ipv4(address)) {
                throw bad(at + ".address", "'" + address + "' must be an IPv4 address (the nodes bind it, peers dial it, "
                        + "and the partition rules match it)");
            }
            int port = integer(n, at, "port", 22, 1, 65535);
            String user = requiredText(n, at, "user");
            if (!user.matches("[A-Za-z0-9_][A-Za-z0-9_.-]*")) {
                throw bad(at + ".user", "'" + user + "' is not a user name");
            }
            if (!n.has("key")) {
                throw bad(at + ".key", "missing (the private key file to log in with, e.g. ~/.ssh/id_ed25519)");
            }
            Path key = requiredPath(n, at, "key");
            if (!Files.isRegularFile(key)) {
                throw bad(at + ".key", key + ": no such file");
            }
            if (!Files.isReadable(key)) {
                throw bad(at + ".key", key + ": not readable");
            }
            String java = text(n, at, "java", "java");
            boolean sudo;
            JsonNode s = n.get("sudo");
            if (s == null) {
                sudo = !user.equals("root");
            } else if (s.isBoolean()) {
                sudo = s.asBoolean();
            } else {
                throw bad(at + ".sudo", "must be true or false, not " + s);
            }
            int http = integer(n, at, "http_port", 8080, 1, 65535);
            int cluster = integer(n, at, "cluster_port", 7800, 1, 65535);
            if (http == cluster) {
                throw bad(at + ".cluster_port", cluster + " is the http_port too");
            }
            return new Host(name, address, port, user, key, java, sudo, http, cluster);
        }

        private Database database(JsonNode n, Map<String, Host> hosts) {
            if (n == null) {
                throw bad("database", "missing: {\"host\": \"harness\", \"address\": \"<the harness's address as the hosts see it>\"} "
                        + "or {\"host\": \"<a host name>\"}");
            }
            if (!n.isObject()) {
                throw bad("database", "must be an object, e.g. {\"host\": \"harness\", \"address\": \"192.0.2.1\"}");
            }
            String host = requiredText(n, "database", "host");
            if (host.equals(Database.HARNESS)) {
                known(n, "database.", DB_HARNESS);
                String address = requiredText(n, "database", "address");
                if (!ipv4(address)) {
                    throw bad("database.address", "'" + address + "' must be the harness's IPv4 address as the hosts reach it");
                }
                return new Database(host, address, 0);
            }
            known(n, "database.", DB_HOST);
            Host h = hosts.get(host);
            if (h == null) {
                throw bad("database.host", "no host named '" + host + "' (hosts: " + String.join(", ", hosts.keySet())
                        + ", or \"harness\")");
            }
            int port = integer(n, "database", "port", 15432, 1, 65535);
            if (port == h.httpPort() || port == h.clusterPort()) {
                throw bad("database.port", port + " is a node port of host " + h.name() + " too");
            }
            return new Database(host, h.address(), port);
        }

        private static boolean ipv4(String a) {
            String[] parts = a.split("\\.", -1);
            if (parts.length != 4) {
                return false;
            }
            for (String p : parts) {
                if (!p.matches("\\d{1,3}") || Integer.parseInt(p) > 255) {
                    return false;
                }
            }
            return true;
        }

        private void known(JsonNode n, String prefix, Set<String> allowed) {
            for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (!allowed.contains(f)) {
                    throw bad(prefix + f, "unknown field (known: " + String.join(", ", new java.util.TreeSet<>(allowed)) + ")");
                }
            }
        }

        private String requiredText(JsonNode n, String at, String field) {
            JsonNode v = n.get(field);
            if (v == null) {
                throw bad(at + "." + field, "missing");
            }
            if (!v.isTextual() || v.asText().isBlank()) {
                throw bad(at + "." + field, "must be a non-empty string, not " + v);
            }
            return v.asText();
        }

        private String text(JsonNode n, String field, String dflt) {
            return text(n, null, field, dflt);
        }

        private String text(JsonNode n, String at, String field, String dflt) {
            JsonNode v = n.get(field);
            if (v == null) {
                return dflt;
            }
            if (!v.isTextual() || v.asText().isBlank()) {
                throw bad((at == null ? "" : at + ".") + field, "must be a non-empty string, not " + v);
            }
            return v.asText();
        }

        private int integer(JsonNode n, String field, int dflt, int min, int max) {
            return integer(n, null, field, dflt, min, max);
        }

        private int integer(JsonNode n, String at, String field, int dflt, int min, int max) {
            JsonNode v = n.get(field);
            String f = (at == null ? "" : at + ".") + field;
            if (v == null) {
                return dflt;
            }
            if (!v.isIntegralNumber() || v.asLong() < min || v.asLong() > max) {
                throw bad(f, v + " must be a whole number from " + min + " to " + max);
            }
            return v.asInt();
        }

        private Path pathOr(JsonNode n, String field, String dflt) {
            return resolve(text(n, field, dflt));
        }

        private Path requiredPath(JsonNode n, String at, String field) {
            return resolve(requiredText(n, at, field));
        }

        private Path resolve(String p) {
            if (p.equals("~") || p.startsWith("~/")) {
                return Path.of(System.getProperty("user.home")).resolve(p.length() <= 2 ? "" : p.substring(2)).normalize();
            }
            return base.resolve(p).normalize();
        }
    }
}
