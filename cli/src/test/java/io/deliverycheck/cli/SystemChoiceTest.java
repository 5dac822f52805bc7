package io.deliverycheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.deliverycheck.checker.Guarantee;
import io.deliverycheck.checker.runner.TestSpec;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code test --system NAME --system-opt K=V}: the guarantee judged, the recorded settings, the user errors. */
class SystemChoiceTest {

    @Test
    void theGuaranteeIsTheSystemsClaimUnlessOneIsAsked() {
        assertEquals(Guarantee.EXACTLY_ONCE, DeliveryTest.builder().build().guarantee());
        assertEquals(Guarantee.AT_LEAST_ONCE, DeliveryTest.builder().system("rabbitmq").build().guarantee());
        assertEquals(Guarantee.EXACTLY_ONCE,
                DeliveryTest.builder().system("rabbitmq").guarantee(Guarantee.EXACTLY_ONCE).build().guarantee());
    }

    @Test
    void testJsonRecordsTheSystemAndItsSettings() {
        TestSpec spec = DeliveryTest.builder().system("rabbitmq").systemOptions("queue-type=classic").build().spec();
        assertEquals("rabbitmq", spec.config().get("system").asText());
        assertEquals("classic", spec.config().get("system_settings").get("queue-type").asText());
        assertEquals(Guarantee.AT_LEAST_ONCE, spec.guarantee());
        TestSpec ref = DeliveryTest.builder().guarantee(Guarantee.AT_MOST_ONCE).build().spec();
        assertEquals("at-most-once", ref.config().get("system_settings").get("mode").asText());
    }

    @Test
    void aFaultTheSystemCannotSufferIsAUserErrorBeforeSetUp() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DeliveryTest.builder().system("rabbitmq").nemesis("db-restart").build());
        assertEquals("--nemesis db-restart: the system under test cannot suffer the fault 'db-restart'; it supports: partition, kill, pause,"
                + " link-delay, device-disconnect, power-loss", e.getMessage());
    }

    @Test
    void theDefaultNemesisIsNarrowedToWhatTheSystemOffersButAChosenOneIsNot() {
        // sqs-fifo is one server: no partition. The default partition,kill,pause becomes kill,pause;
        // the same names given by the user are refused, naming what it offers
        assertEquals(List.of("kill", "pause"),
                DeliveryTest.builder().system("sqs-fifo").nemesisDefaulted(true).build().nemesis());
        assertThrows(IllegalArgumentException.class,
                () -> DeliveryTest.builder().system("sqs-fifo").nemesis("partition", "kill", "pause").build());
        assertEquals(List.of("partition", "kill", "pause"), DeliveryTest.builder().nemesisDefaulted(true).build().nemesis(),
                "the reference node offers all three");
    }

    @Test
    void aBadSystemOptionExitsFourWithOneLine() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CommandLine cl = Main.commandLine();
        cl.setErr(new java.io.PrintWriter(new PrintStream(err, true, StandardCharsets.UTF_8), true));
        int code = cl.execute("test", "--system", "rabbitmq", "--system-opt", "window=0");
        assertEquals(4, code);
        assertEquals("--system-opt window=0: must be >= 1", err.toString(StandardCharsets.UTF_8).lines().findFirst().orElse(""));
    }

    @Test
    void aBadTestNameExitsFourWithOneLineBeforeAnyRun() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CommandLine cl = Main.commandLine();
        cl.setErr(new java.io.PrintWriter(new PrintStream(err, true, StandardCharsets.UTF_8), true));
        int code = cl.execute("test", "--name", "a=b", "--time-limit", "1");
        assertEquals(4, code);
        assertEquals("test name 'a=b': use letters, digits, '.', '_' or '-'",
                err.toString(StandardCharsets.UTF_8).lines().findFirst().orElse(""));
    }
}
