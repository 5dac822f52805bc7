package io.deliverycheck.systems.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.deliverycheck.checker.Validity;
import io.deliverycheck.checker.history.Op;
import io.deliverycheck.checker.runner.Environment;
import io.deliverycheck.checker.runner.Fault;
import io.deliverycheck.checker.runner.FaultPlan;
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
 * A private redis-server with {@code appendfsync always} under one fixed fault plan: a pause, a
 * client disconnect, a SIGKILL and a restart that replays the AOF. Entries handed out on reads whose
 * replies were lost come back through XAUTOCLAIM, so it keeps its at-least-once claim.
 * {@code -Dkeep=DIR} keeps the run folder.
 */
@Tag("slow")
class RedisStreamsUnderFaultsTest {
    private static final long SEED = 7;
    @TempDir Path tmp;

    static FaultPlan plan(List<String> nodes) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        return new FaultPlan(SEED, List.of(
                new Fault(2000, 3000, Fault.PAUSE, null, f.objectNode().put("node", "n1")),
                new Fault(7000, 500, Fault.DEVICE_DISCONNECT, null, f.objectNode().put("node", "n1")),
                new Fault(10000, 3000, Fault.KILL, null, f.objectNode().put("node", "n1"))));
    }

    @Test
    void appendfsyncAlwaysKeepsAtLeastOnceUnderPauseDisconnectAndKill() throws Exception {
        System.out.println("seed " + SEED);
        String keep = System.getProperty("keep");
        AtomicReference<Environment> env = new AtomicReference<>();
        WorkloadConfig wc = WorkloadConfig.defaults(SEED).withRate(20).withUsers(6, 2);
        RunResult r = Runner.run(SystemRuns.spec("redis-streams", List.of("appendfsync=always", "claim-idle=2000"), 1, wc,
                RedisStreamsUnderFaultsTest::plan, Duration.ofSeconds(16), keep != null ? Path.of(keep) : tmp, env));
        List<Op> ops = SystemRuns.read(r.history());
        for (String f : List.of("kill", "restart", "pause", "resume", "start-device-disconnect")) {
            List<Op> these = ops.stream().filter(o -> o.f().equals(f)).toList();
            assertTrue(!these.isEmpty() && these.stream().allMatch(o -> o.error() == null), f + " applied without error: " + these);
        }
        assertEquals(Validity.VALID, r.result().valid(), r.result().summary());
        assertEquals("judged", r.result().loss());
        assertTrue(r.result().counts().get("sent_ok") > 100, r.result().summary());
        assertEquals(Map.of(), ((RedisEnvironment) env.get()).pids(), "no server process left");
    }
}
