package io.deliverycheck.environments.netns;

import io.deliverycheck.checker.history.Recorder;
import io.deliverycheck.checker.runner.Grudge;
import io.deliverycheck.environments.EnvironmentConfig;
import io.deliverycheck.environments.local.FakeNode;
import io.deliverycheck.environments.process.HealthProbe;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The netns environment with fake nodes: needs root, ip, iptables, tc (`mvn test -P netns`). */
@Tag("netns")
class NetnsEnvironmentTest {

    private static final HealthProbe PROBE = new HealthProbe(null);

    @Test
    void namespacesPartitionsFaultsAndCleanup(@TempDir Path dir) throws Exception {
        String problem = NetnsPreflight.problem();
        Assumptions.assumeTrue(problem == null, problem);
        EnvironmentConfig config = EnvironmentConfig.defaults(3).withMainClass(FakeNode.class.getName())
                .withJvmOptions(List.of("-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"))
                .withStartTimeout(Duration.ofSeconds(30));
        NetnsEnvironment env = new NetnsEnvironment(config);
        NetnsNetwork net;
        try (Recorder rec = Recorder.open(dir.resolve("history.jsonl"))) {
            env.setup(dir, rec);
            net = env.network();
            assertTrue(env.adminEndpoint("n1").getHost().startsWith("10.77."), env.adminEndpoint("n1").toString());
            assertTrue(PROBE.probe(env.clientEndpoint("n2")).healthyWith(env.nodes()));

            env.partition(new Grudge(Map.of("n3", Set.of("n1", "n2"), "n1", Set.of("n3"), "n2", Set.of("n3"))));
            await().atMost(Duration.ofSeconds(15)).until(() -> PROBE.probe(env.adminEndpoint("n3")).view().equals(List.of("n3")));
            env.heal();
            env.awaitHealthy(Duration.ofSeconds(20));

            env.partition(new Grudge(Map.of(Grudge.DB, Set.of("n1"))));
            await().atMost(Duration.ofSeconds(15)).until(() -> PROBE.probe(env.adminEndpoint("n1")).status() == 503);
            env.heal();
            env.awaitHealthy(Duration.ofSeconds(20));

            env.kill("n2");
            env.restart("n2");
            env.pause("n1");
            env.resume("n1");
            env.restartDatabase();
            env.awaitHealthy(Duration.ofSeconds(30));
            try {
                env.delayLinks(Duration.ofMillis(20));
                env.clearDelay();
            } catch (UnsupportedOperationException e) {
                System.out.println("link delay not available here: " + e.getMessage());
            }
        } finally {
            env.close();
        }
        String links = Shell.system().check(List.of("ip", "-o", "link", "show"));
        String netns = Shell.system().run(List.of("ip", "netns", "list")).output();
        assertFalse(links.contains(net.bridge()), "bridge removed: " + links);
        assertFalse(netns.contains(net.namespace("n1")), "namespaces removed: " + netns);
        assertEquals(List.of(), io.deliverycheck.environments.process.OwnedProcesses.leftovers());
    }

    @Test
    void realNodesFormAClusterAcrossNamespacesAndSurviveAPartition(@TempDir Path dir) throws Exception {
        String problem = NetnsPreflight.problem();
        Assumptions.assumeTrue(problem == null, problem);
        EnvironmentConfig config = EnvironmentConfig.defaults(3)
                .withJvmOptions(List.of("-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"))
                .withStartTimeout(Duration.ofSeconds(90));
        NetnsEnvironment env = new NetnsEnvironment(config);
        try (Recorder rec = Recorder.open(dir.resolve("history.jsonl"))) {
            env.setup(dir, rec);
            env.partition(new Grudge(Map.of("n1", Set.of("n2", "n3"), "n2", Set.of("n1"), "n3", Set.of("n1"))));
            await().atMost(Duration.ofSeconds(30)).until(() -> PROBE.probe(env.adminEndpoint("n1")).view().equals(List.of("n1")));
            env.heal();
            env.awaitHealthy(Duration.ofSeconds(60));
            env.kill("n3");
            env.restart("n3");
            env.awaitHealthy(Duration.ofSeconds(60));
        } finally {
            env.close();
        }
        assertEquals(List.of(), io.deliverycheck.environments.process.OwnedProcesses.leftovers());
    }
}
