package io.deliverycheck.systems.sqs;

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
 * SQS FIFO queues, as ElasticMQ implements the SQS API ({@link SqsEnvironment}: ElasticMQ is an
 * implementation of that API, not Amazon SQS), as a system under test: a FIFO queue per device, a
 * message group per sender, the message id as the deduplication id of every send and retry, a
 * visibility timeout, DeleteMessage as the ack ({@link SqsClients}). Claims what Amazon documents
 * for FIFO queues: exactly-once processing within the deduplication interval, order per message
 * group (docs/systems.md, "SQS FIFO: what it claims"). One ElasticMQ whatever {@code --nodes} says.
 */
public final class SqsFifoSystem implements SystemUnderTest {
    /** Where Amazon documents FIFO queues' exactly-once processing and order. */
    static final String SOURCE = "Amazon SQS Developer Guide: FIFO queues, exactly-once processing"
            + " (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-queues-exactly-once-processing.html),"
            + " message ordering (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-queues-understanding-logic.html);"
            + " the implementation under test is ElasticMQ";

    @Override
    public String name() {
        return "sqs-fifo";
    }

    @Override
    public String summary() {
        return "SQS FIFO queues on ElasticMQ (an implementation of the SQS API, one server); FIFO queue per device, group per sender";
    }

    @Override
    public List<SystemOption> options() {
        return List.of(
                new SystemOption("window", "64", List.of(), "SendMessage calls in flight on the senders' client (>= 1)"),
                new SystemOption("visibility-timeout", "30", List.of(), "the queues' VisibilityTimeout, seconds (1..43200)"),
                new SystemOption("persist-messages", "false", List.of("true", "false"),
                        "ElasticMQ's messages-storage (H2 file): false keeps messages in memory, ElasticMQ's default"),
                new SystemOption("max-messages", "10", List.of(), "MaxNumberOfMessages of each device's ReceiveMessage (1..10)"));
    }

    /** Exactly-once processing and order per message group (a group per sender), whatever the settings. */
    @Override
    public Claims claims(Settings settings) {
        return new Claims("exactly-once", false, "per-sender", SOURCE);
    }

    @Override
    public List<String> faults(Settings settings) {
        return List.of(Fault.KILL, Fault.PAUSE, Fault.DEVICE_DISCONNECT);
    }

    @Override
    public void validate(RunParameters run, Settings settings) {
        SystemUnderTest.super.validate(run, settings);
        clientOptions(settings);
    }

    SqsClients.Options clientOptions(Settings s) {
        return new SqsClients.Options(between(s, "window", 1, 1024), between(s, "visibility-timeout", 1, 43200),
                between(s, "max-messages", 1, 10));
    }

    private static int between(Settings s, String name, int min, int max) {
        int v = s.getInt(name);
        if (v < min || v > max) {
            throw new IllegalArgumentException("--system-opt " + name + "=" + v + ": must be between " + min + " and " + max);
        }
        return v;
    }

    SqsConfig config(Settings s) {
        return SqsConfig.defaults()
                .withVisibilityTimeout(Duration.ofSeconds(between(s, "visibility-timeout", 1, 43200)))
                .withPersistMessages(s.getBoolean("persist-messages"))
                .withStartTimeout(Duration.ofSeconds(180));
    }

    /** {@link BenchSqs}: the same queues, groups, window and receive size as the harness's clients, nothing recorded. */
    @Override
    public PlainClient plainClient(RunParameters run, Settings settings) {
        SqsClients.Options o = clientOptions(settings);
        return (env, roster, plan, warmup, duration) -> BenchSqs.run(env.clientEndpoint(env.nodes().get(0)), roster, plan, o,
                warmup, duration);
    }

    @Override
    public Environment environment(RunParameters run, Settings settings) {
        SqsEnvironment env = new SqsEnvironment(config(settings));
        var op = SystemOp.of(name(), null, settings, 1, claims(settings));
        op.set("broker", env.settings());
        return env.claiming(op);
    }

    @Override
    public Workload workload(RunParameters run, Settings settings) {
        return Workloads.create(run.workload(), new SqsClients(clientOptions(settings)));
    }
}
