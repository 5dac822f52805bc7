package io.deliverycheck.systems.rabbitmq;

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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * RabbitMQ (Debian's {@code rabbitmq-server}) as a system under test: a private cluster of N nodes
 * ({@link RabbitCluster}), a fanout exchange per user and a durable quorum (or classic) queue per
 * device, persistent messages, publisher confirms as {@code send ok}, manual acks after the
 * {@code receive} is recorded ({@link RabbitClients}). Claims at-least-once and order per sender
 * for both queue types (docs/systems.md, "RabbitMQ: what it claims").
 */
public final class RabbitSystem implements SystemUnderTest {
    /** Where RabbitMQ documents publisher confirms, consumer acks and ordering. */
    static final String SOURCE = "https://www.rabbitmq.com/docs/confirms (publisher confirms, consumer acknowledgements);"
            + " https://www.rabbitmq.com/docs/semantics (message ordering)";

    @Override
    public String name() {
        return "rabbitmq";
    }

    @Override
    public String summary() {
        return "RabbitMQ (Debian's rabbitmq-server), a private cluster; fanout exchange per user, durable queue per device";
    }

    @Override
    public List<SystemOption> options() {
        return List.of(
                new SystemOption("queue-type", "quorum", List.of("quorum", "classic"),
                        "x-queue-type of the device queues (classic: not replicated)"),
                new SystemOption("window", "64", List.of(), "unconfirmed publishes per publisher connection (>= 1)"),
                new SystemOption("publishers", "0", List.of(), "publisher connections (0: one per node)"),
                new SystemOption("prefetch", "100", List.of(), "basic.qos prefetch of each device's channel (>= 1)"),
                new SystemOption("partition-handling", "pause_minority", RabbitConfig.PARTITION_HANDLING,
                        "cluster_partition_handling of the nodes"),
                new SystemOption("heartbeat", "10", List.of(), "AMQP heartbeat the clients request, seconds (>= 1)"),
                new SystemOption("metrics", "false", List.of("true", "false"),
                        "enable rabbitmq_prometheus on each node and scrape it into metrics.jsonl"),
                new SystemOption("server", RabbitConfig.DEBIAN_SERVER.toString(), List.of(),
                        "the rabbitmq-server script (rabbitmqctl is its sibling)"));
    }

    /** At-least-once and per-sender order, whatever the queue type: see docs/systems.md. */
    @Override
    public Claims claims(Settings settings) {
        return new Claims("at-least-once", false, "per-sender", SOURCE);
    }

    @Override
    public List<String> faults(Settings settings) {
        List<String> f = new java.util.ArrayList<>(List.of(Fault.PARTITION, Fault.KILL, Fault.PAUSE, Fault.LINK_DELAY,
                Fault.DEVICE_DISCONNECT));
        if (io.deliverycheck.environments.disk.PowerLossFs.problem() == null) {
            f.add(Fault.POWER_LOSS); // drawn only when named: each node's data directory on a power-loss file system
        }
        return f;
    }

    @Override
    public String missing(Settings settings) {
        Path server = Path.of(settings.get("server"));
        if (!Files.isExecutable(server)) {
            return "rabbitmq-server not found at " + server + ": install it (Debian: apt-get install rabbitmq-server)"
                    + " or pass --system-opt server=PATH";
        }
        return null;
    }

    @Override
    public void validate(RunParameters run, Settings settings) {
        SystemUnderTest.super.validate(run, settings);
        clientOptions(run, settings);
        config(run, settings);
    }

    RabbitClients.Options clientOptions(RunParameters run, Settings s) {
        int publishers = positive(s, "publishers", 0);
        return new RabbitClients.Options(s.get("queue-type"), positive(s, "window", 1),
                publishers == 0 ? run.nodes() : publishers, positive(s, "prefetch", 1), positive(s, "heartbeat", 1));
    }

    private static int positive(Settings s, String name, int min) {
        int v = s.getInt(name);
        if (v < min) {
            throw new IllegalArgumentException("--system-opt " + name + "=" + v + ": must be >= " + min);
        }
        return v;
    }

    RabbitConfig config(RunParameters run, Settings s) {
        return RabbitConfig.defaults(run.nodes())
                .withServerScript(Path.of(s.get("server")))
                .withPartitionHandling(s.get("partition-handling"))
                .withMetrics(s.getBoolean("metrics"))
                .withHeartbeat(positive(s, "heartbeat", 1))
                .withSystem(SystemOp.of(name(), null, s, run.nodes(), claims(s)));
    }

    /** {@link BenchRabbit}: the same connections, window and prefetch as the harness's clients, nothing recorded. */
    @Override
    public PlainClient plainClient(RunParameters run, Settings settings) {
        RabbitClients.Options o = clientOptions(run, settings);
        return (env, roster, plan, warmup, duration) -> BenchRabbit.run(
                env.nodes().stream().map(env::clientEndpoint).toList(), roster, plan, o.queueType(), o.publishers(),
                o.window(), o.prefetch(), warmup, duration);
    }

    @Override
    public Environment environment(RunParameters run, Settings settings) {
        return new RabbitCluster(config(run, settings));
    }

    @Override
    public Workload workload(RunParameters run, Settings settings) {
        return Workloads.create(run.workload(), new RabbitClients(clientOptions(run, settings)));
    }
}
