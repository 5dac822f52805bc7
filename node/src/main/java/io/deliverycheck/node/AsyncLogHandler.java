package io.deliverycheck.node;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;

/**
 * A log handler that never makes its caller wait on a write: {@link #publish} only offers the record
 * to a bounded queue, and one daemon thread formats and writes it through the wrapped handler (the
 * node's file). When the queue is full (the disk cannot keep up) a record is dropped, counted, and the
 * count is written as soon as there is room, so a gap in the log says how large it is. {@link #close}
 * writes everything queued, then closes the wrapped handler.
 */
final class AsyncLogHandler extends Handler {
  private static final LogRecord STOP = new LogRecord(Level.OFF, "stop");
  private final Handler out;
  private final BlockingQueue<LogRecord> queue;
  private final AtomicLong dropped = new AtomicLong();
  private final Thread writer;
  private volatile boolean closed;

  AsyncLogHandler(Handler out, int capacity, String name) {
    this.out = out;
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.writer = new Thread(this::run, "log-writer-" + name);
    writer.setDaemon(true);
    writer.start();
  }

  @Override
  public void publish(LogRecord r) {
    if (closed || r == null || !isLoggable(r)) {
      return;
    }
    if (!queue.offer(r)) {
      dropped.incrementAndGet();
    }
  }

  private void run() {
    try {
      while (true) {
        LogRecord r = queue.poll(1, TimeUnit.SECONDS);
        long d = dropped.get();
        if (d > 0 && dropped.compareAndSet(d, 0)) {
          out.publish(new LogRecord(Level.WARNING, d + " log records dropped: the log writer could not keep up"));
        }
        if (r == STOP) {
          return;
        }
        if (r != null) {
          out.publish(r);
          if (queue.isEmpty()) {
            out.flush();
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void flush() {
    // the writer flushes whenever it has emptied the queue
  }

  /** Writes what is queued (waiting up to 5 s for the writer), then closes the wrapped handler. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      queue.put(STOP);
      writer.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    out.flush();
    out.close();
  }
}
