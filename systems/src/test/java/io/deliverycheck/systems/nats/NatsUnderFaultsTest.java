package io.deliverycheck.systems.nats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.Validity;
import io.deliverycheck.checker.history.Op;
import io.deliverycheck.checker.runner.Environment;
import io.deliverycheck.checker.runner.Fault;
import io.deliverycheck.checker.runner.FaultPlan;
import io.deliverycheck.checker.runner.Grudge;
import io.deliverycheck.checker.runner.RunResult;
import io.deliverycheck.checker.runner.Runner;
import io.deliverycheck.systems.support.SystemRuns;
import io.deliverycheck.workloads.WorkloadConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A private 3-server JetStream cluster (R3 stream and consumers) under one fixed fault plan: a
 * partition that isolates n1, a pause of n3, a client disconnect and a kill of n2. It keeps its
 * at-least-once claim. {@code -Dkeep=DIR} keeps the run folder.
 */
@Tag("slow")
class NatsUnderFaultsTest {
    private static final long SEED = 7;
    @TempDir Path tmp;

    static FaultPlan plan(List<String> nodes) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        Grudge isolate = Grudge.ofComponents(nodes, List.of(List.of("n1"), List.of("n2", "n3")));
        ObjectNode detail = f.objectNode();
        detail.set("partition", new ObjectMapper().valueToTree(List.of(List.of("n1"), List.of("n2", "n3"))));
        detail.set("grudge", new ObjectMapper().valueToTree(isolate.asLists()));
        return new FaultPlan(SEED, List.of(
                new Fault(2000, 6000, Fault.PARTITION, "isolate-one", detail),
                new Fault(10000, 3000, Fault.PAUSE, null, f.objectNode().put("node", "n3")),
                new Fault(15000, 500, Fault.DEVICE_DISCONNECT, null, f.objectNode().put("node", "n2")),
                new Fault(17000, 3000, Fault.KILL, null, f.objectNode().put("node", "n2"))));
    }

    @Test
    void r3StreamKeepsAtLeastOnceUnderPartitionPauseDisconnectAndKill() throws Exception {
        System.out.println("seed " + SEED);
        String keep = System.getProperty("keep");
        AtomicReference<Environment> env = new AtomicReference<>();
        WorkloadConfig wc = WorkloadConfig.defaults(SEED).withRate(20).withUsers(6, 2);
        RunResult r = Runner.run(SystemRuns.spec("nats", List.of(), 3, wc, NatsUnderFaultsTest::plan, Duration.ofSeconds(22),
                keep != null ? Path.of(keep) : tmp, env));
        List<Op> ops = SystemRuns.read(r.history());
        for (String f : List.of("kill", "restart", "start-partition", "stop-partition", "pause", "resume",
                "start-device-disconnect")) {
            List<Op> these = ops.stream().filter(o -> o.f().equals(f)).toList();
            assertTrue(!these.isEmpty() && these.stream().allMatch(o -> o.error() == null), f + " applied without error: " + these);
        }
        assertEquals(Validity.VALID, r.result().valid(), r.result().summary());
        assertEquals("judged", r.result().loss());
        assertTrue(r.result().counts().get("sent_ok") > 100, r.result().summary());
        assertEquals(Map.of(), ((NatsEnvironment) env.get()).pids(), "no server process left");
    }
}
