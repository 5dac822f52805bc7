package io.deliverycheck.systems.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kafka client mapping against one real private broker (default tier): the producer's
 * acknowledgement is {@code send ok}, each polled record is a {@code receive} recorded before the
 * {@code ack} (the offset commit) of its batch, a client disconnect makes producer and consumers
 * reconnect and keep going, the {@code system} op carries the version and claims, and nothing is
 * left running.
 */
class KafkaMappingTest {
    @TempDir Path tmp;

    /** {@code -Dkeep=DIR} keeps the run folder. */
    private Path results() {
        String keep = System.getProperty("keep");
        return keep != null ? Path.of(keep) : tmp;
    }

    @Test
    void sendsPollsAndCommitsOneOpPerProcessThroughAClientDisconnect() throws Exception {
        long seed = 12;
        System.out.println("seed " + seed);
        // 5 s to acknowledge: on the shared 2 cores (load 30-45) a first acks=all round trip took 2 s
        WorkloadConfig wc = WorkloadConfig.defaults(seed).withRate(20).withUsers(4, 2).withTimeouts(Duration.ofSeconds(5), 3);
        AtomicReference<Environment> env = new AtomicReference<>();
        FaultPlan disconnect = new FaultPlan(seed, List.of(new Fault(3000, 500, Fault.DEVICE_DISCONNECT, null,
                JsonNodeFactory.instance.objectNode().put("node", "n1"))));
        RunResult r = Runner.run(SystemRuns.spec("kafka", List.of("window=16"), 1, wc, nodes -> disconnect,
                Duration.ofSeconds(10), results(), env));

        assertEquals(Validity.VALID, r.result().valid(), r.result().summary());
        List<Op> ops = SystemRuns.read(r.history());
        Op system = ops.get(0);
        assertEquals("system", system.f());
        JsonNode v = system.value();
        assertEquals("kafka", v.get("name").asText());
        assertEquals(KafkaEnvironment.kafkaVersion(), v.get("version").asText());
        assertTrue(v.get("version").asText().matches("4\\.\\d+\\.\\d+"), v.toString());
        assertEquals("all", v.get("settings").get("acks").asText());
        assertEquals("16", v.get("settings").get("window").asText());
        assertEquals("at-least-once", v.get("guarantee").asText());
        assertEquals("per-sender", v.get("order").asText());
        assertFalse(v.get("receipts").asBoolean());

        long sendsOk = ops.stream().filter(o -> o.f().equals("send") && o.type() == OpType.OK).count();
        assertTrue(sendsOk >= 30, "sends ok: " + sendsOk);
        assertTrue(ops.stream().anyMatch(o -> o.f().equals("start-device-disconnect") && o.error() == null),
                "the clients were disconnected");
        assertTrue(ops.stream().filter(o -> o.f().equals("send") && o.type() == OpType.INVOKE)
                .allMatch(o -> o.node() == null || o.node().equals("n1")), "a send names the partition's leader");
        // each device: one or more receives (a polled batch), then its ack (the commit): invoke, then ok or info
        Map<String, String> last = new HashMap<>();
        Map<String, Integer> commits = new HashMap<>();
        for (Op o : ops) {
            if (!o.process().startsWith("d:")) {
                continue;
            }
            String step = o.f() + ":" + o.type().wire();
            String before = last.put(o.process(), step);
            switch (step) {
                case "receive:ok" -> assertTrue(before == null || !before.equals("ack:invoke"), o.toString());
                case "ack:invoke" -> assertEquals("receive:ok", before, o.toString());
                case "ack:ok", "ack:info" -> {
                    assertEquals("ack:invoke", before, o.toString());
                    commits.merge(o.process(), 1, Integer::sum);
                }
                default -> throw new AssertionError("unexpected device op " + o);
            }
        }
        assertEquals(8, commits.size(), "every device committed: " + commits);
        long senders = ops.stream().map(Op::process).filter(p -> p.matches("c\\d+")).distinct().count();
        assertTrue(senders > 1 && senders <= 16, "one producer with a window of 16 processes: " + senders);
        assertEquals(Map.of(), ((KafkaEnvironment) env.get()).pids(), "no broker process left");
    }
}
