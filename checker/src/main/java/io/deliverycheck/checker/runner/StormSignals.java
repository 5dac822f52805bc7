package io.deliverycheck.checker.runner;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The signals that tell a retry storm from a healthy run, from the nodes' metrics the runner
 * scraped ({@code metrics.jsonl}, {@link MetricsScraper}) and the checker's delivered count:
 * pushes per delivered triple, the share of pushes that were retries, the mean ack latency, the
 * oldest undelivered row's age, the dead-letter depth and the deliveries in uncertain states (the
 * last three at their peak). Counters are summed per node across restarts (a counter that goes
 * down started again from 0; -1: not exported). A system whose nodes export none of these metrics
 * has no signals.
 */
public record StormSignals(long pushes, long retries, long deliveredTriples, double ackLatencySumS, long acks,
    double backlogAgeMaxS, long backlogMax, long deadLetterMax, long uncertainMax) {

  static final String PUSHES = "deliverycheck_delivery_attempts_total";
  static final String RETRIES = "deliverycheck_delivery_retries_total";
  static final String ACK_SUM = "deliverycheck_ack_latency_seconds_sum";
  static final String ACK_COUNT = "deliverycheck_ack_latency_seconds_count";
  static final String AGE = "deliverycheck_oldest_undelivered_age_seconds";
  static final String BACKLOG = "deliverycheck_backlog";
  static final String DEAD = "deliverycheck_dead_letter_depth";
  static final String UNCERTAIN = "deliverycheck_deliveries_uncertain";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The signals of {@code metricsJsonl}; null when the file is missing or has none of the metrics. */
  public static StormSignals read(Path metricsJsonl, long deliveredTriples) throws IOException {
    if (!Files.isRegularFile(metricsJsonl)) {
      return null;
    }
    Map<String, Double> last = new HashMap<>();
    double[] sums = new double[4]; // pushes, retries, ack sum, ack count
    String[] counters = {PUSHES, RETRIES, ACK_SUM, ACK_COUNT};
    double age = 0;
    double backlog = 0;
    double dead = 0;
    double uncertain = 0;
    boolean any = false;
    boolean[] seen = new boolean[4];
    try (BufferedReader r = Files.newBufferedReader(metricsJsonl, StandardCharsets.UTF_8)) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.isBlank()) {
          continue;
        }
        JsonNode row = JSON.readTree(line);
        JsonNode m = row.path("metrics");
        String node = row.path("node").asText();
        for (int i = 0; i < counters.length; i++) {
          JsonNode v = m.get(counters[i]);
          if (v != null && v.isNumber()) {
            any = true;
            seen[i] = true;
            double now = v.asDouble();
            Double before = last.put(node + " " + counters[i], now);
            double b = before == null ? 0 : before;
            sums[i] += now >= b ? now - b : now;
          }
        }
        age = Math.max(age, m.path(AGE).asDouble(0));
        backlog = Math.max(backlog, m.path(BACKLOG).asDouble(0));
        dead = Math.max(dead, m.path(DEAD).asDouble(0));
        uncertain = Math.max(uncertain, m.path(UNCERTAIN).asDouble(0));
        any |= m.has(AGE) || m.has(BACKLOG) || m.has(DEAD) || m.has(UNCERTAIN);
      }
    }
    if (!any) {
      return null;
    }
    return new StormSignals(seen[0] ? Math.round(sums[0]) : -1, seen[1] ? Math.round(sums[1]) : -1, deliveredTriples,
        sums[2], Math.round(sums[3]),
        age, Math.round(backlog), Math.round(dead), Math.round(uncertain));
  }

  /** Pushes per delivered triple (1.0: every delivery took one push); NaN when nothing was delivered or pushes are not counted. */
  public double pushesPerDelivered() {
    return deliveredTriples == 0 || pushes < 0 ? Double.NaN : (double) pushes / deliveredTriples;
  }

  /** Retries as a share of pushes; NaN without pushes or when retries are not counted. */
  public double retryRate() {
    return pushes <= 0 || retries < 0 ? Double.NaN : (double) retries / pushes;
  }

  /** Mean ack latency in ms; NaN without acks. */
  public double ackLatencyMeanMs() {
    return acks == 0 ? Double.NaN : ackLatencySumS * 1000 / acks;
  }

  /** The {@code run.storm} block of results.json. */
  public ObjectNode toJson() {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    put(o, "pushes_per_delivered", pushesPerDelivered());
    put(o, "retry_rate", retryRate());
    put(o, "ack_latency_mean_ms", ackLatencyMeanMs());
    o.put("backlog_age_max_s", Math.round(backlogAgeMaxS * 10) / 10.0);
    o.put("backlog_max", backlogMax);
    o.put("dead_letter_depth_max", deadLetterMax);
    o.put("uncertain_max", uncertainMax);
    o.put("pushes", pushes);
    o.put("retries", retries);
    o.put("delivered", deliveredTriples);
    o.put("acks", acks);
    return o;
  }

  private static void put(ObjectNode o, String k, double v) {
    if (Double.isNaN(v)) {
      o.putNull(k);
    } else {
      o.put(k, Math.round(v * 1000) / 1000.0);
    }
  }

  /** One line for a person, from a {@code run.storm} block; null when there is none. */
  public static String line(JsonNode storm) {
    if (storm == null || !storm.isObject()) {
      return null;
    }
    return String.format(Locale.ROOT,
        "storm signals: %s pushes per delivered triple, retries %s of pushes, ack latency %s mean, oldest undelivered %.1f s (peak), dead letters %d, uncertain %d (peak)",
        num(storm.get("pushes_per_delivered"), "%.2f", 1), num(storm.get("retry_rate"), "%.1f%%", 100),
        num(storm.get("ack_latency_mean_ms"), "%.0f ms", 1), storm.path("backlog_age_max_s").asDouble(),
        storm.path("dead_letter_depth_max").asLong(), storm.path("uncertain_max").asLong());
  }

  private static String num(JsonNode n, String fmt, double scale) {
    return n == null || n.isNull() ? "-" : String.format(Locale.ROOT, fmt, n.asDouble() * scale);
  }
}
