package io.deliverycheck.systems.nats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
import io.deliverycheck.systems.RunParameters;
import io.deliverycheck.systems.Systems;
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
 * The NATS JetStream client mapping against a real private 3-server cluster (Debian's nats-server,
 * started by the test): PubAcks are {@code send ok}, each delivery is a {@code receive} (naming its
 * own subject, consumer and stream sequence) recorded
 * before its {@code ack}, a client disconnect makes the clients reconnect and keep going, the
 * {@code system} op carries the version and claims, options the server lacks are refused in one
 * line, and nothing is left running.
 */
class NatsMappingTest {
    @TempDir Path results;

    @Test
    void publishesConsumesAndAcksOneOpPerProcessThroughAClientDisconnect() throws Exception {
        long seed = 12;
        System.out.println("seed " + seed);
        WorkloadConfig wc = WorkloadConfig.defaults(seed).withRate(20).withUsers(4, 2);
        AtomicReference<Environment> env = new AtomicReference<>();
        FaultPlan disconnect = new FaultPlan(seed, List.of(new Fault(1500, 500, Fault.DEVICE_DISCONNECT, null,
                JsonNodeFactory.instance.objectNode().put("node", "n1"))));
        RunResult r = Runner.run(SystemRuns.spec("nats", List.of("window=8", "publishers=1", "ack-wait=2"), 3, wc,
                nodes -> disconnect, Duration.ofSeconds(5), results, env));

        assertEquals(Validity.VALID, r.result().valid(), r.result().summary());
        List<Op> ops = SystemRuns.read(r.history());
        Op system = ops.get(0);
        assertEquals("system", system.f());
        JsonNode v = system.value();
        assertEquals("nats", v.get("name").asText());
        assertTrue(v.get("version").asText().matches("\\d+\\.\\d+\\.\\d+.*"), v.toString());
        assertEquals("3", v.get("settings").get("replicas").asText());
        assertEquals("8", v.get("settings").get("window").asText());
        assertEquals("at-least-once", v.get("guarantee").asText());
        assertEquals("none", v.get("order").asText());
        assertFalse(v.get("receipts").asBoolean());

        long sendsOk = SystemRuns.sendsOk(ops);
        assertTrue(sendsOk >= 20, "sends ok: " + sendsOk);
        assertTrue(ops.stream().anyMatch(o -> o.f().equals("start-device-disconnect") && o.error() == null),
                "the clients were disconnected");
        assertEquals(8, SystemRuns.assertDeviceOpsInOrder(ops, List.of("n1", "n2", "n3")).size(), "every device received");
        for (Op o : ops) {
            if (o.f().equals("receive")) { // each delivery names its subject, consumer and stream sequence
                JsonNode rv = o.value();
                String user = rv.get("recipient").asText();
                assertEquals(NatsClients.subject(user), rv.path("subject").asText(), o.toString());
                assertEquals(NatsClients.consumer(user, rv.get("device").asText()), rv.path("consumer").asText(), o.toString());
                assertTrue(rv.path("stream_seq").asLong() > 0 && rv.path("delivered").asLong() > 0, o.toString());
            }
        }
        long senders = ops.stream().map(Op::process).filter(p -> p.matches("c\\d+")).distinct().count();
        assertTrue(senders > 1 && senders <= 8, "one publisher connection with a window of 8 processes: " + senders);
        assertEquals(Map.of(), ((NatsEnvironment) env.get()).pids(), "no server process left");
    }

    @Test
    void ackSyncClaimsExactlyOnceAndOptionsTheServerLacksAreRefusedInOneLine() {
        Systems.Chosen sync = Systems.choose("nats", List.of("ack-sync=true"), null, List.of());
        assertEquals("exactly-once", sync.claims().guarantee());
        assertEquals("at-least-once", Systems.choose("nats", List.of(), null, List.of()).claims().guarantee());

        RunParameters run = new RunParameters(3, "local", WorkloadConfig.defaults(1));
        Systems.Chosen interval = Systems.choose("nats", List.of("sync_interval=1s"), null, List.of());
        String version = NatsSystemVersion.installed();
        if (version.startsWith("2.9.") || version.matches("2\\.[0-8]\\..*")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> interval.system().validate(run, interval.settings()));
            assertEquals("--system-opt sync_interval=1s: nats-server " + version
                    + " has no sync_interval (added in 2.10; 2.9 syncs its file store every 60 s)", e.getMessage());
        }
        Systems.Chosen bad = Systems.choose("nats", List.of("sync_interval=soon"), null, List.of());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> bad.system().validate(run, bad.settings()))
                .getMessage().startsWith("--system-opt sync_interval=soon: expected"));
        Systems.Chosen many = Systems.choose("nats", List.of("replicas=5"), null, List.of());
        assertEquals("--system-opt replicas=5: must be 1..5 and at most --nodes (3)",
                assertThrows(IllegalArgumentException.class, () -> many.system().validate(run, many.settings())).getMessage());
    }

    /** The installed server's version, as the system asks it. */
    static final class NatsSystemVersion {
        static String installed() {
            try {
                return NatsSystem.serverVersion("nats-server");
            } catch (Exception e) {
                throw new AssertionError("nats-server not runnable: " + e);
            }
        }
    }
}
