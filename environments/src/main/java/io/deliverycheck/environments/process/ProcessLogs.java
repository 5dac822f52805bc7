package io.deliverycheck.environments.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** What an owned process last wrote, for the message of a start-up or health failure. */
public final class ProcessLogs {

    private ProcessLogs() {
    }

    /** The last non-blank line of the first of {@code logs} that has one, shortened; null when none has. */
    public static String lastWords(List<Path> logs) {
        for (Path log : logs) {
            try (Stream<String> lines = Files.lines(log)) {
                String l = lines.filter(x -> !x.isBlank()).reduce((a, b) -> b).orElse(null);
                if (l != null) {
                    return l.length() > 300 ? l.substring(0, 300) + "..." : l.strip();
                }
            } catch (IOException | UncheckedIOException e) {
                // not written (yet), or not text
            }
        }
        return null;
    }
}
