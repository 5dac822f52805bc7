package io.deliverycheck.node;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/** The node's counters and histograms, rendered as Prometheus text with the names of Contract 2. */
public final class Metrics {
  public final LongAdder accepted = new LongAdder();
  public final LongAdder attempts = new LongAdder();
  public final LongAdder retries = new LongAdder();
  public final LongAdder duplicateAttempts = new LongAdder();
  public final LongAdder pushFailures = new LongAdder();
  /** Retries not written because the previous push of the row was still in flight on that socket. */
  public final LongAdder pushesSuppressed = new LongAdder();
  /** The current adaptive ack timeout (ms) and the pushes held by flow control, set every poll. */
  public volatile long ackTimeoutMs;
  public volatile long pushesHeld;
  public final Histogram ackLatency = new Histogram();
  public final Histogram receiptLag = new Histogram();
  /** From an accept's arrival at the store (group commit queue) to its commit. */
  public final Histogram acceptCommit = new Histogram();
  /** From a device's ack frame arriving to its commit (group commit queue included). */
  public final Histogram ackCommit = new Histogram();

  /** A cumulative-bucket histogram in seconds (thread-safe, fixed buckets). */
  public static final class Histogram {
    static final double[] BOUNDS = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
    private final AtomicLongArray counts = new AtomicLongArray(BOUNDS.length + 1);
    private final DoubleAdder sum = new DoubleAdder();

    public void observeNanos(long nanos) {
      double s = nanos / 1e9;
      int i = 0;
      while (i < BOUNDS.length && s > BOUNDS[i]) {
        i++;
      }
      counts.incrementAndGet(i);
      sum.add(s);
    }

    long count() {
      long c = 0;
      for (int i = 0; i < counts.length(); i++) {
        c += counts.get(i);
      }
      return c;
    }

    void render(StringBuilder b, String name, String help) {
      b.append("# HELP ").append(name).append(' ').append(help).append('\n');
      b.append("# TYPE ").append(name).append(" histogram\n");
      long cum = 0;
      for (int i = 0; i < BOUNDS.length; i++) {
        cum += counts.get(i);
        b.append(name).append("_bucket{le=\"").append(BOUNDS[i]).append("\"} ").append(cum).append('\n');
      }
      cum += counts.get(BOUNDS.length);
      b.append(name).append("_bucket{le=\"+Inf\"} ").append(cum).append('\n');
      b.append(name).append("_sum ").append(sum.sum()).append('\n');
      b.append(name).append("_count ").append(cum).append('\n');
    }
  }

  private static void counter(StringBuilder b, String name, String help, long v) {
    b.append("# HELP ").append(name).append(' ').append(help).append('\n');
    b.append("# TYPE ").append(name).append(" counter\n").append(name).append(' ').append(v).append('\n');
  }

  private static void gauge(StringBuilder b, String name, String help, double v) {
    b.append("# HELP ").append(name).append(' ').append(help).append('\n');
    b.append("# TYPE ").append(name).append(" gauge\n").append(name).append(' ');
    if (v == Math.rint(v)) {
      b.append((long) v);
    } else {
      b.append(v);
    }
    b.append('\n');
  }

  /** Prometheus text; gauges (from the database) are NaN when it could not be asked. */
  public String render(double[] gauges) {
    StringBuilder b = new StringBuilder(4096);
    counter(b, "deliverycheck_messages_accepted_total", "Messages accepted (committed) by this node.", accepted.sum());
    counter(b, "deliverycheck_delivery_attempts_total", "Pushes written to device sockets by this node.", attempts.sum());
    counter(b, "deliverycheck_delivery_retries_total", "Pushes with attempt > 1 made by this node.", retries.sum());
    counter(b, "deliverycheck_duplicate_delivery_attempts_total",
        "Pushes of a delivery whose attempt number was already pushed (two workers pushed one row).",
        duplicateAttempts.sum());
    ackLatency.render(b, "deliverycheck_ack_latency_seconds", "From a push to the device's ack (committed).");
    gauge(b, "deliverycheck_oldest_undelivered_age_seconds", "Age of the oldest pending delivery row.", gauges[1]);
    gauge(b, "deliverycheck_backlog", "Pending delivery rows (cluster-wide).", gauges[0]);
    gauge(b, "deliverycheck_dead_letter_depth", "Rows in the dead-letter table (cluster-wide).", gauges[2]);
    receiptLag.render(b, "deliverycheck_receipt_lag_seconds", "From a state's commit to its receipt being written.");
    counter(b, "deliverycheck_gateway_push_failures_total",
        "Pushes that could not be written (device not connected here, socket closed).", pushFailures.sum());
    counter(b, "deliverycheck_delivery_pushes_suppressed_total",
        "Retries not written: the previous push of the row was still in flight on the device's socket.",
        pushesSuppressed.sum());
    gauge(b, "deliverycheck_ack_timeout_seconds", "This node's adaptive ack timeout (SRTT + 4 RTTVAR, bounded).",
        ackTimeoutMs / 1000.0);
    gauge(b, "deliverycheck_pushes_held", "Pushes held back because their device had a full window of pushes awaiting acks.",
        pushesHeld);
    acceptCommit.render(b, "deliverycheck_accept_commit_seconds",
        "From an accept reaching the store (group-commit queue included) to its commit.");
    ackCommit.render(b, "deliverycheck_ack_commit_seconds",
        "From a device's ack frame reaching the node to its commit (group-commit queue included).");
    gauge(b, "deliverycheck_deliveries_uncertain",
        "Pending rows already pushed at least once: the device may or may not have them.", gauges[3]);
    return b.toString();
  }
}
