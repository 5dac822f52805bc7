package io.deliverycheck.checker.history;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Records a history from many threads. Thread-safe: every method takes one lock, so ops get a
 * gap-free {@code index} and a {@code time} from one monotonic clock (nanoseconds since
 * {@link #open}) that never decreases along the index. Every op is written as one full line and
 * flushed to the operating system before the method returns, so a killed harness leaves a history
 * that is readable up to its last full line (for {@code .gz}, up to its last flushed line).
 * The recorder refuses to write an op the reader would reject (an invocation while the process has
 * one open, a completion of nothing): it throws {@link IllegalStateException} instead.
 */
public final class Recorder implements Closeable {
  private final HistoryWriter writer;
  private final long origin = System.nanoTime();
  private final Map<String, Op> open = new HashMap<>();
  private long nextIndex;
  private long lastTime;
  private boolean closed;

  private Recorder(HistoryWriter writer) {
    this.writer = writer;
  }

  /** Creates (or truncates) {@code file}; the clock starts now. */
  public static Recorder open(Path file) throws IOException {
    return new Recorder(HistoryWriter.open(file));
  }

  /** Nanoseconds since the test began (since {@link #open}), on the clock ops are stamped with. */
  public long now() {
    return System.nanoTime() - origin;
  }

  /** Records an invocation; complete it later with {@link #complete}. */
  public Op invoke(String process, String f, ObjectNode value, String node) {
    synchronized (this) {
      if (open.containsKey(process)) {
        throw new IllegalStateException("process " + process + " already has an open operation: "
            + open.get(process).f());
      }
      Op op = append(process, OpType.INVOKE, f, value, node, null);
      open.put(process, op);
      return op;
    }
  }

  /**
   * Completes {@code invocation} (same process, f and node) with ok, fail or info.
   *
   * @param value the completion's value; null reuses the invocation's
   */
  public Op complete(Op invocation, OpType type, ObjectNode value, String error) {
    if (type == OpType.INVOKE) {
      throw new IllegalArgumentException("a completion is ok, fail or info");
    }
    synchronized (this) {
      if (open.get(invocation.process()) != invocation) {
        throw new IllegalStateException("not an open invocation: " + invocation);
      }
      open.remove(invocation.process());
      return append(invocation.process(), type, invocation.f(),
          value == null ? invocation.value() : value, invocation.node(), error);
    }
  }

  /** Records a standalone ok (a receive, a receipt). */
  public Op ok(String process, String f, ObjectNode value, String node) {
    return standalone(process, OpType.OK, f, value, node);
  }

  /** Records a standalone info (roster, nemesis, drained). */
  public Op info(String process, String f, ObjectNode value) {
    return standalone(process, OpType.INFO, f, value, null);
  }

  private synchronized Op standalone(String process, OpType type, String f, ObjectNode value, String node) {
    Op o = open.get(process);
    if (o != null && o.f().equals(f)) {
      throw new IllegalStateException("process " + process + " has an open " + f
          + ": a standalone " + f + " would read as its completion");
    }
    if (Pairing.mustPair(f)) {
      throw new IllegalArgumentException(f + " is recorded with invoke and complete");
    }
    return append(process, type, f, value, node, null);
  }

  private Op append(String process, OpType type, String f, ObjectNode value, String node, String error) {
    Objects.requireNonNull(process, "process");
    Objects.requireNonNull(f, "f");
    if (closed) {
      throw new IllegalStateException("recorder closed");
    }
    long t = Math.max(now(), lastTime);
    lastTime = t;
    Op op = new Op(nextIndex++, t, process, type, f,
        value == null ? JsonNodeFactory.instance.objectNode() : value, node, error);
    writer.write(op);
    writer.flush();
    return op;
  }

  /** The number of ops recorded so far. */
  public synchronized long size() {
    return nextIndex;
  }

  /** Flushes and closes the file. Open invocations stay open (the checker counts them as info). */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      writer.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
