package io.deliverycheck.systems.kafka;

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

/**
 * Apache Kafka (KRaft, the {@code org.apache.kafka} jars pinned in the parent pom) as a system under
 * test: a private cluster of N brokers ({@link KafkaEnvironment}), a topic per user, a consumer group
 * per device, the producer's acknowledged send as {@code send ok}, an offset commit after the
 * {@code receive} is recorded ({@link KafkaMapping}). Claims at-least-once and order per sender
 * (records keyed by sender, so one sender's records share a partition) for every setting: the
 * weaker settings ({@code acks=1}, unclean leader election) are ones Kafka documents may lose
 * acknowledged records, and the run counts what they lose (docs/systems.md, "Kafka: what it claims").
 */
public final class KafkaSystem implements SystemUnderTest {
    /** Where Kafka documents what an acknowledged send, a committed offset and a partition's order promise. */
    static final String SOURCE = "https://kafka.apache.org/documentation/#semantics (message delivery semantics);"
            + " https://kafka.apache.org/documentation/#replication (committed messages, min.insync.replicas,"
            + " unclean leader election); https://kafka.apache.org/documentation/#producerconfigs_acks";

    @Override
    public String name() {
        return "kafka";
    }

    @Override
    public String summary() {
        return "Apache Kafka " + KafkaEnvironment.kafkaVersion()
                + " (KRaft), private brokers; a topic per user, a consumer group per device";
    }

    @Override
    public List<SystemOption> options() {
        return List.of(
                new SystemOption("acks", "all", List.of("all", "1"), "the producer's acks (1: the leader alone)"),
                new SystemOption("idempotence", "auto", List.of("auto", "true", "false"),
                        "the producer's enable.idempotence (auto: Kafka's default, on unless acks=1)"),
                new SystemOption("replication", "0", List.of(), "replication factor of the user topics (0: min(3, nodes))"),
                new SystemOption("min-insync", "0", List.of(),
                        "min.insync.replicas of the brokers and topics (0: min(2, replication))"),
                new SystemOption("unclean-election", "false", List.of("false", "true"),
                        "unclean.leader.election.enable of the brokers and topics"),
                new SystemOption("partitions", "1", List.of(), "partitions per user topic (records are keyed by sender)"),
                new SystemOption("window", "64", List.of(), "unacknowledged sends per producer (>= 1)"),
                new SystemOption("producers", "1", List.of(), "producers (each a KafkaProducer with its window)"),
                new SystemOption("max-poll-records", "500", List.of(), "each device consumer's max.poll.records (Kafka's default)"),
                new SystemOption("flush-messages", "0", List.of(),
                        "the brokers' log.flush.interval.messages: fsync every N records (0: Kafka's default, the OS flushes)"));
    }

    /** At-least-once and order per sender, for every setting: see docs/systems.md. */
    @Override
    public Claims claims(Settings settings) {
        return new Claims("at-least-once", false, "per-sender", SOURCE);
    }

    /**
     * Partitions (between brokers, and between clients and brokers), kill/restart, pause, link delay,
     * client disconnects; power-loss where the machine can mount the power-loss file system.
     */
    @Override
    public List<String> faults(Settings settings) {
        List<String> f = new java.util.ArrayList<>(List.of(Fault.PARTITION, Fault.KILL, Fault.PAUSE, Fault.LINK_DELAY,
                Fault.DEVICE_DISCONNECT));
        if (io.deliverycheck.environments.disk.PowerLossFs.problem() == null) {
            f.add(Fault.POWER_LOSS);
        }
        return f;
    }

    @Override
    public void validate(RunParameters run, Settings settings) {
        SystemUnderTest.super.validate(run, settings);
        options(run, settings);
        config(run, settings);
    }

    /** The mapping's knobs from the settings; a bad value throws one line naming the option. */
    KafkaMapping.Options options(RunParameters run, Settings s) {
        if (run.nodes() < 1 || run.nodes() > 9) {
            throw new IllegalArgumentException("--nodes " + run.nodes() + ": the kafka system runs 1 to 9 brokers");
        }
        int replication = atLeast(s, "replication", 0);
        if (replication == 0) {
            replication = Math.min(3, run.nodes());
        }
        if (replication > run.nodes()) {
            throw new IllegalArgumentException("--system-opt replication=" + replication + ": more than the " + run.nodes() + " brokers");
        }
        int minIsr = atLeast(s, "min-insync", 0);
        if (minIsr == 0) {
            minIsr = Math.min(2, replication);
        }
        if (minIsr > replication) {
            throw new IllegalArgumentException("--system-opt min-insync=" + minIsr + ": more than the replication factor " + replication);
        }
        String acks = s.get("acks");
        String idem = s.get("idempotence");
        if (idem.equals("true") && !acks.equals("all")) {
            throw new IllegalArgumentException("--system-opt idempotence=true: Kafka's idempotent producer needs acks=all, not acks="
                    + acks + " (use idempotence=auto or false)");
        }
        boolean idempotent = idem.equals("auto") ? acks.equals("all") : idem.equals("true");
        return new KafkaMapping.Options(acks, idempotent, replication, minIsr, s.getBoolean("unclean-election"),
                atLeast(s, "partitions", 1), atLeast(s, "window", 1), atLeast(s, "producers", 1),
                atLeast(s, "max-poll-records", 1));
    }

    private static int atLeast(Settings s, String name, int min) {
        int v = s.getInt(name);
        if (v < min) {
            throw new IllegalArgumentException("--system-opt " + name + "=" + v + ": must be >= " + min);
        }
        return v;
    }

    /** The brokers' settings: the environment's defaults with this run's replication, ISR and election. */
    KafkaClusterConfig config(RunParameters run, Settings s) {
        KafkaMapping.Options o = options(run, s);
        KafkaClusterConfig c = KafkaClusterConfig.defaults(run.nodes())
                .with("min.insync.replicas", Integer.toString(o.minInsync()))
                .with("unclean.leader.election.enable", Boolean.toString(o.uncleanElection()));
        int flush = atLeast(s, "flush-messages", 0);
        return flush == 0 ? c : c.with("log.flush.interval.messages", Integer.toString(flush));
    }

    /**
     * How long a device may take to be handed a record again: a consumer that lost its connection
     * fetches again from its position once reconnected; one that was restarted (a poll failure) reads
     * again from its group's committed offset after the session timeout of its old membership.
     */
    static Duration retryHorizon() {
        return Duration.ofMillis(KafkaMapping.SESSION_TIMEOUT_MS + 5000);
    }

    @Override
    public PlainClient plainClient(RunParameters run, Settings settings) {
        KafkaMapping.Options o = options(run, settings);
        return (env, roster, plan, warmup, duration) -> BenchKafka.run((KafkaEnvironment) env, roster, plan, o, warmup, duration);
    }

    @Override
    public Environment environment(RunParameters run, Settings settings) {
        return new KafkaEnvironment(config(run, settings),
                SystemOp.of(name(), KafkaEnvironment.kafkaVersion(), settings, run.nodes(), claims(settings)), retryHorizon());
    }

    @Override
    public Workload workload(RunParameters run, Settings settings) {
        return Workloads.create(run.workload(), new KafkaMapping(options(run, settings)));
    }
}
