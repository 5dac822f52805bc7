package io.deliverycheck.systems.rabbitmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.deliverycheck.checker.Validity;
import io.deliverycheck.checker.history.Op;
import io.deliverycheck.checker.history.OpType;
import io.deliverycheck.checker.runner.Environment;
import io.deliverycheck.checker.runner.Fault;
import io.deliverycheck.checker.runner.FaultPlan;
import io.deliverycheck.checker.runner.RunResult;
import io.deliverycheck.checker.runner.Runner;
import io.deliverycheck.systems.support.SystemRuns;
import io.deliverycheck.workloads.WorkloadConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The RabbitMQ client mapping against one real private node (Debian's rabbitmq-server, started by
 * the test): publisher confirms are {@code send ok}, each delivery is a {@code receive} recorded
 * before its {@code ack}, a client disconnect makes devices reconnect and keep consuming, the
 * {@code system} op carries the version and claims, and nothing is left running.
 */
class RabbitMappingTest {
    @TempDir Path results;

    @Test
    void publishesConsumesAndAcksOneOpPerProcessThroughAClientDisconnect() throws Exception {
        long seed = 11;
        System.out.println("seed " + seed);
        WorkloadConfig wc = WorkloadConfig.defaults(seed).withRate(20).withUsers(4, 2);
        AtomicReference<Environment> env = new AtomicReference<>();
        FaultPlan disconnect = new FaultPlan(seed, List.of(new Fault(1500, 500, Fault.DEVICE_DISCONNECT, null,
                JsonNodeFactory.instance.objectNode().put("node", "n1"))));
        RunResult r = Runner.run(SystemRuns.spec("rabbitmq", List.of("window=8", "prefetch=10"), 1, wc,
                nodes -> disconnect, Duration.ofSeconds(5), results, env));

        assertEquals(Validity.VALID, r.result().valid(), r.result().summary());
        List<Op> ops = SystemRuns.read(r.history());
        Op system = ops.get(0);
        assertEquals("system", system.f());
        JsonNode v = system.value();
        assertEquals("rabbitmq", v.get("name").asText());
        assertTrue(v.get("version").asText().matches("\\d+\\.\\d+\\.\\d+.*"), v.toString());
        assertEquals("quorum", v.get("settings").get("queue-type").asText());
        assertEquals("8", v.get("settings").get("window").asText());
        assertEquals("at-least-once", v.get("guarantee").asText());
        assertEquals("per-sender", v.get("order").asText());
        assertFalse(v.get("receipts").asBoolean());

        long sendsOk = ops.stream().filter(o -> o.f().equals("send") && o.type() == OpType.OK).count();
        assertTrue(sendsOk >= 50, "sends ok: " + sendsOk);
        assertTrue(ops.stream().anyMatch(o -> o.f().equals("start-device-disconnect") && o.error() == null),
                "the clients were disconnected");
        // each device: receive, ack invoke, ack ok, in that order, and never two ops open
        Map<String, String> last = new HashMap<>();
        for (Op o : ops) {
            if (!o.process().startsWith("d:")) {
                continue;
            }
            String step = o.f() + ":" + o.type().wire();
            String before = last.put(o.process(), step);
            switch (step) {
                case "receive:ok" -> assertTrue(before == null || before.equals("ack:ok") || before.equals("ack:info"), o.toString());
                case "ack:invoke" -> assertEquals("receive:ok", before, o.toString());
                case "ack:ok", "ack:info" -> assertEquals("ack:invoke", before, o.toString());
                default -> throw new AssertionError("unexpected device op " + o);
            }
            assertEquals("n1", o.node(), o.toString());
        }
        long senders = ops.stream().map(Op::process).filter(p -> p.matches("c\\d+")).distinct().count();
        assertTrue(senders > 1 && senders <= 8, "one publisher connection with a window of 8 processes: " + senders);

        RabbitCluster cluster = (RabbitCluster) env.get();
        assertEquals(Map.of(), cluster.pids(), "no broker process left");
        assertNotEquals("unknown", cluster.version());
        assertFalse(Files.exists(r.runDir().resolve("rabbitmq")), "data directories deleted");
        assertTrue(Files.size(r.runDir().resolve("logs").resolve("rabbitmq-n1.log")) > 0);
    }
}
