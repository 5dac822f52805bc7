package io.deliverycheck.systems.file;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.deliverycheck.checker.runner.Fault;
import io.deliverycheck.systems.Claims;
import io.deliverycheck.systems.SystemOption;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A system under test described as data ({@code --system-file F}, docs/systems.md "A system
 * described by a file"): how to start, check and stop each node, the ports it binds and which of
 * them the harness proxies, the protocol its clients speak, its claims and the faults that apply.
 * {@link #read} validates the whole file before anything starts: an error is one line,
 * {@code FILE: /json/pointer: what is wrong} ({@link SystemFileException}).
 *
 * @param file where it was read from (absolute)
 * @param name the {@code system} op's name
 * @param version the {@code system} op's version
 * @param summary one line for {@code deliverycheck systems}
 * @param protocol what the harness's clients speak: {@code deliverycheck}
 * @param ports the node's ports by name, in file order
 * @param database {@code none}, or {@code postgres}: the harness's own PostgreSQL behind a proxy per node
 * @param start the command that starts one node
 * @param health how to know a node is healthy
 * @param stop how to stop a node at the end of the run
 * @param claims what the system claims
 * @param retryHorizonMs the longest a correct node may take to hand an unacknowledged delivery out again
 * @param faults the fault kinds that apply
 * @param options the {@code --system-opt K=V} the file declares ({@code {opt.K}} in commands)
 * @param maxNodes the most nodes the service runs as one cluster (1 for a single-node service)
 */
public record SystemFile(Path file, String name, String version, String summary, String protocol,
                         Map<String, Port> ports, String database, Command start, Health health, Stop stop,
                         Claims claims, long retryHorizonMs, List<String> faults, List<SystemOption> options,
                         int maxNodes) {

    /** The protocols a system file may name. */
    public static final List<String> PROTOCOLS = List.of("deliverycheck");
    /** Port roles: the clients' port, a port peers reach each other on, a port only the node itself knows. */
    public static final List<String> ROLES = List.of("client", "peer", "internal");
    public static final List<String> DATABASES = List.of("none", "postgres");
    public static final List<String> SIGNALS = List.of("TERM", "INT", "HUP", "QUIT", "KILL");
    /** Faults a system file may list that no local environment offers yet: named in the error. */
    static final List<String> NOT_OFFERED = List.of("clock-skew", "corrupt-file");

    /** A port of each node: its role decides whether and how the harness proxies it. */
    public record Port(String name, String role) {}

    /** A command line and the environment variables added to the harness's own. */
    public record Command(List<String> command, Map<String, String> env) {}

    /**
     * How to know a node is healthy: exactly one of an HTTP path on the client port (with the status
     * expected and, optionally, a JSON pointer into the answer that must list every node's id), a
     * TCP port that accepts, or a command that exits 0.
     */
    public record Health(String httpPath, int status, String nodesAt, String tcpPort, Command command,
                         long timeoutMs) {}

    /** How to stop a node: a signal, or a command; then {@code graceMs} before SIGKILL of its tree. */
    public record Stop(String signal, Command command, long graceMs) {}

    /** The port whose role is {@code client}. */
    public Port clientPort() {
        return ports.values().stream().filter(p -> p.role().equals("client")).findFirst().orElseThrow();
    }

    public List<Port> peerPorts() {
        return ports.values().stream().filter(p -> p.role().equals("peer")).toList();
    }

    /** Reads and validates {@code file}; throws {@link SystemFileException} with one line. */
    public static SystemFile read(Path file) {
        Path abs = file.toAbsolutePath().normalize();
        if (!Files.isRegularFile(abs)) {
            throw new SystemFileException(file + ": no such system file");
        }
        JsonNode root;
        try {
            ObjectMapper m = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
                    .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
            root = m.readTree(abs.toFile());
        } catch (JsonParseException e) {
            var loc = e.getLocation();
            throw new SystemFileException(file + ":" + loc.getLineNr() + ":" + loc.getColumnNr() + ": not valid JSON: "
                    + e.getOriginalMessage());
        } catch (IOException e) {
            throw new SystemFileException(file + ": cannot read: " + e.getMessage());
        }
        return new Parser(file.toString(), abs).parse(root);
    }

    /** Parses already read JSON ({@code label} names it in errors). */
    public static SystemFile parse(String label, Path file, JsonNode root) {
        return new Parser(label, file.toAbsolutePath().normalize()).parse(root);
    }

    private static final class Parser {
        private final String label;
        private final Path file;

        Parser(String label, Path file) {
            this.label = label;
            this.file = file;
        }

        private SystemFileException error(String pointer, String what) {
            return new SystemFileException(label + ": " + (pointer.isEmpty() ? "/" : pointer) + ": " + what);
        }

        SystemFile parse(JsonNode root) {
            object(root, "", "must be an object {\"name\": ..., \"start\": ..., ...}");
            keys(root, "", Set.of("name", "version", "summary", "protocol", "ports", "database", "start", "health",
                    "stop", "claims", "retry_horizon_ms", "faults", "options", "max_nodes"));
            String name = text(root, "/name", true);
            if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
                throw error("/name", "must be letters, digits, '.', '_' or '-' (it names the system), found \"" + name + "\"");
            }
            String version = text(root, "/version", true);
            String summary = root.has("summary") ? text(root, "/summary", true) : "described by " + label;
            String protocol = choice(root, "/protocol", PROTOCOLS, null);
            Map<String, Port> ports = ports(root.get("ports"));
            String database = choice(root, "/database", DATABASES, "none");
            List<SystemOption> options = options(root.get("options"));
            Placeholders known = Placeholders.known(ports.keySet(), database.equals("postgres"),
                    options.stream().map(SystemOption::name).toList());
            Command start = command(root.get("start"), "/start", known, true);
            Health health = health(root.get("health"), ports, known);
            Stop stop = stop(root.get("stop"), known);
            Claims claims = claims(root.get("claims"));
            long horizon = millis(root, "/retry_horizon_ms", -1, true);
            List<String> faults = faults(root.get("faults"), ports, database);
            int maxNodes = root.has("max_nodes") ? (int) integer(root, "/max_nodes", 1, 9) : 9;
            return new SystemFile(file, name, version, summary, protocol, ports, database, start, health, stop, claims,
                    horizon, faults, options, maxNodes);
        }

        private Map<String, Port> ports(JsonNode n) {
            if (n == null) {
                throw error("/ports", "missing: name the node's ports, e.g. {\"http\": \"client\", \"cluster\": \"peer\"}");
            }
            object(n, "/ports", "must be an object of port name to role (" + String.join(", ", ROLES) + ")");
            Map<String, Port> out = new LinkedHashMap<>();
            Iterator<Map.Entry<String, JsonNode>> it = n.fields();
            while (it.hasNext()) {
                var e = it.next();
                String p = "/ports/" + e.getKey();
                if (e.getKey().startsWith("//")) {
                    continue;
                }
                if (!e.getKey().matches("[a-z][a-z0-9_-]{0,31}")) {
                    throw error(p, "a port name is lower-case letters, digits, '_' or '-'");
                }
                if (!e.getValue().isTextual() || !ROLES.contains(e.getValue().asText())) {
                    throw error(p, "must be one of " + String.join(", ", ROLES) + ", found " + e.getValue());
                }
                out.put(e.getKey(), new Port(e.getKey(), e.getValue().asText()));
            }
            long clients = out.values().stream().filter(x -> x.role().equals("client")).count();
            if (clients != 1) {
                throw error("/ports", "exactly one port must have the role client (the one the harness's clients use), found " + clients);
            }
            return out;
        }

        private List<SystemOption> options(JsonNode n) {
            List<SystemOption> out = new ArrayList<>();
            if (n == null) {
                return out;
            }
            object(n, "/options", "must be an object of option name to {\"default\", \"values\", \"description\"}");
            Iterator<Map.Entry<String, JsonNode>> it = n.fields();
            while (it.hasNext()) {
                var e = it.next();
                if (e.getKey().startsWith("//")) {
                    continue;
                }
                String p = "/options/" + e.getKey();
                if (!e.getKey().matches("[a-z][a-z0-9_-]{0,31}")) {
                    throw error(p, "an option name is lower-case letters, digits, '_' or '-'");
                }
                JsonNode o = e.getValue();
                object(o, p, "must be an object {\"default\": ..., \"values\": [...], \"description\": ...}");
                keys(o, p, Set.of("default", "values", "description"));
                String dflt = text(o, p + "/default", true);
                List<String> values = o.has("values") ? strings(o.get("values"), p + "/values", false) : List.of();
                if (!values.isEmpty() && !values.contains(dflt)) {
                    throw error(p + "/default", "\"" + dflt + "\" is not among /values " + values);
                }
                String description = o.has("description") ? text(o, p + "/description", true) : "";
                out.add(new SystemOption(e.getKey(), dflt, values, description));
            }
            return out;
        }

        private Command command(JsonNode n, String p, Placeholders known, boolean required) {
            if (n == null) {
                if (required) {
                    throw error(p, "missing: {\"command\": [\"program\", \"arg\", ...], \"env\": {...}}");
                }
                return null;
            }
            object(n, p, "must be an object {\"command\": [...], \"env\": {...}}");
            keys(n, p, Set.of("command", "env"));
            if (n.get("command") == null) {
                throw error(p + "/command", "missing: the program and its arguments, e.g. [\"./my-service\", \"--port\", \"{port.http}\"]");
            }
            List<String> cmd = strings(n.get("command"), p + "/command", true);
            for (int i = 0; i < cmd.size(); i++) {
                known.check(cmd.get(i), p + "/command/" + i, this::error);
            }
            Map<String, String> env = new LinkedHashMap<>();
            JsonNode e = n.get("env");
            if (e != null) {
                object(e, p + "/env", "must be an object of variable name to value");
                Iterator<Map.Entry<String, JsonNode>> it = e.fields();
                while (it.hasNext()) {
                    var v = it.next();
                    String vp = p + "/env/" + v.getKey();
                    if (v.getKey().startsWith("//")) {
                        continue;
                    }
                    if (!v.getKey().matches("[A-Za-z_][A-Za-z0-9_]*")) {
                        throw error(vp, "not a valid environment variable name");
                    }
                    if (!v.getValue().isTextual()) {
                        throw error(vp, "must be a string, found " + v.getValue());
                    }
                    known.check(v.getValue().asText(), vp, this::error);
                    env.put(v.getKey(), v.getValue().asText());
                }
            }
            return new Command(cmd, env);
        }

        private Health health(JsonNode n, Map<String, Port> ports, Placeholders known) {
            String p = "/health";
            if (n == null) {
                throw error(p, "missing: {\"http\": \"/health\"}, {\"tcp\": \"PORT\"} or {\"command\": [...]}");
            }
            object(n, p, "must be an object: {\"http\": \"/health\"}, {\"tcp\": \"PORT\"} or {\"command\": [...]}");
            keys(n, p, Set.of("http", "status", "nodes_at", "tcp", "command", "env", "timeout_ms"));
            int kinds = (n.has("http") ? 1 : 0) + (n.has("tcp") ? 1 : 0) + (n.has("command") ? 1 : 0);
            if (kinds != 1) {
                throw error(p, "give exactly one of http, tcp, command, found " + kinds);
            }
            long timeout = millis(n, p + "/timeout_ms", 90_000, false);
            if (!n.has("http")) {
                for (String k : List.of("status", "nodes_at")) {
                    if (n.has(k)) {
                        throw error(p + "/" + k, "only for an http health check");
                    }
                }
            }
            if (n.has("env") && !n.has("command")) {
                throw error(p + "/env", "only for a command health check");
            }
            if (n.has("http")) {
                String path = text(n, p + "/http", true);
                if (!path.startsWith("/")) {
                    throw error(p + "/http", "must be a path on the client port starting with '/', found \"" + path + "\"");
                }
                int status = n.has("status") ? (int) integer(n, p + "/status", 100, 599) : 200;
                String nodesAt = null;
                if (n.has("nodes_at")) {
                    nodesAt = text(n, p + "/nodes_at", true);
                    if (!nodesAt.startsWith("/")) {
                        throw error(p + "/nodes_at", "must be a JSON pointer such as \"/view\", found \"" + nodesAt + "\"");
                    }
                }
                return new Health(path, status, nodesAt, null, null, timeout);
            }
            if (n.has("tcp")) {
                String port = text(n, p + "/tcp", true);
                if (!ports.containsKey(port)) {
                    throw error(p + "/tcp", "no port named \"" + port + "\" in /ports (ports: " + String.join(", ", ports.keySet()) + ")");
                }
                return new Health(null, 0, null, port, null, timeout);
            }
            com.fasterxml.jackson.databind.node.ObjectNode c = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
            c.set("command", n.get("command"));
            if (n.has("env")) {
                c.set("env", n.get("env"));
            }
            return new Health(null, 0, null, null, command(c, p, known, true), timeout);
        }

        private Stop stop(JsonNode n, Placeholders known) {
            String p = "/stop";
            if (n == null) {
                return new Stop("TERM", null, 5000);
            }
            object(n, p, "must be an object: {\"signal\": \"TERM\", \"grace_ms\": 5000} or {\"command\": [...]}");
            keys(n, p, Set.of("signal", "command", "env", "grace_ms"));
            if (n.has("signal") && n.has("command")) {
                throw error(p, "give a signal or a command, not both");
            }
            long grace = millis(n, p + "/grace_ms", 5000, false);
            if (n.has("command")) {
                com.fasterxml.jackson.databind.node.ObjectNode c = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
                c.set("command", n.get("command"));
                if (n.has("env")) {
                    c.set("env", n.get("env"));
                }
                return new Stop(null, command(c, p, known.withPid(), true), grace);
            }
            if (n.has("env")) {
                throw error(p + "/env", "only for a stop command");
            }
            String signal = n.has("signal") ? choice(n, p + "/signal", SIGNALS, "TERM") : "TERM";
            return new Stop(signal, null, grace);
        }

        private Claims claims(JsonNode n) {
            String p = "/claims";
            if (n == null) {
                throw error(p, "missing: {\"guarantee\": \"at-least-once\", \"receipts\": false, \"order\": \"none\", \"source\": \"where your documentation says so\"}");
            }
            object(n, p, "must be an object {\"guarantee\", \"receipts\", \"order\", \"source\"}");
            keys(n, p, Set.of("guarantee", "receipts", "order", "source"));
            String g = choice(n, p + "/guarantee", List.of("at-most-once", "at-least-once", "exactly-once"), null);
            JsonNode r = n.get("receipts");
            if (r == null || !r.isBoolean()) {
                throw error(p + "/receipts", "must be true or false (whether senders get receipts)" + (r == null ? " (missing)" : ", found " + r));
            }
            String order = choice(n, p + "/order", List.of("none", "per-sender"), "none");
            String source = n.has("source") ? text(n, p + "/source", true) : null;
            return new Claims(g, r.booleanValue(), order, source);
        }

        private List<String> faults(JsonNode n, Map<String, Port> ports, String database) {
            String p = "/faults";
            if (n == null) {
                throw error(p, "missing: the faults that apply, any of " + String.join(", ", Fault.KINDS) + " (or [] for none)");
            }
            if (!n.isArray()) {
                throw error(p, "must be an array of fault kinds (" + String.join(", ", Fault.KINDS) + ")");
            }
            List<String> out = new ArrayList<>();
            boolean links = ports.values().stream().anyMatch(x -> x.role().equals("peer")) || database.equals("postgres");
            for (int i = 0; i < n.size(); i++) {
                String fp = p + "/" + i;
                JsonNode f = n.get(i);
                if (!f.isTextual()) {
                    throw error(fp, "must be a fault kind, found " + f);
                }
                String k = f.asText();
                if (NOT_OFFERED.contains(k)) {
                    throw error(fp, k + " is not offered by the local environment of a system file (it offers "
                            + Fault.KINDS.stream().filter(x -> !NOT_OFFERED.contains(x)).collect(java.util.stream.Collectors.joining(", ")) + ")");
                }
                if (!Fault.KINDS.contains(k)) {
                    throw error(fp, "unknown fault kind \"" + k + "\" (known: " + String.join(", ", Fault.KINDS) + ")");
                }
                if (k.equals(Fault.DB_RESTART) && !database.equals("postgres")) {
                    throw error(fp, "db-restart needs \"database\": \"postgres\" (the harness's own database)");
                }
                if ((k.equals(Fault.PARTITION) || k.equals(Fault.LINK_DELAY)) && !links) {
                    throw error(fp, k + " needs a link to cut: a port with the role peer, or \"database\": \"postgres\"");
                }
                if (out.contains(k)) {
                    throw error(fp, "\"" + k + "\" listed twice");
                }
                out.add(k);
            }
            return out;
        }

        // --- small typed readers, each naming the pointer on error ---

        private void object(JsonNode n, String p, String what) {
            if (n == null || !n.isObject()) {
                throw error(p, what + (n == null ? " (missing)" : ", found " + kind(n)));
            }
        }

        private static String kind(JsonNode n) {
            return switch (n.getNodeType()) {
                case ARRAY -> "an array";
                case STRING -> "a string";
                case NUMBER -> "a number";
                case BOOLEAN -> "a boolean";
                case NULL -> "null";
                default -> n.getNodeType().name().toLowerCase();
            };
        }

        /** Every key of {@code o} must be in {@code allowed}, or start with {@code "//"} (a comment). */
        private void keys(JsonNode o, String p, Set<String> allowed) {
            Iterator<String> it = o.fieldNames();
            while (it.hasNext()) {
                String k = it.next();
                if (k.startsWith("//")) {
                    JsonNode c = o.get(k);
                    if (!c.isTextual() && !(c.isArray() && allText(c))) {
                        throw error(p + "/" + k, "a comment is a string or an array of strings");
                    }
                    continue;
                }
                if (!allowed.contains(k)) {
                    throw error(p + "/" + k, "unknown key (allowed here: " + String.join(", ", new TreeSet<>(allowed)) + ", and keys starting with \"//\" for comments)");
                }
            }
        }

        private static boolean allText(JsonNode a) {
            for (JsonNode x : a) {
                if (!x.isTextual()) {
                    return false;
                }
            }
            return true;
        }

        private String text(JsonNode o, String p, boolean nonEmpty) {
            JsonNode n = o.get(last(p));
            if (n == null) {
                throw error(p, "missing: a string");
            }
            if (!n.isTextual() || (nonEmpty && n.asText().isBlank())) {
                throw error(p, "must be a non-empty string, found " + n);
            }
            return n.asText();
        }

        private String choice(JsonNode o, String p, List<String> allowed, String dflt) {
            JsonNode n = o.get(last(p));
            if (n == null) {
                if (dflt == null) {
                    throw error(p, "missing: one of " + String.join(", ", allowed));
                }
                return dflt;
            }
            if (!n.isTextual() || !allowed.contains(n.asText())) {
                throw error(p, "must be one of " + String.join(", ", allowed) + ", found " + n);
            }
            return n.asText();
        }

        private List<String> strings(JsonNode n, String p, boolean nonEmpty) {
            if (!n.isArray() || (nonEmpty && n.isEmpty())) {
                throw error(p, "must be a" + (nonEmpty ? " non-empty" : "n") + " array of strings, found " + n);
            }
            List<String> out = new ArrayList<>();
            for (int i = 0; i < n.size(); i++) {
                if (!n.get(i).isTextual()) {
                    throw error(p + "/" + i, "must be a string, found " + n.get(i));
                }
                out.add(n.get(i).asText());
            }
            if (nonEmpty && out.get(0).isBlank()) {
                throw error(p + "/0", "the program must not be empty");
            }
            return out;
        }

        private long millis(JsonNode o, String p, long dflt, boolean required) {
            JsonNode n = o.get(last(p));
            if (n == null) {
                if (required) {
                    throw error(p, "missing: milliseconds (an integer >= 0)");
                }
                return dflt;
            }
            return integer(o, p, 0, 24L * 3600 * 1000);
        }

        private long integer(JsonNode o, String p, long min, long max) {
            JsonNode n = o.get(last(p));
            if (n == null || !n.isIntegralNumber() || n.asLong() < min || n.asLong() > max) {
                throw error(p, "must be an integer between " + min + " and " + max + ", found " + n);
            }
            return n.asLong();
        }

        private static String last(String pointer) {
            return pointer.substring(pointer.lastIndexOf('/') + 1);
        }
    }
}
