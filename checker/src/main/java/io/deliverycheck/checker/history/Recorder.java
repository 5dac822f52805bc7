package io.deliverycheck.checker.history;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Records a history from many threads without making them wait for the disk. Thread-safe.
 *
 * <p>Each call ({@link #invoke}, {@link #complete}, {@link #ok}, {@link #info}) takes one short
 * lock in which the op gets its gap-free {@code index} and its {@code time} from one monotonic clock
 * (nanoseconds since {@link #open}, never decreasing along the index), is checked (the recorder
 * refuses an op the reader would reject: an invocation while the process has one open, a
 * completion of nothing; it throws {@link IllegalStateException} instead) and is put on a bounded
 * queue. So the order of the history is the order in which the calls observed things, and the
 * call returns without any I/O: event loops may record.
 *
 * <p>One writer thread takes the ops in index order, writes them as JSON lines and flushes to the
 * operating system whenever the queue runs empty (at a few thousand ops per second that is after
 * nearly every op), so the file trails the calls by milliseconds. When the disk stalls and the
 * queue ({@value #CAPACITY} ops) is full, a call waits for room: it never drops an op. {@link #flush}
 * waits until everything recorded so far is in the file; {@link #close} writes everything, closes
 * the file and reports a write failure. A JVM shutdown hook does the same on Ctrl-C or SIGTERM, so
 * an interrupted harness loses nothing it recorded; after SIGKILL the file is readable up to its
 * last full line (for {@code .gz}, up to its last flushed line).
 */
public final class Recorder implements Closeable {
  /** How many recorded ops may wait for the writer before a call waits for room. */
  public static final int CAPACITY = 1 << 16;
  private static final int BATCH = 4096;
  /** Tells the writer that nothing follows. */
  private static final Op END = new Op(-1, -1, "", OpType.INFO, "", JsonNodeFactory.instance.objectNode(), null, null);

  private final HistoryWriter writer;
  private final Path file;
  private final long origin = System.nanoTime();
  private final Map<String, Op> open = new HashMap<>();
  private final BlockingQueue<Op> queue = new ArrayBlockingQueue<>(CAPACITY);
  private final List<Op> harnessErrors = new ArrayList<>();
  private final Thread thread;
  private final Thread hook;
  private long nextIndex;
  private long lastTime;
  private boolean closed;
  /** Guarded by {@link #progress}: ops written and flushed; the highest index a caller waits for. */
  private final Object progress = new Object();
  private long flushed;
  private long wanted;
  private long fullWaits;
  private volatile Throwable failure;

  private Recorder(HistoryWriter writer, Path file) {
    this.writer = writer;
    this.file = file;
    this.thread = new Thread(this::writeLoop, "recorder " + file.getFileName());
    thread.setDaemon(true);
    this.hook = new Thread(this::closeOnShutdown, "recorder-shutdown " + file.getFileName());
  }

  /** Creates (or truncates) {@code file}; the clock starts now. */
  public static Recorder open(Path file) throws IOException {
    Recorder r = new Recorder(HistoryWriter.open(file), file);
    r.thread.start();
    Runtime.getRuntime().addShutdownHook(r.hook);
    return r;
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
      Op op = append(invocation.process(), type, invocation.f(),
          value == null ? invocation.value() : value, invocation.node(), error);
      open.remove(invocation.process());
      return op;
    }
  }

  /** Records a standalone ok (a receive, a receipt). */
  public Op ok(String process, String f, ObjectNode value, String node) {
    return standalone(process, OpType.OK, f, value, node, null);
  }

  /** Records a standalone info (roster, system, nemesis, error, drained). */
  public Op info(String process, String f, ObjectNode value) {
    return standalone(process, OpType.INFO, f, value, null, null);
  }

  /**
   * Records a standalone info with the op's {@code error} field: a nemesis op whose fault could not
   * be applied or healed (HISTORY.md counts it as a harness error).
   */
  public Op info(String process, String f, ObjectNode value, String error) {
    return standalone(process, OpType.INFO, f, value, null, error);
  }

  private synchronized Op standalone(String process, OpType type, String f, ObjectNode value, String node,
      String error) {
    Op o = open.get(process);
    if (o != null && o.f().equals(f)) {
      throw new IllegalStateException("process " + process + " has an open " + f
          + ": a standalone " + f + " would read as its completion");
    }
    if (Pairing.mustPair(f)) {
      throw new IllegalArgumentException(f + " is recorded with invoke and complete");
    }
    return append(process, type, f, value, node, error);
  }

  /** Under the lock: stamps the op and queues it, in index order. */
  private Op append(String process, OpType type, String f, ObjectNode value, String node, String error) {
    Objects.requireNonNull(process, "process");
    Objects.requireNonNull(f, "f");
    if (closed) {
      throw new IllegalStateException("recorder closed");
    }
    Throwable failed = failure;
    if (failed != null) {
      throw new IllegalStateException("the history " + file + " cannot be written: " + failed.getMessage(), failed);
    }
    long t = Math.max(now(), lastTime);
    // a copy: the line written later shows the value as it was at the call
    Op op = new Op(nextIndex, t, process, type, f,
        value == null ? JsonNodeFactory.instance.objectNode() : value.deepCopy(), node, error);
    enqueue(op);
    lastTime = t;
    nextIndex++;
    if (f.equals("error") || process.equals("nemesis") && error != null) {
      harnessErrors.add(op);
    }
    return op;
  }

  private void enqueue(Op op) {
    if (queue.offer(op)) {
      return;
    }
    synchronized (progress) {
      fullWaits++;
    }
    boolean interrupted = false;
    while (true) {
      try {
        queue.put(op);
        break;
      } catch (InterruptedException e) {
        interrupted = true; // an op that was stamped is never dropped
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private void writeLoop() {
    List<Op> batch = new ArrayList<>(BATCH);
    boolean end = false;
    while (!end) {
      try {
        batch.add(queue.take());
      } catch (InterruptedException e) {
        continue; // only close ends the writer
      }
      queue.drainTo(batch, BATCH - 1);
      int n = 0;
      for (Op op : batch) {
        if (op == END) {
          end = true;
          break;
        }
        if (failure == null) {
          try {
            writer.write(op);
          } catch (RuntimeException e) {
            failure = e;
          }
        }
        n++;
      }
      batch.clear();
      synchronized (progress) {
        if (failure == null && (end || queue.isEmpty() || wanted > flushed)) {
          try {
            writer.flush();
          } catch (RuntimeException e) {
            failure = e;
          }
        }
        flushed += n;
        progress.notifyAll();
      }
    }
    try {
      writer.close();
    } catch (IOException | RuntimeException e) {
      if (failure == null) {
        failure = e;
      }
    }
    synchronized (progress) {
      progress.notifyAll();
    }
  }

  /**
   * Waits until every op recorded before this call is written to the file and flushed to the
   * operating system. Throws {@link UncheckedIOException} if the file cannot be written.
   */
  public void flush() {
    long target = size();
    synchronized (progress) {
      wanted = Math.max(wanted, target);
      boolean interrupted = false;
      while (flushed < target && failure == null && thread.isAlive()) {
        try {
          progress.wait(100);
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
    rethrow();
  }

  /** The number of ops recorded so far (the next op's index). */
  public synchronized long size() {
    return nextIndex;
  }

  /** Ops recorded but not yet written; for diagnostics and tests. */
  public int backlog() {
    return queue.size();
  }

  /** How many calls found the queue full and waited for the writer; for diagnostics and tests. */
  public long fullWaits() {
    synchronized (progress) {
      return fullWaits;
    }
  }

  /**
   * The ops recorded so far that HISTORY.md counts as harness errors: every {@code error} op and
   * every {@code nemesis} op with an {@code error} field. In index order.
   */
  public synchronized List<Op> harnessErrors() {
    return List.copyOf(harnessErrors);
  }

  /**
   * Writes everything recorded, then closes the file. Idempotent. Open invocations stay open (the
   * checker counts them as info). Throws {@link UncheckedIOException} if the file could not be
   * written (the ops recorded after the failure are not in it).
   */
  @Override
  public void close() {
    finish();
    if (Thread.currentThread() != hook) {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the hook runs or ran: it closes us too
      }
    }
    rethrow();
  }

  private void finish() {
    synchronized (this) {
      if (!closed) {
        closed = true;
        enqueue(END);
      }
    }
    boolean interrupted = false;
    while (thread.isAlive()) {
      try {
        thread.join();
      } catch (InterruptedException e) {
        interrupted = true; // the file must be complete before close returns
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private void closeOnShutdown() {
    finish();
  }

  private void rethrow() {
    Throwable f = failure;
    if (f == null) {
      return;
    }
    if (f instanceof UncheckedIOException u) {
      throw new UncheckedIOException("writing the history " + file + ": " + u.getCause().getMessage(), u.getCause());
    }
    throw new UncheckedIOException(new IOException("writing the history " + file + ": " + f, f));
  }
}
