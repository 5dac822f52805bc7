package io.deliverycheck.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class AckClockTest {
  @Test
  void withoutSamplesTheTimeoutIsTheMinimum() {
    assertEquals(1000, new AckClock(1000, 4000, 100).timeoutMs());
  }

  @Test
  void firstSampleGivesSrttPlusTwiceIt() {
    AckClock c = new AckClock(10, 10_000, 1);
    c.observe(300);
    // SRTT = 300, RTTVAR = 150: 300 + 4 * 150
    assertEquals(900, c.timeoutMs());
  }

  @Test
  void boundedByMinimumAndCap() {
    AckClock fast = new AckClock(1000, 4000, 100);
    for (int i = 0; i < 50; i++) {
      fast.observe(5);
    }
    assertEquals(1000, fast.timeoutMs());
    AckClock slow = new AckClock(1000, 4000, 100);
    for (int i = 0; i < 50; i++) {
      slow.observe(20_000);
    }
    assertEquals(4000, slow.timeoutMs());
  }

  @Test
  void followsAStableLatencyAndStaysAboveItsSpread() {
    AckClock c = new AckClock(1, 60_000, 1);
    SplittableRandom r = new SplittableRandom(7);
    double max = 0;
    for (int i = 0; i < 2000; i++) {
      double ms = 400 + r.nextDouble(200); // 400..600 ms
      max = Math.max(max, ms);
      c.observe(ms);
    }
    assertEquals(500, c.srttMs(), 30);
    long rto = c.timeoutMs();
    assertTrue(rto > 600 && rto < 1200, "timeout " + rto + " ms for acks of 400..600 ms");
  }

  @Test
  void granularityIsTheLeastMarginAboveSrtt() {
    AckClock c = new AckClock(1, 60_000, 100);
    for (int i = 0; i < 200; i++) {
      c.observe(50);
    }
    assertEquals(150, c.timeoutMs());
  }
}
