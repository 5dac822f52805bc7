package io.deliverycheck.systems;

import io.deliverycheck.checker.Guarantee;
import io.deliverycheck.systems.nats.NatsSystem;
import io.deliverycheck.systems.mqtt.MqttSystem;
import io.deliverycheck.systems.kafka.KafkaSystem;
import io.deliverycheck.systems.rabbitmq.RabbitSystem;
import io.deliverycheck.systems.redis.RedisStreamsSystem;
import io.deliverycheck.systems.reference.ReferenceSystem;
import io.deliverycheck.systems.sqs.SqsFifoSystem;
import java.util.ArrayList;
import java.util.List;

/** The registry of systems under test, by name; {@code reference} is the default. */
public final class Systems {
    /** The default system: the harness's own reference cluster. */
    public static final String DEFAULT = "reference";

    private static final List<SystemUnderTest> ALL = List.of(new ReferenceSystem(), new RabbitSystem(),
            new KafkaSystem(), new NatsSystem(), new RedisStreamsSystem(), new MqttSystem(), new SqsFifoSystem());

    private Systems() {
    }

    /** Every system, in the order {@code deliverycheck systems} lists them. */
    public static List<SystemUnderTest> all() {
        return ALL;
    }

    /** The system called {@code name}; an unknown name throws a one-line message listing the known ones. */
    public static SystemUnderTest byName(String name) {
        return ALL.stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow(() ->
                new IllegalArgumentException("--system " + name + ": unknown; known: "
                        + String.join(", ", ALL.stream().map(SystemUnderTest::name).toList())));
    }

    /** A system with its validated settings for one run. */
    public record Chosen(SystemUnderTest system, Settings settings) {

        /** What the system claims for these settings. */
        public Claims claims() {
            return system.claims(settings);
        }
    }

    /**
     * The system {@code name} with its settings: the options the command line implies
     * ({@code requested} guarantee, may be null; {@code bugs}) and then the user's {@code --system-opt}
     * pairs, which win. Throws {@link IllegalArgumentException} with one line naming the flag at fault.
     */
    public static Chosen choose(String name, List<String> pairs, Guarantee requested, List<String> bugs) {
        return choose(byName(name), pairs, requested, bugs);
    }

    /** Like {@link #choose(String, List, Guarantee, List)}, for a system not in the registry (a system file). */
    public static Chosen choose(SystemUnderTest s, List<String> pairs, Guarantee requested, List<String> bugs) {
        List<String> all = new ArrayList<>(s.impliedOptions(requested, bugs));
        all.addAll(pairs);
        return new Chosen(s, Settings.parse(s.name(), s.options(), all));
    }
}
