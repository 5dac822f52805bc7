package io.deliverycheck.systems.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deliverycheck.systems.Systems;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class SystemsCommandTest {

    @Test
    void listsEverySystemWithOptionsAndClaimsPerSetting() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        for (var s : Systems.all()) {
            SystemsCommand.print(s, new PrintStream(buf, true, StandardCharsets.UTF_8));
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("reference (default): "), out);
        assertTrue(out.contains("    mode=at-most-once: at-most-once, receipts, order none"), out);
        assertTrue(out.contains("rabbitmq: "), out);
        assertTrue(out.contains("    queue-type=quorum\n"), out);
        assertTrue(out.contains("    defaults: at-least-once, no receipts, order per-sender"), out);
        assertTrue(out.contains("    queue-type=classic: at-least-once, no receipts, order per-sender"), out);
        assertTrue(out.contains("faults: partition, kill, pause, link-delay, device-disconnect"), out);
    }

    @Test
    void anUnknownSystemIsOneLineAndExit2() {
        assertEquals(2, new CommandLine(new SystemsCommand()).execute("nosuch"));
    }
}
