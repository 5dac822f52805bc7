package io.deliverycheck.systems.sqs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
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
 * A private ElasticMQ (messages in memory, its default) under one fixed fault plan: a pause, a
 * client disconnect, a SIGKILL and a restart. The harness part is asserted strictly: every fault
 * applied without error, sends {@code ok} well past the faults, the retried sends deduplicated
 * (nothing unexpected, resurrected, misrouted or reordered), and every redelivery after a
 * DeleteMessage whose answer was lost. ElasticMQ's part is asserted as found
 * (docs/findings.md, "SQS FIFO"): a duplicate for each such redelivery, and a {@code lost} triple
 * only for a message accepted before the kill (ElasticMQ's default keeps messages in memory), so
 * the exactly-once claim does not hold. {@code -Dkeep=DIR} keeps the run folder.
 */
@Tag("slow")
class SqsFifoUnderFaultsTest {
    private static final long SEED = 7;
    @TempDir Path tmp;

    static FaultPlan plan(List<String> nodes) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        return new FaultPlan(SEED, List.of(
                new Fault(1500, 2500, Fault.PAUSE, null, f.objectNode().put("node", "n1")),
                new Fault(5000, 500, Fault.DEVICE_DISCONNECT, null, f.objectNode().put("node", "n1")),
                // ElasticMQ's restart is a JVM start (up to 7 s measured under load): 13 s of sends follow the kill
                new Fault(7000, 2000, Fault.KILL, null, f.objectNode().put("node", "n1"))));
    }

    @Test
    void pauseDisconnectAndKill() throws Exception {
        System.out.println("seed " + SEED);
        String keep = System.getProperty("keep");
        AtomicReference<Environment> env = new AtomicReference<>();
        WorkloadConfig wc = WorkloadConfig.defaults(SEED).withRate(20).withUsers(6, 2);
        RunResult r = Runner.run(SystemRuns.spec("sqs-fifo", List.of("window=16", "visibility-timeout=3"), 1, wc,
                SqsFifoUnderFaultsTest::plan, Duration.ofSeconds(22), keep != null ? Path.of(keep) : tmp, env));
        List<Op> ops = SystemRuns.read(r.history());
        for (String f : List.of("kill", "restart", "pause", "resume", "start-device-disconnect")) {
            List<Op> these = ops.stream().filter(o -> o.f().equals(f)).toList();
            assertTrue(!these.isEmpty() && these.stream().allMatch(o -> o.error() == null), f + " applied without error: " + these);
        }
        String summary = r.result().summary();
        assertEquals(0, r.result().count("harness_errors"), summary);
        assertEquals("judged", r.result().loss(), summary);
        assertTrue(r.result().counts().get("sent_ok") > 100, summary);
        long sentOkAfterKill = ops.stream().filter(o -> o.f().equals("send") && o.type().wire().equals("ok")
                && o.time() > restartTime(ops)).count();
        assertTrue(sentOkAfterKill > 20, "sends ok after the restart: " + sentOkAfterKill + "; " + summary);
        for (String none : List.of("unexpected", "resurrected", "misrouted", "reordered")) {
            assertEquals(0, r.result().count(none), none + ": " + summary);
        }
        // ElasticMQ keeps messages in memory: a kill drops what it held, and nothing else goes missing
        SqsRuns.assertLostOnlyAcceptedBeforeAKill(ops, r.result().examples().getOrDefault("lost", List.of()));
        int redelivered = SqsRuns.assertRedeliveriesFollowUnconfirmedDeletes(ops);
        assertEquals(r.result().count("duplicate_effects"), redelivered, summary);
        assertEquals(Map.of(), ((SqsEnvironment) env.get()).pids(), "no ElasticMQ process left");
    }

    private static long restartTime(List<Op> ops) {
        return ops.stream().filter(o -> o.f().equals("restart")).mapToLong(Op::time).max().orElseThrow();
    }
}
