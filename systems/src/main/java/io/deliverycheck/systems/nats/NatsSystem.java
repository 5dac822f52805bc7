package io.deliverycheck.systems.nats;

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
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * NATS JetStream (Debian's {@code nats-server}) as a system under test: a private cluster of N
 * servers ({@link NatsEnvironment}), one replicated file stream with a subject per user, a
 * {@code Nats-Msg-Id} on every publish, a durable pull consumer with explicit acks per device
 * ({@link NatsClients}). Claims at-least-once; exactly-once with {@code ack-sync=true} (Msg-Id
 * deduplication plus double acks), as NATS documents them (docs/systems.md, "NATS JetStream: what
 * it claims").
 */
public final class NatsSystem implements SystemUnderTest {
    /** Where NATS documents the claims. */
    static final String SOURCE = "https://docs.nats.io/using-nats/developer/develop_jetstream/model_deep_dive"
            + " (Message Deduplication, Exactly Once Semantics); https://docs.nats.io/nats-concepts/jetstream"
            + " (at-least-once with acks)";

    private static final Pattern VERSION = Pattern.compile("(\\d+)\\.(\\d+)");

    @Override
    public String name() {
        return "nats";
    }

    @Override
    public String summary() {
        return "NATS JetStream (Debian's nats-server), a private cluster; a replicated file stream, a subject per user,"
                + " a durable pull consumer per device";
    }

    @Override
    public List<SystemOption> options() {
        return List.of(
                new SystemOption("ack-sync", "false", List.of("true", "false"),
                        "devices ack with AckSync (the double ack: wait for the server's confirmation); claims exactly-once"),
                new SystemOption("replicas", "3", List.of(), "replicas of the stream and its consumers (1..5, at most --nodes)"),
                new SystemOption("sync_interval", "default", List.of(),
                        "JetStream sync_interval (always or a duration such as 1s); needs nats-server 2.10 or later"),
                new SystemOption("ack-wait", "5", List.of(), "AckWait of the device consumers, seconds (>= 1)"),
                new SystemOption("dedup-window", "120", List.of(), "the stream's duplicate window, seconds (>= 1)"),
                new SystemOption("window", "64", List.of(), "publishes awaiting their PubAck per publisher connection (>= 1)"),
                new SystemOption("publishers", "0", List.of(), "publisher connections (0: one per node)"),
                new SystemOption("fetch", "100", List.of(), "messages per pull request of a device (>= 1)"),
                new SystemOption("server", "nats-server", List.of(), "the nats-server executable"));
    }

    /** At-least-once; exactly-once with Msg-Id deduplication and double acks (ack-sync=true). No order claim. */
    @Override
    public Claims claims(Settings settings) {
        return new Claims(settings.getBoolean("ack-sync") ? "exactly-once" : "at-least-once", false, "none", SOURCE);
    }

    /** corrupt-file and power-loss are drawn only when named (--nemesis corrupt-file); corrupt-file needs 3 or more servers, power-loss a machine that can mount the power-loss file system. */
    @Override
    public List<String> faults(Settings settings) {
        List<String> f = new java.util.ArrayList<>(List.of(Fault.PARTITION, Fault.KILL, Fault.PAUSE, Fault.DEVICE_DISCONNECT,
                Fault.CORRUPT_FILE));
        if (io.deliverycheck.environments.disk.PowerLossFs.problem() == null) {
            f.add(Fault.POWER_LOSS);
        }
        return f;
    }

    @Override
    public String missing(Settings settings) {
        try {
            serverVersion(settings.get("server"));
            return null;
        } catch (Exception e) {
            return "nats-server not runnable as " + settings.get("server") + ": install it (Debian: apt-get install nats-server)"
                    + " or pass --system-opt server=PATH";
        }
    }

    @Override
    public void validate(RunParameters run, Settings settings) {
        SystemUnderTest.super.validate(run, settings);
        clientOptions(run, settings);
        NatsConfig cfg = natsConfig(run, settings);
        if (cfg.syncInterval() != null) {
            String version;
            try {
                version = serverVersion(cfg.binary());
            } catch (Exception e) {
                return; // missing() says what to install
            }
            Matcher m = VERSION.matcher(version);
            if (m.find() && (Integer.parseInt(m.group(1)) < 2
                    || (Integer.parseInt(m.group(1)) == 2 && Integer.parseInt(m.group(2)) < 10))) {
                throw new IllegalArgumentException("--system-opt sync_interval=" + cfg.syncInterval() + ": nats-server "
                        + version + " has no sync_interval (added in 2.10; 2.9 syncs its file store every 60 s)");
            }
        }
    }

    /** {@code nats-server --version}, e.g. {@code 2.9.10}. */
    static String serverVersion(String binary) throws Exception {
        BrokerProcess.Result r = BrokerProcess.run(List.of(binary, "--version"), Duration.ofSeconds(10), "nats-server");
        if (r.exitCode() != 0) {
            throw new IllegalStateException(binary + " --version failed: " + r.output());
        }
        return r.output().trim().replaceFirst("^nats-server:\\s*v?", "");
    }

    NatsClients.Options clientOptions(RunParameters run, Settings s) {
        int replicas = atLeast(s, "replicas", 1);
        if (replicas > 5 || replicas > run.nodes()) {
            throw new IllegalArgumentException("--system-opt replicas=" + replicas + ": must be 1..5 and at most --nodes ("
                    + run.nodes() + ")");
        }
        int publishers = atLeast(s, "publishers", 0);
        return new NatsClients.Options(replicas, s.getBoolean("ack-sync"), Duration.ofSeconds(atLeast(s, "ack-wait", 1)),
                Duration.ofSeconds(atLeast(s, "dedup-window", 1)), atLeast(s, "window", 1),
                publishers == 0 ? run.nodes() : publishers, atLeast(s, "fetch", 1));
    }

    private static int atLeast(Settings s, String name, int min) {
        int v = s.getInt(name);
        if (v < min) {
            throw new IllegalArgumentException("--system-opt " + name + "=" + v + ": must be >= " + min);
        }
        return v;
    }

    NatsConfig natsConfig(RunParameters run, Settings s) {
        String sync = s.get("sync_interval");
        try {
            return NatsConfig.defaults().withServers(run.nodes()).withBinary(s.get("server"))
                    .withSyncInterval(sync.equals("default") ? null : sync);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--system-opt sync_interval=" + sync + ": expected default, always or a duration"
                    + " like 1s, 500ms, 2m");
        }
    }

    /**
     * A pull consumer hands an unacknowledged message out again once its AckWait ran out, and only
     * when the consumer has a leader: after a pause or kill of its leader's server the consumer
     * reports "NO quorum, stalled" until a new one is elected. On this loaded machine (load 30-40)
     * deliveries came up to 12 s late after a pause, and a drain that waited AckWait + 5 s reported
     * as lost messages it would have delivered later, so the horizon is AckWait + 25 s.
     */
    static Duration retryHorizon(NatsClients.Options o) {
        return o.ackWait().plusSeconds(25);
    }

    @Override
    public PlainClient plainClient(RunParameters run, Settings settings) {
        NatsClients.Options o = clientOptions(run, settings);
        return (env, roster, plan, warmup, duration) -> BenchNats.run((NatsEnvironment) env, roster, plan, o, warmup, duration);
    }

    @Override
    public Environment environment(RunParameters run, Settings settings) {
        NatsClients.Options o = clientOptions(run, settings);
        return new NatsEnvironment(natsConfig(run, settings), SystemOp.of(name(), null, settings, run.nodes(), claims(settings)),
                retryHorizon(o));
    }

    @Override
    public Workload workload(RunParameters run, Settings settings) {
        return Workloads.create(run.workload(), new NatsClients(clientOptions(run, settings)));
    }
}
