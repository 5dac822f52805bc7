package io.deliverycheck.systems.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Redis Streams client mapping against a real private redis-server (Debian's, AOF on, started
 * by the test): XADD replies are {@code send ok}, each entry a device is handed is a {@code receive}
 * recorded before its {@code ack} (XACK), a client disconnect makes the clients reconnect and keep
 * going, the {@code system} op carries the version, the fsync policy and the claims, and nothing is
 * left running.
 */
class RedisStreamsMappingTest {
    @TempDir Path results;

    @Test
    void addsReadsAndAcksOneOpPerProcessThroughAClientDisconnect() throws Exception {
        long seed = 13;
        System.out.println("seed " + seed);
        WorkloadConfig wc = WorkloadConfig.defaults(seed).withRate(20).withUsers(4, 2);
        AtomicReference<Environment> env = new AtomicReference<>();
        FaultPlan disconnect = new FaultPlan(seed, List.of(new Fault(1500, 500, Fault.DEVICE_DISCONNECT, null,
                JsonNodeFactory.instance.objectNode().put("node", "n1"))));
        RunResult r = Runner.run(SystemRuns.spec("redis-streams", List.of("window=8", "claim-idle=1000", "appendfsync=always"),
                1, wc, nodes -> disconnect, Duration.ofSeconds(5), results, env));

        assertEquals(Validity.VALID, r.result().valid(), r.result().summary());
        List<Op> ops = SystemRuns.read(r.history());
        Op system = ops.get(0);
        assertEquals("system", system.f());
        JsonNode v = system.value();
        assertEquals("redis-streams", v.get("name").asText());
        assertTrue(v.get("version").asText().matches("\\d+\\.\\d+\\.\\d+.*"), v.toString());
        assertEquals("always", v.get("settings").get("appendfsync").asText());
        assertEquals("at-least-once", v.get("guarantee").asText());
        assertEquals("none", v.get("order").asText());
        assertFalse(v.get("receipts").asBoolean());

        long sendsOk = SystemRuns.sendsOk(ops);
        assertTrue(sendsOk >= 20, "sends ok: " + sendsOk);
        assertTrue(ops.stream().anyMatch(o -> o.f().equals("start-device-disconnect") && o.error() == null),
                "the clients were disconnected");
        assertEquals(8, SystemRuns.assertDeviceOpsInOrder(ops, List.of("n1")).size(), "every device received");
        long senders = ops.stream().map(Op::process).filter(p -> p.matches("c\\d+")).distinct().count();
        assertTrue(senders > 1 && senders <= 8, "one publisher connection with a window of 8 processes: " + senders);
        assertEquals(Map.of(), ((RedisEnvironment) env.get()).pids(), "no server process left");
    }
}
