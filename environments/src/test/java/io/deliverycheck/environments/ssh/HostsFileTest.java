package io.deliverycheck.environments.ssh;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HostsFileTest {

    @TempDir
    Path dir;
    Path file;

    @BeforeEach
    void keys() throws IOException {
        Files.writeString(dir.resolve("id"), "not read here");
        Files.writeString(dir.resolve("known_hosts"), "");
        file = dir.resolve("hosts.json");
    }

    private static final String GOOD = """
            {"hosts": [
               {"name": "a", "address": "10.0.0.11", "user": "dc", "key": "id"},
               {"name": "b", "address": "10.0.0.12", "user": "root", "key": "id", "port": 2222, "http_port": 9080},
               {"name": "c", "address": "10.0.0.13", "user": "dc", "key": "id", "sudo": false, "java": "/opt/jdk/bin/java"}],
             "known_hosts": "known_hosts",
             "nodes": {"n1": "a", "n2": "b", "n3": "c"},
             "database": {"host": "harness", "address": "10.0.0.1"}}
            """;

    private HostsFile read(String json) throws IOException {
        Files.writeString(file, json);
        return HostsFile.read(file);
    }

    private String error(String json) throws IOException {
        Files.writeString(file, json);
        return assertThrows(HostsFileException.class, () -> HostsFile.read(file)).getMessage();
    }

    @Test
    void readsHostsNodesAndDefaults() throws IOException {
        HostsFile f = read(GOOD);
        assertEquals(List.of("a", "b", "c"), List.copyOf(f.hosts().keySet()));
        HostsFile.Host a = f.hosts().get("a");
        assertEquals(22, a.port());
        assertEquals(dir.resolve("id"), a.key());
        assertEquals("java", a.java());
        assertTrue(a.sudo(), "a user other than root goes through sudo by default");
        assertEquals(8080, a.httpPort());
        assertEquals(7800, a.clusterPort());
        HostsFile.Host b = f.hosts().get("b");
        assertEquals(2222, b.port());
        assertEquals(9080, b.httpPort());
        assertFalse(b.sudo(), "root needs no sudo");
        assertFalse(f.hosts().get("c").sudo());
        assertEquals("/opt/jdk/bin/java", f.hosts().get("c").java());
        assertEquals(b, f.hostOf("n2"));
        assertTrue(f.database().onHarness());
        assertEquals("10.0.0.1", f.database().address());
        assertEquals("/tmp/deliverycheck", f.remoteDir());
        assertEquals(30, f.watchdog().toSeconds());
        f.requireNodes(List.of("n1", "n2", "n3"));
        String e = assertThrows(HostsFileException.class, () -> f.requireNodes(List.of("n1", "n2"))).getMessage();
        assertTrue(e.startsWith(file + ": nodes: names n1, n2, n3 but the test runs 2 nodes"), e);
    }

    @Test
    void databaseOnAHost() throws IOException {
        HostsFile f = read(GOOD.replace("{\"host\": \"harness\", \"address\": \"10.0.0.1\"}", "{\"host\": \"b\", \"port\": 6543}"));
        assertFalse(f.database().onHarness());
        assertEquals("10.0.0.12", f.database().address());
        assertEquals(6543, f.database().port());
        assertEquals(15432, read(GOOD.replace("{\"host\": \"harness\", \"address\": \"10.0.0.1\"}", "{\"host\": \"b\"}")).database().port());
    }

    @Test
    void oneLinePerProblemNamingFileAndField() throws IOException {
        String p = file + ": ";
        assertTrue(error("{").startsWith(p.substring(0, p.length() - 2) + ":1:"), error("{"));
        assertEquals(p + "hosts[1].port: 70000 must be a whole number from 1 to 65535",
                error(GOOD.replace("\"port\": 2222", "\"port\": 70000")));
        assertEquals(p + "hosts[0].address: '10.0.0.256' must be an IPv4 address (the nodes bind it, peers dial it, and the partition rules match it)",
                error(GOOD.replace("10.0.0.11", "10.0.0.256")));
        assertEquals(p + "hosts[0].user: missing", error(GOOD.replace("\"user\": \"dc\", \"key\": \"id\"}", "\"key\": \"id\"}")));
        assertEquals(p + "hosts[0].key: " + dir.resolve("nokey") + ": no such file",
                error(GOOD.replaceFirst("\"key\": \"id\"", "\"key\": \"nokey\"")));
        assertTrue(error(GOOD.replaceFirst("\"user\"", "\"usr\"")).startsWith(p + "hosts[0].usr: unknown field (known: "),
                error(GOOD.replaceFirst("\"user\"", "\"usr\"")));
        assertEquals(p + "hosts[1].name: 'a' is used twice", error(GOOD.replace("\"name\": \"b\"", "\"name\": \"a\"")));
        assertEquals(p + "nodes.n2: no host named 'x' (hosts: a, b, c)", error(GOOD.replace("\"n2\": \"b\"", "\"n2\": \"x\"")));
        assertTrue(error(GOOD.replace("\"n2\": \"b\"", "\"n2\": \"a\"")).startsWith(p + "nodes.n2: host a already runs n1; one node per host"));
        assertEquals(p + "nodes.n3: nodes must be named n1, n2, ... in order; expected n2",
                error(GOOD.replace("\"n2\": \"b\", \"n3\": \"c\"", "\"n3\": \"c\"")));
        assertTrue(error(GOOD.replace(",\n \"database\": {\"host\": \"harness\", \"address\": \"10.0.0.1\"}", ""))
                .startsWith(p + "database: missing"));
        assertEquals(p + "database.address: missing", error(GOOD.replace(", \"address\": \"10.0.0.1\"}", "}")));
        assertEquals(p + "database.host: no host named 'z' (hosts: a, b, c, or \"harness\")",
                error(GOOD.replace("{\"host\": \"harness\", \"address\": \"10.0.0.1\"}", "{\"host\": \"z\"}")));
        assertTrue(error(GOOD.replace("\"known_hosts\": \"known_hosts\"", "\"known_hosts\": \"nothere\""))
                .startsWith(p + "known_hosts: " + dir.resolve("nothere") + ": no such file"));
        assertEquals(p + "hosts[2].sudo: must be true or false, not \"no\"", error(GOOD.replace("\"sudo\": false", "\"sudo\": \"no\"")));
        Path missing = dir.resolve("none.json");
        assertEquals(missing + ": no such file (the --hosts file of the ssh environment)",
                assertThrows(HostsFileException.class, () -> HostsFile.read(missing)).getMessage());
    }
}
