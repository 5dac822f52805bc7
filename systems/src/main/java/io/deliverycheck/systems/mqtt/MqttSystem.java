package io.deliverycheck.systems.mqtt;

import io.deliverycheck.checker.runner.Environment;
import io.deliverycheck.checker.runner.Fault;
import io.deliverycheck.checker.runner.Workload;
import io.deliverycheck.systems.Claims;
import io.deliverycheck.systems.RunParameters;
import io.deliverycheck.systems.Settings;
import io.deliverycheck.systems.SystemOp;
import io.deliverycheck.systems.SystemOption;
import io.deliverycheck.systems.SystemUnderTest;
import io.deliverycheck.systems.bench.PlainClient;
import io.deliverycheck.workloads.Workloads;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * MQTT (a private Mosquitto with persistence, {@link MosquittoEnvironment}) as a system under test:
 * a topic {@code dc/u/<user>} per user, a persistent session (clean start off after the first
 * connect) per device subscribed to its user's topic, publishes at QoS {@code qos} from
 * {@code publishers} MQTT 5 connections with {@code window} in flight each ({@link MqttClients}).
 * One broker whatever {@code --nodes} says: Mosquitto cannot cluster. Claims what the MQTT 5.0
 * specification states for the QoS (docs/systems.md, "MQTT: what it claims").
 */
public final class MqttSystem implements SystemUnderTest {
    /** Where the MQTT specification states the QoS levels' delivery and the message order. */
    static final String SOURCE = "MQTT Version 5.0, OASIS Standard (https://docs.oasis-open.org/mqtt/mqtt/v5.0/mqtt-v5.0.html),"
            + " 4.3 Quality of Service levels and protocol flows; 4.6 Message ordering";

    @Override
    public String name() {
        return "mqtt";
    }

    @Override
    public String summary() {
        return "MQTT 5 on Mosquitto (Debian's mosquitto, one broker, persistence on); topic per user, persistent session per device";
    }

    @Override
    public List<SystemOption> options() {
        return List.of(
                new SystemOption("qos", "1", List.of("0", "1", "2"), "QoS of every publish and subscription"),
                new SystemOption("window", "64", List.of(), "publishes in flight per publisher connection (>= 1)"),
                new SystemOption("publishers", "1", List.of(), "publisher connections (>= 1; order is claimed only for 1)"),
                new SystemOption("receive-maximum", "65535", List.of(),
                        "Receive Maximum each device announces (Mosquitto 2.0.11 overruns a small one at QoS 2)"),
                new SystemOption("keep-alive", "10", List.of(), "MQTT keep alive of every client, seconds (>= 1)"),
                new SystemOption("autosave-interval", "1800", List.of(),
                        "Mosquitto's autosave_interval: seconds (or changes) between saves of its database"),
                new SystemOption("autosave-on-changes", "false", List.of("true", "false"),
                        "Mosquitto's autosave_on_changes: autosave-interval counts changes, not seconds"),
                new SystemOption("binary", "mosquitto", List.of(), "the mosquitto executable (a name on the PATH or a path)"));
    }

    /** QoS 0, 1, 2: at-most-once, at-least-once, exactly-once; order per sender with one publisher connection. */
    @Override
    public Claims claims(Settings settings) {
        String guarantee = switch (settings.getInt("qos")) {
            case 0 -> "at-most-once";
            case 1 -> "at-least-once";
            default -> "exactly-once";
        };
        return new Claims(guarantee, false, settings.getInt("publishers") == 1 ? "per-sender" : "none", SOURCE);
    }

    /**
     * Kill, pause, client disconnects, and the client link cut as {@code partition} (a grudge between
     * {@code n1} and {@code clients}, from a fault plan: one node gives a generated plan no partition).
     */
    @Override
    public List<String> faults(Settings settings) {
        List<String> f = new java.util.ArrayList<>(List.of(Fault.PARTITION, Fault.KILL, Fault.PAUSE, Fault.DEVICE_DISCONNECT));
        if (io.deliverycheck.environments.disk.PowerLossFs.problem() == null) {
            f.add(Fault.POWER_LOSS); // drawn only when named: the persistence file on a power-loss file system
        }
        return f;
    }

    @Override
    public String missing(Settings settings) {
        String b = settings.get("binary");
        if (b.contains("/") ? Files.isExecutable(Path.of(b)) : onPath(b)) {
            return null;
        }
        return "mosquitto not found (" + b + "): install it (Debian: apt-get install mosquitto) or pass --system-opt binary=PATH";
    }

    private static boolean onPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void validate(RunParameters run, Settings settings) {
        SystemUnderTest.super.validate(run, settings);
        clientOptions(settings);
        config(settings);
    }

    MqttClients.Options clientOptions(Settings s) {
        return new MqttClients.Options(s.getInt("qos"), atLeast(s, "window", 1, 65535), atLeast(s, "publishers", 1, 64),
                atLeast(s, "receive-maximum", 1, 65535), atLeast(s, "keep-alive", 1, 65535));
    }

    private static int atLeast(Settings s, String name, int min, int max) {
        int v = s.getInt(name);
        if (v < min || v > max) {
            throw new IllegalArgumentException("--system-opt " + name + "=" + v + ": must be between " + min + " and " + max);
        }
        return v;
    }

    MosquittoConfig config(Settings s) {
        int window = atLeast(s, "window", 1, 65535);
        int autosave = s.getInt("autosave-interval");
        if (autosave < 0) {
            throw new IllegalArgumentException("--system-opt autosave-interval=" + autosave + ": must be >= 0");
        }
        return MosquittoConfig.defaults()
                .withMaxInflightMessages(Math.max(64, window))
                .withAutosave(autosave, s.getBoolean("autosave-on-changes"))
                .withBinary(s.get("binary"));
    }

    /**
     * The longest a correct broker takes to hand an unacknowledged message out again: it resends it
     * when the device's session reconnects, which happens once a dead connection is noticed (1.5 keep
     * alives) and the device's backoff (at most 2 s) has passed.
     */
    static Duration retryHorizon(MqttClients.Options o) {
        return Duration.ofMillis(1500L * o.keepAliveSeconds() + 2000);
    }

    /** {@link BenchMqtt}: the same connections, QoS, window and Receive Maximum as the harness's clients, nothing recorded. */
    @Override
    public PlainClient plainClient(RunParameters run, Settings settings) {
        MqttClients.Options o = clientOptions(settings);
        return (env, roster, plan, warmup, duration) -> BenchMqtt.run(env.clientEndpoint(env.nodes().get(0)), roster, plan, o,
                warmup, duration);
    }

    @Override
    public Environment environment(RunParameters run, Settings settings) {
        MqttClients.Options o = clientOptions(settings);
        MosquittoEnvironment env = new MosquittoEnvironment(config(settings));
        var op = SystemOp.of(name(), null, settings, 1, claims(settings));
        op.set("broker", env.settings());
        return env.claiming(op, retryHorizon(o));
    }

    @Override
    public Workload workload(RunParameters run, Settings settings) {
        return Workloads.create(run.workload(), new MqttClients(clientOptions(settings)));
    }
}
