package io.deliverycheck.systems.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading a system file: every field's error is one line naming its JSON pointer; nothing starts. */
class SystemFileTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static ObjectNode valid() throws Exception {
        return (ObjectNode) JSON.readTree("""
                {"name": "svc", "version": "1.2", "protocol": "deliverycheck",
                 "ports": {"http": "client", "cluster": "peer"},
                 "start": {"command": ["./svc", "--id", "{id}", "--port", "{port.http}", "--peers", "{peers.cluster}"],
                           "env": {"SVC_DATA": "{data_dir}"}},
                 "health": {"http": "/health"},
                 "claims": {"guarantee": "at-least-once", "receipts": false},
                 "retry_horizon_ms": 3000,
                 "faults": ["kill", "pause", "partition"]}
                """);
    }

    private SystemFile read(JsonNode root) throws Exception {
        Path f = dir.resolve("svc.system.json");
        Files.writeString(f, JSON.writeValueAsString(root));
        return SystemFile.read(f);
    }

    /** The error of {@code valid()} changed by {@code change}: one line, naming {@code pointer}. */
    private String error(Consumer<ObjectNode> change, String pointer) throws Exception {
        ObjectNode root = valid();
        change.accept(root);
        SystemFileException e = assertThrows(SystemFileException.class, () -> read(root));
        String m = e.getMessage();
        assertFalse(m.contains("\n"), m);
        assertTrue(m.startsWith(dir.resolve("svc.system.json") + ": " + pointer + ": "), m);
        return m.substring(m.indexOf(pointer + ": ") + pointer.length() + 2);
    }

    private static ObjectNode at(ObjectNode root, String field) {
        return (ObjectNode) root.get(field);
    }

    @Test
    void aValidFileReadsIntoRecordsWithDefaults() throws Exception {
        SystemFile sf = read(valid());
        assertEquals("svc", sf.name());
        assertEquals("1.2", sf.version());
        assertEquals("http", sf.clientPort().name());
        assertEquals(List.of("cluster"), sf.peerPorts().stream().map(SystemFile.Port::name).toList());
        assertEquals("none", sf.database());
        assertEquals("TERM", sf.stop().signal());
        assertEquals(5000, sf.stop().graceMs());
        assertEquals(200, sf.health().status());
        assertEquals(90_000, sf.health().timeoutMs());
        assertEquals("none", sf.claims().order());
        assertEquals(List.of("kill", "pause", "partition"), sf.faults());
        assertEquals(Map.of("SVC_DATA", "{data_dir}"), sf.start().env());
        assertEquals(9, sf.maxNodes());
    }

    @Test
    void theReferenceNodeExampleReads() {
        SystemFile sf = SystemFile.read(Path.of("..", "examples", "reference-node.system.json"));
        assertEquals("reference-node", sf.name());
        assertEquals("exactly-once", sf.claims().guarantee());
        assertTrue(sf.claims().receipts());
        assertEquals("postgres", sf.database());
        assertEquals(12500, sf.retryHorizonMs());
        assertEquals(java.util.List.of("partition", "kill", "pause", "db-restart", "link-delay", "device-disconnect"), sf.faults());
    }

    @Test
    void notJsonNamesTheLineAndColumn() throws Exception {
        Path f = dir.resolve("bad.json");
        Files.writeString(f, "{\"name\": \"x\",\n  \"version\" 1}");
        String m = assertThrows(SystemFileException.class, () -> SystemFile.read(f)).getMessage();
        assertTrue(m.startsWith(f + ":2:"), m);
        assertTrue(m.contains("not valid JSON"), m);
        String missing = assertThrows(SystemFileException.class, () -> SystemFile.read(dir.resolve("nope.json"))).getMessage();
        assertTrue(missing.endsWith("nope.json: no such system file"), missing);
    }

    @Test
    void topLevelFields() throws Exception {
        assertTrue(error(r -> r.put("colour", "red"), "/colour").startsWith("unknown key"));
        assertTrue(error(r -> r.remove("name"), "/name").contains("missing"));
        assertTrue(error(r -> r.put("name", "my service"), "/name").contains("letters, digits"));
        assertTrue(error(r -> r.put("version", 3), "/version").contains("non-empty string"));
        assertTrue(error(r -> r.put("protocol", "kafka"), "/protocol").contains("deliverycheck"));
        assertTrue(error(r -> r.remove("protocol"), "/protocol").contains("missing"));
        assertTrue(error(r -> r.put("database", "mysql"), "/database").contains("none, postgres"));
        assertTrue(error(r -> r.put("retry_horizon_ms", -1), "/retry_horizon_ms").contains("integer"));
        assertTrue(error(r -> r.remove("retry_horizon_ms"), "/retry_horizon_ms").contains("missing"));
        assertTrue(error(r -> r.put("//", 3), "///").contains("comment"));
        assertTrue(error(r -> r.put("max_nodes", 0), "/max_nodes").contains("between 1 and 9"));
        // comments are allowed anywhere an object is
        ObjectNode c = valid();
        c.put("//", "a comment");
        c.put("//why", "another");
        at(c, "ports").put("//", "ports comment");
        at(c, "start").put("//", "start comment");
        read(c);
    }

    @Test
    void ports() throws Exception {
        assertTrue(error(r -> r.remove("ports"), "/ports").contains("missing"));
        assertTrue(error(r -> at(r, "ports").put("http", "public"), "/ports/http").contains("client, peer, internal"));
        assertTrue(error(r -> at(r, "ports").put("cluster", "client"), "/ports").contains("exactly one port must have the role client"));
        assertTrue(error(r -> at(r, "ports").remove("http"), "/ports").contains("exactly one"));
        assertTrue(error(r -> at(r, "ports").put("Big Port", "peer"), "/ports/Big Port").contains("port name"));
    }

    @Test
    void startCommandAndPlaceholders() throws Exception {
        assertTrue(error(r -> r.remove("start"), "/start").contains("missing"));
        assertTrue(error(r -> at(r, "start").remove("command"), "/start/command").contains("missing"));
        assertTrue(error(r -> at(r, "start").putArray("command"), "/start/command").contains("non-empty array"));
        assertTrue(error(r -> ((ArrayNode) at(r, "start").get("command")).set(2, 7), "/start/command/2").contains("must be a string"));
        String unknown = error(r -> ((ArrayNode) at(r, "start").get("command")).set(4, "{port.htp}"), "/start/command/4");
        assertTrue(unknown.startsWith("unknown placeholder {port.htp}"), unknown);
        assertTrue(unknown.contains("{port.http}"), unknown);
        assertTrue(error(r -> ((ArrayNode) at(r, "start").get("command")).set(1, "{id"), "/start/command/1").contains("unbalanced"));
        assertTrue(error(r -> ((ObjectNode) at(r, "start").get("env")).put("SVC_DATA", "{database.url}"), "/start/env/SVC_DATA")
                .contains("unknown placeholder {database.url}"));
        assertTrue(error(r -> ((ObjectNode) at(r, "start").get("env")).put("1X", "a"), "/start/env/1X").contains("variable name"));
        assertTrue(error(r -> ((ObjectNode) at(r, "start").get("env")).put("X", 1), "/start/env/X").contains("must be a string"));
        assertTrue(error(r -> ((ArrayNode) at(r, "start").get("command")).add("{opt.mode}"), "/start/command/7")
                .contains("unknown placeholder {opt.mode}"));
        // declared option and a database make their placeholders known; {{ }} are literal braces
        ObjectNode ok = valid();
        ok.putObject("options").putObject("mode").put("default", "honest").putArray("values").add("honest").add("buggy");
        ok.put("database", "postgres");
        ((ArrayNode) at(ok, "start").get("command")).add("{opt.mode}").add("{database.url}").add("{{literal}}");
        SystemFile sf = read(ok);
        assertEquals("honest", sf.options().get(0).defaultValue());
    }

    @Test
    void health() throws Exception {
        assertTrue(error(r -> r.remove("health"), "/health").contains("missing"));
        assertTrue(error(r -> at(r, "health").put("tcp", "http"), "/health").contains("exactly one of http, tcp, command"));
        assertTrue(error(r -> at(r, "health").put("http", "health"), "/health/http").contains("starting with '/'"));
        assertTrue(error(r -> at(r, "health").put("status", 700), "/health/status").contains("between 100 and 599"));
        assertTrue(error(r -> at(r, "health").put("nodes_at", "view"), "/health/nodes_at").contains("JSON pointer"));
        assertTrue(error(r -> at(r, "health").put("timeout_ms", "soon"), "/health/timeout_ms").contains("integer"));
        assertTrue(error(r -> r.putObject("health").put("tcp", "amqp"), "/health/tcp").contains("no port named \"amqp\""));
        assertTrue(error(r -> r.putObject("health").put("tcp", "http").put("status", 200), "/health/status").contains("only for an http"));
        assertTrue(error(r -> r.putObject("health").putArray("command").add("{nope}"), "/health/command/0").contains("unknown placeholder"));
        SystemFile tcp = read(withHealth("{\"tcp\": \"cluster\"}"));
        assertEquals("cluster", tcp.health().tcpPort());
        SystemFile cmd = read(withHealth("{\"command\": [\"curl\", \"-f\", \"http://{addr.http}/ok\"], \"timeout_ms\": 1000}"));
        assertEquals(List.of("curl", "-f", "http://{addr.http}/ok"), cmd.health().command().command());
    }

    private static ObjectNode withHealth(String json) throws Exception {
        ObjectNode r = valid();
        r.set("health", JSON.readTree(json));
        return r;
    }

    @Test
    void stop() throws Exception {
        assertTrue(error(r -> r.putObject("stop").put("signal", "STOP"), "/stop/signal").contains("TERM, INT"));
        assertTrue(error(r -> {
            ObjectNode s = r.putObject("stop");
            s.put("signal", "INT");
            s.putArray("command").add("kill");
        }, "/stop").contains("not both"));
        assertTrue(error(r -> r.putObject("stop").put("grace_ms", -5), "/stop/grace_ms").contains("integer"));
        assertTrue(error(r -> r.putObject("stop").put("env", "x"), "/stop/env").contains("only for a stop command"));
        ObjectNode ok = valid();
        ok.putObject("stop").putArray("command").add("kill").add("-s").add("INT").add("{pid}");
        assertEquals(List.of("kill", "-s", "INT", "{pid}"), read(ok).stop().command().command());
        // {pid} is only known to a stop command
        assertTrue(error(r -> ((ArrayNode) at(r, "start").get("command")).add("{pid}"), "/start/command/7").contains("unknown placeholder {pid}"));
    }

    @Test
    void claims() throws Exception {
        assertTrue(error(r -> r.remove("claims"), "/claims").contains("missing"));
        assertTrue(error(r -> at(r, "claims").put("guarantee", "exactly-twice"), "/claims/guarantee").contains("at-most-once, at-least-once, exactly-once"));
        assertTrue(error(r -> at(r, "claims").remove("receipts"), "/claims/receipts").contains("true or false"));
        assertTrue(error(r -> at(r, "claims").put("order", "total"), "/claims/order").contains("none, per-sender"));
        assertTrue(error(r -> at(r, "claims").put("latency", "low"), "/claims/latency").contains("unknown key"));
    }

    @Test
    void faults() throws Exception {
        assertTrue(error(r -> r.remove("faults"), "/faults").contains("missing"));
        assertTrue(error(r -> r.put("faults", "kill"), "/faults").contains("array"));
        assertTrue(error(r -> ((ArrayNode) r.get("faults")).add("meteor"), "/faults/3").contains("unknown fault kind \"meteor\""));
        assertTrue(error(r -> ((ArrayNode) r.get("faults")).add("kill"), "/faults/3").contains("listed twice"));
        assertTrue(error(r -> ((ArrayNode) r.get("faults")).add("db-restart"), "/faults/3").contains("\"database\": \"postgres\""));
        assertTrue(error(r -> ((ArrayNode) r.get("faults")).add("clock-skew"), "/faults/3").contains("not offered"));
        assertTrue(error(r -> ((ArrayNode) r.get("faults")).add("corrupt-file"), "/faults/3").contains("not offered"));
        assertTrue(error(r -> {
            at(r, "ports").put("cluster", "internal");
        }, "/faults/2").contains("partition needs a link to cut"));
    }

    @Test
    void options() throws Exception {
        assertTrue(error(r -> r.putObject("options").put("mode", "honest"), "/options/mode").contains("must be an object"));
        assertTrue(error(r -> r.putObject("options").putObject("mode").put("values", "x"), "/options/mode/default").contains("missing"));
        assertTrue(error(r -> {
            ObjectNode o = r.putObject("options").putObject("mode");
            o.put("default", "fast");
            o.putArray("values").add("honest");
        }, "/options/mode/default").contains("not among"));
    }

    @Test
    void placeholdersExpandWithLiteralBraces() {
        Map<String, String> v = Map.of("id", "n2", "port.http", "20001", "peers.cluster", "127.0.0.1:1,127.0.0.1:2");
        assertEquals(List.of("--id=n2", "20001", "{\"id\":\"n2\"}", "127.0.0.1:1,127.0.0.1:2"),
                Placeholders.expand(List.of("--id={id}", "{port.http}", "{{\"id\":\"{id}\"}}", "{peers.cluster}"), v));
        assertThrows(IllegalStateException.class, () -> Placeholders.expand("{token}", v));
    }
}
