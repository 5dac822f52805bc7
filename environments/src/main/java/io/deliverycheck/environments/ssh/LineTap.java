package io.deliverycheck.environments.ssh;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The output of a remote command: passed on to a file (or nowhere) as it arrives, split into lines, the
 * last few kept for error messages, and the lines holding given needles counted, so a caller can wait
 * for "ready to accept connections" without polling. Thread-safe.
 */
final class LineTap extends OutputStream {

    private static final int KEEP = 40;

    private final OutputStream sink;
    private final Map<String, Integer> counts = new LinkedHashMap<>();
    private final Deque<String> last = new ArrayDeque<>();
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private boolean ended;

    /** @param sink where the bytes go as well (null: nowhere); closed by {@link #close} */
    LineTap(OutputStream sink, String... needles) {
        this.sink = sink;
        for (String n : needles) {
            counts.put(n, 0);
        }
    }

    @Override
    public synchronized void write(int b) throws IOException {
        write(new byte[]{(byte) b}, 0, 1);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) throws IOException {
        if (sink != null) {
            sink.write(b, off, len);
            sink.flush();
        }
        for (int i = off; i < off + len; i++) {
            if (b[i] == '\n') {
                endLine();
            } else if (line.size() < 64 * 1024) {
                line.write(b[i]);
            }
        }
    }

    private void endLine() {
        String s = line.toString(StandardCharsets.UTF_8);
        line.reset();
        last.addLast(s);
        if (last.size() > KEEP) {
            last.removeFirst();
        }
        counts.replaceAll((needle, n) -> s.contains(needle) ? n + 1 : n);
        notifyAll();
    }

    /** How many lines so far held {@code needle} (one given at construction). */
    synchronized int count(String needle) {
        return counts.getOrDefault(needle, 0);
    }

    /**
     * Waits until {@code atLeast} lines held {@code needle}; false when the stream ended or the time
     * ran out first.
     */
    synchronized boolean await(String needle, int atLeast, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (counts.getOrDefault(needle, 0) < atLeast) {
            long left = deadline - System.nanoTime();
            if (ended || left <= 0) {
                return false;
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return true;
    }

    /** The last lines (at most 40), for an error message. */
    synchronized List<String> lastLines() {
        List<String> out = new ArrayList<>(last);
        if (line.size() > 0) {
            out.add(line.toString(StandardCharsets.UTF_8));
        }
        return out;
    }

    /** The last lines joined with " | ", at most {@code n} of them. */
    synchronized String tail(int n) {
        List<String> l = lastLines();
        return String.join(" | ", l.subList(Math.max(0, l.size() - n), l.size())).trim();
    }

    /** The stream ended (the command's channel closed). */
    synchronized void end() {
        if (line.size() > 0) {
            endLine();
        }
        ended = true;
        notifyAll();
    }

    @Override
    public synchronized void close() throws IOException {
        end();
        if (sink != null) {
            sink.close();
        }
    }
}
