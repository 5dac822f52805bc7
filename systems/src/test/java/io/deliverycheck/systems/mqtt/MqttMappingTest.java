package io.deliverycheck.systems.mqtt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.Validity;
import io.deliverycheck.checker.history.Op;
import io.deliverycheck.checker.history.OpType;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The MQTT client mapping against one real private Mosquitto (started by the test): acknowledged
 * publishes are {@code send ok}, each delivery is a {@code receive} recorded before its {@code ack},
 * a client disconnect and a client link cut make the persistent sessions reconnect and go on, the
 * {@code system} op carries the version and the claim of the QoS, and nothing is left running.
 */
class MqttMappingTest {
    @TempDir Path results;

    static FaultPlan disconnectThenCut(long seed) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode cut = f.objectNode();
        cut.set("grudge", new ObjectMapper().valueToTree(Map.of("clients", List.of("n1"), "n1", List.of("clients"))));
        return new FaultPlan(seed, List.of(
                new Fault(1000, 300, Fault.DEVICE_DISCONNECT, null, f.objectNode().put("node", "n1")),
                new Fault(2500, 1500, Fault.PARTITION, "isolate-one", cut)));
    }

    private RunResult run(int qos, long seed, AtomicReference<Environment> env) throws Exception {
        System.out.println("seed " + seed + ", qos " + qos);
        WorkloadConfig wc = WorkloadConfig.defaults(seed).withRate(20).withUsers(4, 2);
        return Runner.run(SystemRuns.spec("mqtt", List.of("qos=" + qos, "window=8", "keep-alive=2"), 1, wc,
                nodes -> disconnectThenCut(seed), Duration.ofSeconds(10), results.resolve("qos" + qos), env));
    }

    @Test
    void qos2PublishesConsumesAndAcksThroughADisconnectAndALinkCut() throws Exception {
        AtomicReference<Environment> env = new AtomicReference<>();
        RunResult r = run(2, 21, env);
        assertEquals(Validity.VALID, r.result().valid(), r.result().summary());
        List<Op> ops = SystemRuns.read(r.history());
        JsonNode v = ops.get(0).value();
        assertEquals("system", ops.get(0).f());
        assertEquals("mqtt", v.get("name").asText());
        assertTrue(v.get("version").asText().matches("\\d+\\.\\d+\\.\\d+.*"), v.toString());
        assertEquals("2", v.get("settings").get("qos").asText());
        assertEquals(1, v.get("settings").get("nodes").asInt());
        assertEquals(64, v.get("broker").get("max_inflight_messages").asInt());
        assertEquals("exactly-once", v.get("guarantee").asText());
        assertEquals("per-sender", v.get("order").asText());
        assertFalse(v.get("receipts").asBoolean());

        long sendsOk = ops.stream().filter(o -> o.f().equals("send") && o.type() == OpType.OK).count();
        assertTrue(sendsOk >= 20, "sends ok: " + sendsOk);
        for (String f : List.of("start-device-disconnect", "start-partition", "stop-partition")) {
            assertTrue(ops.stream().anyMatch(o -> o.f().equals(f) && o.error() == null), f + " applied");
        }
        assertTrue(ops.stream().noneMatch(o -> o.f().equals("send") && o.value().get("attempt").asInt() > 1),
                "the harness never publishes a message twice");
        Map<String, String> last = new HashMap<>();
        for (Op o : ops) {
            if (!o.process().startsWith("d:")) {
                continue;
            }
            String step = o.f() + ":" + o.type().wire();
            String before = last.put(o.process(), step);
            switch (step) {
                case "receive:ok" -> assertTrue(before == null || before.startsWith("ack:") && !before.equals("ack:invoke"), o.toString());
                case "ack:invoke" -> assertEquals("receive:ok", before, o.toString());
                case "ack:ok", "ack:info" -> assertEquals("ack:invoke", before, o.toString());
                default -> throw new AssertionError("unexpected device op " + o);
            }
        }
        long senders = ops.stream().map(Op::process).filter(p -> p.matches("c\\d+")).distinct().count();
        assertTrue(senders > 1 && senders <= 8, "one publisher connection with a window of 8 processes: " + senders);
        assertEquals(Map.of(), ((MosquittoEnvironment) env.get()).pids(), "no broker process left");
    }

    @Test
    void qos0ClaimsAtMostOnceAndRuns() throws Exception {
        AtomicReference<Environment> env = new AtomicReference<>();
        RunResult r = run(0, 22, env);
        assertEquals("at-most-once", r.result().guarantee().wire(), r.result().summary());
        assertEquals(Validity.VALID, r.result().valid(), r.result().summary());
        assertTrue(r.result().counts().get("sent_ok") >= 20, r.result().summary());
        assertEquals(Map.of(), ((MosquittoEnvironment) env.get()).pids(), "no broker process left");
    }

    @Test
    void claimsFollowTheQosAndBadOptionsAreOneLine() {
        assertEquals("at-most-once", Systems.choose("mqtt", List.of("qos=0"), null, List.of()).claims().guarantee());
        assertEquals("at-least-once", Systems.choose("mqtt", List.of(), null, List.of()).claims().guarantee());
        assertEquals("exactly-once", Systems.choose("mqtt", List.of("qos=2"), null, List.of()).claims().guarantee());
        assertEquals("none", Systems.choose("mqtt", List.of("publishers=2"), null, List.of()).claims().order());
        assertThrows(IllegalArgumentException.class, () -> Systems.choose("mqtt", List.of("qos=3"), null, List.of()));
        MqttSystem s = new MqttSystem();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.clientOptions(
                Systems.choose("mqtt", List.of("window=0"), null, List.of()).settings()));
        assertEquals("--system-opt window=0: must be between 1 and 65535", e.getMessage());
        assertTrue(s.missing(Systems.choose("mqtt", List.of("binary=/nonexistent/mosquitto"), null, List.of()).settings())
                .contains("apt-get install mosquitto"));
    }
}
