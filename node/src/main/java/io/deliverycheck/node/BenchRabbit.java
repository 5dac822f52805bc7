package io.deliverycheck.node;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The RabbitMQ side of {@code bench node}: the same load shape against a private broker, done the
 * durable way (durable classic queue, persistent messages, publisher confirms; a consumer with manual
 * acks). "Accepted" = confirmed; "delivered" = consumed and acked; latency = publish to consumer receipt.
 */
final class BenchRabbit {
  private BenchRabbit() {}

  static List<BenchNodeCommand.Result> run(Path server, Path dir, int durationS, int warmupS, int rate, int window)
      throws Exception {
    try (PrivateRabbit broker = PrivateRabbit.start(server, dir)) {
      System.out.println("bench node: private RabbitMQ on 127.0.0.1:" + broker.port);
      ConnectionFactory f = new ConnectionFactory();
      f.setHost("127.0.0.1");
      f.setPort(broker.port);
      f.setUsername("guest");
      f.setPassword("guest");
      try (Connection pubConn = f.newConnection("dc-bench-pub"); Connection subConn = f.newConnection("dc-bench-sub")) {
        Channel pub = pubConn.createChannel();
        pub.queueDeclare("dc-bench", true, false, false, Map.of("x-queue-type", "classic"));
        pub.confirmSelect();
        Semaphore permits = new Semaphore(window);
        AtomicLong confirmed = new AtomicLong();
        AtomicLong delivered = new AtomicLong();
        Recorder latency = new Recorder(3);
        boolean[] record = {false};
        pub.addConfirmListener((seq, multiple) -> {
          int n = settle(seq, multiple);
          confirmed.addAndGet(n);
          permits.release(n);
        }, (seq, multiple) -> permits.release(settle(seq, multiple)));
        Channel sub = subConn.createChannel();
        sub.basicQos(window);
        sub.basicConsume("dc-bench", false, new DefaultConsumer(sub) {
          @Override
          public void handleDelivery(String tag, Envelope env, AMQP.BasicProperties props, byte[] body)
              throws IOException {
            long now = System.nanoTime();
            long sent = ByteBuffer.wrap(body).getLong();
            if (record[0]) {
              latency.recordValue(Math.max(1, (now - sent) / 1000));
            }
            getChannel().basicAck(env.getDeliveryTag(), false);
            delivered.incrementAndGet();
          }
        });
        AMQP.BasicProperties persistent = new AMQP.BasicProperties.Builder().deliveryMode(2).build();
        // warm-up and saturation: keep `window` unconfirmed publishes in flight
        publishFor(pub, persistent, permits, warmupS, 0);
        drain(confirmed, delivered);
        long d0 = delivered.get();
        long c0 = confirmed.get();
        long t0 = System.nanoTime();
        publishFor(pub, persistent, permits, durationS, 0);
        double secs = (System.nanoTime() - t0) / 1e9;
        double acc = (confirmed.get() - c0) / secs;
        double del = (delivered.get() - d0) / secs;
        drain(confirmed, delivered);
        latency.getIntervalHistogram();
        record[0] = true;
        publishFor(pub, persistent, permits, durationS, rate);
        drain(confirmed, delivered);
        Histogram h = latency.getIntervalHistogram();
        BenchNodeCommand.Result r = new BenchNodeCommand.Result("rabbitmq (classic, durable, confirms, manual acks)", 1,
            "at-least-once", acc, del, h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0,
            h.getMaxValue() / 1000.0, 0);
        System.out.printf(Locale.ROOT, "bench node: RabbitMQ: %.0f confirmed/s, %.0f delivered/s at saturation;"
            + " at %d/s p50 %.2f ms p99 %.2f ms max %.1f ms (%d samples)%n", acc, del, rate, r.p50Ms(), r.p99Ms(),
            r.maxMs(), h.getTotalCount());
        return List.of(r);
      }
    }
  }

  /** Publish sequence numbers not yet confirmed (one publisher channel). */
  private static final java.util.concurrent.ConcurrentSkipListSet<Long> OUTSTANDING =
      new java.util.concurrent.ConcurrentSkipListSet<>();

  /** Removes what a confirm covers (multiple: everything up to seq) and returns how many. */
  private static int settle(long seq, boolean multiple) {
    if (!multiple) {
      return OUTSTANDING.remove(seq) ? 1 : 0;
    }
    java.util.NavigableSet<Long> head = OUTSTANDING.headSet(seq, true);
    int n = head.size();
    head.clear();
    return n;
  }

  private static void publishFor(Channel pub, AMQP.BasicProperties props, Semaphore permits, int seconds, int rate)
      throws Exception {
    long start = System.nanoTime();
    long end = start + seconds * 1_000_000_000L;
    long sent = 0;
    while (true) {
      long now = System.nanoTime();
      if (now >= end) {
        return;
      }
      if (rate > 0) {
        long due = (now - start) * rate / 1_000_000_000L;
        if (sent >= due) {
          Thread.onSpinWait();
          if (due - sent < 1) {
            java.util.concurrent.locks.LockSupport.parkNanos(100_000);
          }
          continue;
        }
      }
      if (!permits.tryAcquire(10, java.util.concurrent.TimeUnit.MILLISECONDS)) {
        continue;
      }
      byte[] body = ByteBuffer.allocate(64).putLong(System.nanoTime()).array();
      OUTSTANDING.add(pub.getNextPublishSeqNo());
      pub.basicPublish("", "dc-bench", props, body);
      sent++;
    }
  }

  private static void drain(AtomicLong confirmed, AtomicLong delivered) throws InterruptedException {
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (System.nanoTime() < deadline && delivered.get() < confirmed.get()) {
      Thread.sleep(10);
    }
  }
}
