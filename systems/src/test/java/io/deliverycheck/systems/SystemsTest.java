package io.deliverycheck.systems;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deliverycheck.checker.Guarantee;
import io.deliverycheck.workloads.WorkloadConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The registry and the door: names, settings, implied options, one-line user errors. */
class SystemsTest {

    @Test
    void theReferenceIsTheDefaultAndRunsInTheModeTheGuaranteeNames() {
        Systems.Chosen c = Systems.choose("reference", List.of(), Guarantee.AT_LEAST_ONCE, List.of("no-lease"));
        assertEquals("at-least-once", c.settings().get("mode"));
        assertEquals("no-lease", c.settings().get("bugs"));
        assertEquals("at-least-once", c.claims().guarantee());
        assertTrue(c.claims().receipts());
        assertEquals("none", c.claims().order());
        Systems.Chosen dflt = Systems.choose(Systems.DEFAULT, List.of(), null, List.of());
        assertEquals("exactly-once", dflt.claims().guarantee());
    }

    @Test
    void anExplicitModeWinsOverTheGuarantee() {
        Systems.Chosen c = Systems.choose("reference", List.of("mode=at-most-once"), Guarantee.EXACTLY_ONCE, List.of());
        assertEquals("at-most-once", c.settings().get("mode"));
    }

    @Test
    void rabbitmqClaimsAtLeastOnceAndPerSenderOrderForBothQueueTypes() {
        for (String q : List.of("quorum", "classic")) {
            Claims c = Systems.choose("rabbitmq", List.of("queue-type=" + q), null, List.of()).claims();
            assertEquals("at-least-once", c.guarantee(), q);
            assertFalse(c.receipts(), q);
            assertEquals("per-sender", c.order(), q);
            assertTrue(c.source().contains("rabbitmq.com"), q);
        }
    }

    @Test
    void userErrorsAreOneLineNamingTheFlag() {
        assertMessage("--system nats2: unknown; known: reference, rabbitmq, kafka, nats, redis-streams, mqtt, sqs-fifo",
                () -> Systems.choose("nats2", List.of(), null, List.of()));
        assertMessage("--system-opt queue-type=stream: choose one of quorum, classic",
                () -> Systems.choose("rabbitmq", List.of("queue-type=stream"), null, List.of()));
        assertMessage("--system-opt colour: system rabbitmq has no such option; it has: queue-type, window, publishers,"
                + " prefetch, partition-handling, heartbeat, metrics, server",
                () -> Systems.choose("rabbitmq", List.of("colour=red"), null, List.of()));
        assertMessage("--bug: planted bugs belong to the reference system, not to rabbitmq",
                () -> Systems.choose("rabbitmq", List.of(), null, List.of("no-lease")));
        Systems.Chosen r = Systems.choose("rabbitmq", List.of("window=0"), null, List.of());
        WorkloadConfig wc = WorkloadConfig.defaults(1).withGuarantee(Guarantee.AT_LEAST_ONCE);
        assertMessage("--system-opt window=0: must be >= 1",
                () -> r.system().validate(new RunParameters(3, "local", wc), r.settings()));
        Systems.Chosen ok = Systems.choose("rabbitmq", List.of(), null, List.of());
        assertMessage("--env netns: the rabbitmq system runs in local",
                () -> ok.system().validate(new RunParameters(3, "netns", wc), ok.settings()));
        assertMessage("--workload poison: the rabbitmq system's clients implement chat, payments",
                () -> ok.system().validate(new RunParameters(3, "local", wc.withKind("poison")), ok.settings()));
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable e) {
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, e);
        assertEquals(expected, x.getMessage());
        assertFalse(x.getMessage().contains("\n"));
    }
}
