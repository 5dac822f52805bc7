package io.deliverycheck.systems.mqtt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A private Mosquitto under one fixed fault plan (a client link cut, a pause, a client disconnect,
 * then a broker kill), QoS 2 with Mosquitto's own autosave (every 1800 s). The QoS 2 handshake keeps
 * every message single through the link cut, the pause, the disconnect and the kill: no duplicate,
 * no reordering. The kill loses the devices' persistent sessions (nothing was saved), so a message
 * the broker completed after the restart but before a device had reconnected and subscribed again
 * reaches nobody on that device (docs/findings.md): whether one falls in that window depends on the
 * reconnect race, so the test allows loss only of such messages and asserts the rest.
 * {@code -Dkeep=DIR} keeps the run folder.
 */
@Tag("slow")
class MqttUnderFaultsTest {
    private static final long SEED = 9;
    @TempDir Path tmp;

    private Path results() {
        String keep = System.getProperty("keep");
        return keep != null ? Path.of(keep) : tmp;
    }

    static FaultPlan plan() {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode cut = f.objectNode();
        cut.set("grudge", new ObjectMapper().valueToTree(Map.of("clients", List.of("n1"), "n1", List.of("clients"))));
        return new FaultPlan(SEED, List.of(
                new Fault(2000, 3000, Fault.PARTITION, "isolate-one", cut),
                new Fault(7000, 3000, Fault.PAUSE, null, f.objectNode().put("node", "n1")),
                new Fault(12000, 500, Fault.DEVICE_DISCONNECT, null, f.objectNode().put("node", "n1")),
                new Fault(14000, 3000, Fault.KILL, null, f.objectNode().put("node", "n1"))));
    }

    @Test
    void qos2KeepsEveryMessageSingleAndLosesOnlyWhatTheRestartedBrokerCompletedBeforeTheDevicesSubscribed() throws Exception {
        System.out.println("seed " + SEED + ", qos 2, autosave_interval 1800");
        AtomicReference<Environment> env = new AtomicReference<>();
        WorkloadConfig wc = WorkloadConfig.defaults(SEED).withRate(20).withUsers(6, 2);
        RunResult r = Runner.run(SystemRuns.spec("mqtt", List.of("qos=2", "keep-alive=5"), 1, wc, nodes -> plan(),
                Duration.ofSeconds(22), results(), env));
        List<Op> ops = SystemRuns.read(r.history());
        for (String f : List.of("start-partition", "stop-partition", "pause", "resume", "start-device-disconnect", "kill",
                "restart")) {
            List<Op> these = ops.stream().filter(o -> o.f().equals(f)).toList();
            assertTrue(!these.isEmpty() && these.stream().allMatch(o -> o.error() == null), f + " applied without error: " + these);
        }
        assertEquals("judged", r.result().loss(), r.result().summary());
        assertTrue(r.result().counts().get("sent_ok") > 50, r.result().summary());
        assertEquals(0L, r.result().counts().getOrDefault("duplicated", 0L), r.result().summary());
        assertEquals(0L, r.result().counts().getOrDefault("reordered", 0L), r.result().summary());
        Op restart = ops.stream().filter(o -> o.f().equals("restart")).findFirst().orElseThrow();
        Set<String> okSoonAfterRestart = new HashSet<>();
        for (Op o : ops) {
            if (o.f().equals("send") && o.type() == OpType.OK && o.index() > restart.index()
                    && o.time() - restart.time() < Duration.ofSeconds(5).toNanos()) {
                okSoonAfterRestart.add(o.value().get("id").asText());
            }
        }
        JsonNode json = new ObjectMapper().readTree(r.runDir().resolve("results.json").toFile());
        for (JsonNode lost : json.get("lost")) {
            assertTrue(okSoonAfterRestart.contains(lost.get("id").asText()),
                    "lost only what was completed within 5 s after the restart: " + lost);
        }
        assertEquals(Map.of(), ((MosquittoEnvironment) env.get()).pids(), "no broker process left");
    }
}
