package io.deliverycheck.environments.local;

import io.deliverycheck.checker.history.Recorder;
import io.deliverycheck.checker.runner.Grudge;
import io.deliverycheck.environments.EnvironmentConfig;
import io.deliverycheck.environments.process.HealthProbe;
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

/**
 * The local environment with the real reference node (Contract 2): 3 nodes + PostgreSQL, every fault,
 * healthy after each heal, nothing left behind. Slow tier: JGroups views take seconds to settle.
 */
@Tag("slow")
class LocalEnvironmentNodeTest {

    private static final HealthProbe PROBE = new HealthProbe(null);

    @Test
    void realNodesSurviveEveryFaultAndNothingOutlivesTheEnvironment(@TempDir Path dir) throws Exception {
        EnvironmentConfig config = EnvironmentConfig.defaults(3)
                .withJvmOptions(List.of("-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"))
                .withStartTimeout(Duration.ofSeconds(90));
        LocalEnvironment env = new LocalEnvironment(config);
        try (Recorder rec = Recorder.open(dir.resolve("history.jsonl"))) {
            env.setup(dir, rec);
            for (String n : env.nodes()) {
                assertTrue(PROBE.probe(env.clientEndpoint(n)).healthyWith(env.nodes()), n + " through its client proxy");
            }
            Duration heal = Duration.ofSeconds(60);

            env.kill("n2");
            env.restart("n2");
            env.awaitHealthy(heal);

            env.pause("n3");
            await().atMost(Duration.ofSeconds(30)).until(() -> !PROBE.probe(env.adminEndpoint("n1")).view().contains("n3"));
            env.resume("n3");
            env.awaitHealthy(heal);

            env.restartDatabase();
            env.awaitHealthy(heal);

            env.partition(new Grudge(Map.of("n1", Set.of("n2", "n3"), "n2", Set.of("n1"), "n3", Set.of("n1"))));
            await().atMost(Duration.ofSeconds(30)).until(() -> PROBE.probe(env.adminEndpoint("n1")).view().equals(List.of("n1")));
            env.heal();
            env.awaitHealthy(heal);

            env.partition(new Grudge(Map.of("n2", Set.of(Grudge.DB))));
            await().atMost(Duration.ofSeconds(30)).until(() -> PROBE.probe(env.adminEndpoint("n2")).status() == 503);
            env.heal();
            env.awaitHealthy(heal);

            env.delayLinks(Duration.ofMillis(150));
            env.awaitHealthy(heal);
            env.clearDelay();
            env.disconnectClients("n1");
            env.awaitHealthy(heal);
        } finally {
            env.close();
        }
        assertEquals(List.of(), io.deliverycheck.environments.process.OwnedProcesses.leftovers());
        assertFalse(env.database().running());
    }

    @Test
    void aSeededScheduleOfEveryFaultKindAgainstRealNodesEndsHealthy(@TempDir Path dir) throws Exception {
        long seed = 11;
        System.out.println("seed " + seed);
        EnvironmentConfig config = EnvironmentConfig.defaults(3)
                .withJvmOptions(List.of("-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"))
                .withStartTimeout(Duration.ofSeconds(90));
        LocalEnvironment env = new LocalEnvironment(config);
        Path history = dir.resolve("history.jsonl");
        io.deliverycheck.checker.runner.FaultPlan plan;
        try (Recorder rec = Recorder.open(history)) {
            env.setup(dir, rec);
            io.deliverycheck.environments.nemesis.NemesisConfig nc = io.deliverycheck.environments.nemesis.NemesisConfig
                    .of(List.of("all"), Duration.ofSeconds(40))
                    .withTiming(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(2), Duration.ofSeconds(4));
            plan = io.deliverycheck.environments.nemesis.FaultPlans.generate(seed, env.nodes(), nc);
            io.deliverycheck.checker.runner.Nemesis nemesis = io.deliverycheck.environments.nemesis.Nemeses.of(plan);
            nemesis.start(env, rec);
            await().atMost(Duration.ofSeconds(180)).until(() -> rec.size() == 2L * plan.faults().size());
            nemesis.healAll();
            env.awaitHealthy(Duration.ofSeconds(60));
        } finally {
            env.close();
        }
        List<String> lines = java.nio.file.Files.readAllLines(history);
        assertEquals(2 * plan.faults().size(), lines.size());
        assertTrue(lines.stream().noneMatch(l -> l.contains("\"error\"")), String.join("\n", lines));
        assertEquals(List.of(), io.deliverycheck.environments.process.OwnedProcesses.leftovers());
    }
}
