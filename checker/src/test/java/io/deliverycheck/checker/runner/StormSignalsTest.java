package io.deliverycheck.checker.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StormSignalsTest {
  private static String row(String node, long pushes, long retries, double ackSum, long acks, double age, long dead, long uncertain) {
    return String.format(java.util.Locale.ROOT,
        "{\"time_ms\":1,\"node\":\"%s\",\"metrics\":{\"deliverycheck_delivery_attempts_total\":%d,"
            + "\"deliverycheck_delivery_retries_total\":%d,\"deliverycheck_ack_latency_seconds_sum\":%s,"
            + "\"deliverycheck_ack_latency_seconds_count\":%d,\"deliverycheck_oldest_undelivered_age_seconds\":%s,"
            + "\"deliverycheck_backlog\":3,\"deliverycheck_dead_letter_depth\":%d,\"deliverycheck_deliveries_uncertain\":%d}}",
        node, pushes, retries, ackSum, acks, age, dead, uncertain);
  }

  @Test
  void countersAreSummedPerNodeAcrossARestartAndGaugesAtTheirPeak(@TempDir Path dir) throws Exception {
    Path m = dir.resolve("metrics.jsonl");
    Files.write(m, List.of(
        row("n1", 100, 10, 1.0, 100, 0.5, 0, 1),
        row("n2", 50, 0, 0.5, 50, 0.5, 0, 0),
        "{\"time_ms\":2,\"node\":\"n1\",\"metrics\":{},\"error\":\"killed\"}",
        row("n1", 30, 5, 0.3, 30, 2.5, 4, 7), // restarted: counted from 0 again
        row("n2", 120, 20, 1.2, 120, 1.0, 4, 2)));
    StormSignals s = StormSignals.read(m, 250);
    assertEquals(100 + 30 + 120, s.pushes());
    assertEquals(10 + 5 + 20, s.retries());
    assertEquals(1.0, s.pushesPerDelivered(), 1e-9);
    assertEquals(35.0 / 250, s.retryRate(), 1e-9);
    assertEquals(10.0, s.ackLatencyMeanMs(), 1e-6);
    assertEquals(2.5, s.backlogAgeMaxS(), 1e-9);
    assertEquals(4, s.deadLetterMax());
    assertEquals(7, s.uncertainMax());
    String line = StormSignals.line(s.toJson());
    assertTrue(line.contains("1.00 pushes per delivered triple") && line.contains("retries 14.0% of pushes")
        && line.contains("ack latency 10 ms mean") && line.contains("dead letters 4"), line);
  }

  @Test
  void noMetricsNoSignals(@TempDir Path dir) throws Exception {
    assertNull(StormSignals.read(dir.resolve("none.jsonl"), 5));
    Path m = dir.resolve("metrics.jsonl");
    Files.write(m, List.of("{\"time_ms\":1,\"node\":\"n1\",\"metrics\":{\"rabbitmq_queue_messages\":3}}"));
    assertNull(StormSignals.read(m, 5));
    assertNull(StormSignals.line(null));
  }
}
