package io.deliverycheck.environments.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What Linux's {@code /proc/<pid>/stat} says of a process: its process group and its start time
 * (clock ticks since boot). A pid and its start time name one process for good: a pid that was
 * reused by another process has another start time, so nothing is ever killed by a recycled pid.
 *
 * @param pid the process
 * @param pgid its process group
 * @param start its start time in clock ticks since boot (field 22 of {@code stat})
 */
record ProcInfo(long pid, long pgid, long start) {
    private static final Path PROC = Path.of("/proc");

    /** The process now running as {@code pid}, or null when there is none (or no /proc). */
    static ProcInfo read(long pid) {
        String stat;
        try {
            stat = Files.readString(PROC.resolve(Long.toString(pid)).resolve("stat"), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return parse(pid, stat);
    }

    /** Parses a {@code stat} line; the command name may hold spaces and parentheses, so fields start after the last ')'. */
    static ProcInfo parse(long pid, String stat) {
        int close = stat.lastIndexOf(')');
        if (close < 0) {
            return null;
        }
        String[] f = stat.substring(close + 1).trim().split("\\s+");
        // f[0] is field 3 (state): pgrp is field 5, starttime field 22
        if (f.length < 20) {
            return null;
        }
        try {
            return new ProcInfo(pid, Long.parseLong(f[2]), Long.parseLong(f[19]));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /**
     * The state letter of {@code pid} (field 3 of {@code stat}: R, S, D, T for stopped by a signal,
     * t for stopped by a tracer, Z...), or 0 when there is no such process (or no /proc).
     */
    static char state(long pid) {
        try {
            String stat = Files.readString(PROC.resolve(Long.toString(pid)).resolve("stat"), StandardCharsets.UTF_8);
            int close = stat.lastIndexOf(')');
            String rest = close < 0 ? "" : stat.substring(close + 1).trim();
            return rest.isEmpty() ? 0 : rest.charAt(0);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** Every process whose group is {@code pgid} and that started at or after {@code notBefore}. */
    static List<ProcInfo> group(long pgid, long notBefore) {
        List<ProcInfo> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(PROC, p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path p : ds) {
                ProcInfo i = read(Long.parseLong(p.getFileName().toString()));
                if (i != null && i.pgid == pgid && i.start >= notBefore) {
                    out.add(i);
                }
            }
        } catch (IOException | RuntimeException e) {
            // no /proc: nothing to find
        }
        return out;
    }
}
