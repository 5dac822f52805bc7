package io.deliverycheck.environments.process;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The set-up wait says which node is the cause: a peer that exited, or every node's last health. */
class NodeSetTest {

    @TempDir
    Path dir;

    private NodeSet set(List<String> n1, List<String> n2) {
        // nothing listens on port 9 of 127.0.0.1 (discard, refused): /health is never answered
        NodeSet s = new NodeSet(new HealthProbe(null), id -> URI.create("http://127.0.0.1:9"), id -> dir.resolve(id + ".log"));
        s.add(new NodeProcess("n1", n1, dir.resolve("n1.out")));
        s.add(new NodeProcess("n2", n2, dir.resolve("n2.out")));
        return s;
    }

    @Test
    void aPeerThatExitedIsNamedWhileAnEarlierNodeIsAwaited() throws Exception {
        NodeSet s = set(List.of("sleep", "30"), List.of("sh", "-c", "echo 'cannot bind port 4711'; exit 3"));
        try {
            s.get("n1").start();
            s.get("n2").start();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.awaitHealthy(Duration.ofSeconds(60)));
            assertTrue(e.getMessage().startsWith("node n2 is not running (exit code 3); last output: cannot bind port 4711"),
                    e.getMessage());
        } finally {
            s.stopAll(Duration.ofSeconds(1));
        }
    }

    @Test
    void aTimeoutDescribesEveryNode() throws Exception {
        NodeSet s = set(List.of("sleep", "30"), List.of("sleep", "30"));
        try {
            s.get("n1").start();
            s.get("n2").start();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.awaitHealthy(Duration.ofSeconds(1)));
            assertTrue(e.getMessage().startsWith("node n1 not healthy (HTTP 200 and a view of [n1, n2]) after 1 s; last /health of each: n1: "),
                    e.getMessage());
            assertTrue(e.getMessage().contains("; n2: "), e.getMessage());
        } finally {
            s.stopAll(Duration.ofSeconds(1));
        }
    }
}
