package io.deliverycheck.systems.rabbitmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.Validity;
import io.deliverycheck.checker.history.Op;
import io.deliverycheck.checker.runner.Environment;
import io.deliverycheck.checker.runner.Fault;
import io.deliverycheck.checker.runner.FaultPlan;
import io.deliverycheck.checker.runner.RunResult;
import io.deliverycheck.checker.runner.Runner;
import io.deliverycheck.environments.disk.PowerLossFs;
import io.deliverycheck.systems.support.SystemRuns;
import io.deliverycheck.workloads.WorkloadConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A power loss of every node of a 3-node RabbitMQ cluster at once, mid-run (slow tier; root,
 * /dev/fuse, fuse3, which .ci/run installs: it fails rather than skips without them). Quorum queues
 * confirm a publish once a majority has fsynced it to its Ra WAL, so nothing confirmed is lost:
 * the run is valid, although the drop took back what the nodes had not fsynced.
 */
@Tag("slow")
class RabbitPowerLossTest {
    @TempDir Path results;

    @Test
    void quorumQueuesLoseNothingConfirmedWhenEveryNodeLosesPower() throws Exception {
        assertNull(PowerLossFs.problem(), "the power-loss file system must run here");
        long seed = 21;
        System.out.println("seed " + seed);
        WorkloadConfig wc = WorkloadConfig.defaults(seed).withRate(20).withUsers(4, 2);
        AtomicReference<Environment> env = new AtomicReference<>();
        FaultPlan blackout = new FaultPlan(seed, List.of(new Fault(4000, 3000, Fault.POWER_LOSS, null, nodes(List.of("n1", "n2", "n3")))));
        RunResult r = Runner.run(SystemRuns.spec("rabbitmq", List.of(), 3, wc, nodes -> blackout, Duration.ofSeconds(30),
                results, env));

        assertEquals(Validity.VALID, r.result().valid(), r.result().summary());
        assertEquals(0L, r.result().counts().get("lost"), r.result().counts().toString());
        List<Op> ops = SystemRuns.read(r.history());
        Op off = ops.stream().filter(o -> o.f().equals("start-power-loss")).findFirst().orElseThrow();
        assertNull(off.error(), off.toString());
        assertTrue(off.value().path("dropped").path("reverted_files").asLong() > 0, "the drop took back unsynced bytes: " + off);
        assertTrue(ops.stream().anyMatch(o -> o.f().equals("stop-power-loss") && o.error() == null), "powered on again");
        long confirmedAfter = ops.stream().filter(o -> o.f().equals("send") && o.type().wire().equals("ok")
                && o.time() > off.time()).count();
        assertTrue(confirmedAfter > 0, "the cluster took publishes again after the power came back");
    }

    private static ObjectNode nodes(List<String> names) {
        ObjectNode d = JsonNodeFactory.instance.objectNode().put("db", false);
        names.forEach(d.putArray("nodes")::add);
        return d;
    }
}
