package io.deliverycheck.systems.sqs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.deliverycheck.checker.history.Op;
import io.deliverycheck.checker.runner.Environment;
import io.deliverycheck.checker.runner.Fault;
import io.deliverycheck.checker.runner.FaultPlan;
import io.deliverycheck.checker.runner.RunResult;
import io.deliverycheck.checker.runner.Runner;
import io.deliverycheck.systems.Systems;
import io.deliverycheck.systems.support.SystemRuns;
import io.deliverycheck.workloads.WorkloadConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sqs-fifo client mapping against a real private ElasticMQ (its own JVM on 127.0.0.1, started by
 * the test): SendMessage answers are {@code send ok}, each message a device is handed is a
 * {@code receive} recorded before its {@code ack} (DeleteMessage), a client disconnect makes the
 * clients reconnect and keep going, nothing is lost or reordered, a message comes again only after
 * its DeleteMessage was not confirmed, the {@code system} op carries the version, the settings and
 * the claims, and nothing is left running.
 */
class SqsFifoMappingTest {
    @TempDir Path results;

    @Test
    void sendsReceivesAndDeletesOneOpPerProcessThroughAClientDisconnect() throws Exception {
        long seed = 13;
        System.out.println("seed " + seed);
        WorkloadConfig wc = WorkloadConfig.defaults(seed).withRate(20).withUsers(4, 2);
        AtomicReference<Environment> env = new AtomicReference<>();
        FaultPlan disconnect = new FaultPlan(seed, List.of(new Fault(1500, 500, Fault.DEVICE_DISCONNECT, null,
                JsonNodeFactory.instance.objectNode().put("node", "n1"))));
        RunResult r = Runner.run(SystemRuns.spec("sqs-fifo", List.of("window=8", "visibility-timeout=2"),
                1, wc, nodes -> disconnect, Duration.ofSeconds(5), results, env));

        List<Op> ops = SystemRuns.read(r.history());
        Op system = ops.get(0);
        assertEquals("system", system.f());
        JsonNode v = system.value();
        assertEquals("sqs-fifo", v.get("name").asText());
        assertTrue(v.get("version").asText().matches("elasticmq-\\d+\\.\\d+\\.\\d+.*"), v.toString());
        assertEquals("elasticmq", v.get("broker").get("implementation").asText());
        assertEquals(2, v.get("broker").get("visibility_timeout_s").asInt());
        assertFalse(v.get("broker").get("persist_messages").asBoolean());
        assertEquals("exactly-once", v.get("guarantee").asText());
        assertEquals("per-sender", v.get("order").asText());
        assertFalse(v.get("receipts").asBoolean());

        long sendsOk = SystemRuns.sendsOk(ops);
        assertTrue(sendsOk >= 20, "sends ok: " + sendsOk + "; " + r.result().summary());
        assertTrue(ops.stream().anyMatch(o -> o.f().equals("start-device-disconnect") && o.error() == null),
                "the clients were disconnected");
        assertEquals(8, SystemRuns.assertDeviceOpsInOrder(ops, List.of("n1")).size(), "every device received");
        long senders = ops.stream().map(Op::process).filter(p -> p.matches("c\\d+")).distinct().count();
        assertTrue(senders > 1 && senders <= 8, "one SDK client with a window of 8 processes: " + senders);

        // the verdict: nothing lost or out of order; a duplicate only where a DeleteMessage's answer
        // was lost in the disconnect (SQS hands such a message out again after the visibility timeout)
        assertEquals("judged", r.result().loss());
        assertEquals(0, r.result().count("lost"), r.result().summary());
        assertEquals(0, r.result().count("reordered"), r.result().summary());
        assertEquals(0, r.result().count("harness_errors"), r.result().summary());
        assertTrue(Set.of("duplicated").containsAll(r.result().violations()), r.result().summary());
        int redelivered = SqsRuns.assertRedeliveriesFollowUnconfirmedDeletes(ops);
        assertEquals(r.result().count("duplicate_effects"), redelivered, r.result().summary());
        assertEquals(Map.of(), ((SqsEnvironment) env.get()).pids(), "no ElasticMQ process left");
    }

    @Test
    void claimsAndBadOptionsAreOneLine() {
        assertEquals("exactly-once", Systems.choose("sqs-fifo", List.of(), null, List.of()).claims().guarantee());
        SqsFifoSystem s = new SqsFifoSystem();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.clientOptions(
                Systems.choose("sqs-fifo", List.of("max-messages=11"), null, List.of()).settings()));
        assertEquals("--system-opt max-messages=11: must be between 1 and 10", e.getMessage());
    }
}
