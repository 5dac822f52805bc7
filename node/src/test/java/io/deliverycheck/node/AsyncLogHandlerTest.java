package io.deliverycheck.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

/** The node's log handler: a caller never waits on the write; close writes everything queued. */
class AsyncLogHandlerTest {
  /** A file that blocks every write until released. */
  static final class StuckFile extends Handler {
    final CountDownLatch release = new CountDownLatch(1);
    final List<String> written = new CopyOnWriteArrayList<>();
    volatile boolean closed;

    @Override
    public void publish(LogRecord r) {
      try {
        release.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      written.add(r.getMessage());
    }

    @Override
    public void flush() {}

    @Override
    public void close() {
      closed = true;
    }
  }

  @Test
  void publishNeverWaitsOnTheWriteAndCloseWritesWhatWasQueued() {
    StuckFile file = new StuckFile();
    AsyncLogHandler h = new AsyncLogHandler(file, 100, "t");
    for (int i = 0; i < 50; i++) {
      h.publish(new LogRecord(Level.INFO, "r" + i)); // the file is stuck: these return at once all the same
    }
    assertTrue(file.written.isEmpty());
    file.release.countDown();
    h.close();
    assertEquals(50, file.written.size());
    assertEquals("r0", file.written.get(0));
    assertEquals("r49", file.written.get(49));
    assertTrue(file.closed);
  }

  @Test
  void aFullQueueDropsAndSaysHowMany() {
    StuckFile file = new StuckFile();
    AsyncLogHandler h = new AsyncLogHandler(file, 10, "t");
    for (int i = 0; i < 100; i++) {
      h.publish(new LogRecord(Level.INFO, "r" + i));
    }
    file.release.countDown();
    h.close();
    assertTrue(file.written.stream().anyMatch(m -> m.endsWith("log records dropped: the log writer could not keep up")),
        file.written.toString());
    assertTrue(file.written.size() <= 13, file.written.toString());
  }
}
