package io.deliverycheck.node;

/**
 * The ack timeout of one gateway node, adapted to the ack latency it observes (TCP's retransmission
 * timer, RFC 6298): a smoothed latency SRTT and its mean deviation RTTVAR, updated by each sample
 * with gains 1/8 and 1/4; the timeout is SRTT + max(granularity, 4 RTTVAR), bounded below by the
 * configured minimum ({@code --ack-timeout-ms}) and above by the cap ({@code --ack-timeout-max-ms}).
 * Before the first sample it is the minimum. Samples are the time from a push's write to the commit
 * of its ack, taken only for pushes written once (Karn's rule: the ack of a retried push could
 * answer either copy). Event-loop confined, like the gateway that feeds it.
 */
final class AckClock {
  private final long minMs;
  private final long maxMs;
  private final long granularityMs;
  private double srtt;
  private double rttvar;
  private long samples;

  AckClock(long minMs, long maxMs, long granularityMs) {
    this.minMs = minMs;
    this.maxMs = Math.max(minMs, maxMs);
    this.granularityMs = granularityMs;
  }

  /** One latency sample, in milliseconds. */
  void observe(double ms) {
    if (ms < 0) {
      return;
    }
    if (samples++ == 0) {
      srtt = ms;
      rttvar = ms / 2;
    } else {
      rttvar = 0.75 * rttvar + 0.25 * Math.abs(srtt - ms);
      srtt = 0.875 * srtt + 0.125 * ms;
    }
  }

  /** The current ack timeout in milliseconds, within [min, cap]. */
  long timeoutMs() {
    if (samples == 0) {
      return minMs;
    }
    double rto = srtt + Math.max(granularityMs, 4 * rttvar);
    return Math.max(minMs, Math.min(maxMs, Math.round(rto)));
  }

  long samples() {
    return samples;
  }

  double srttMs() {
    return srtt;
  }

  double rttvarMs() {
    return rttvar;
  }
}
