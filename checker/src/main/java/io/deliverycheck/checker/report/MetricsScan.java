package io.deliverycheck.checker.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * Streams metrics.jsonl (Contract 3: {@code {"time_ms":..,"node":"n1","metrics":{..}}} per scrape)
 * into bounded, downsampled series per plotted metric: backlog age, backlog, delivery retries per
 * second (from the counter, restart-safe) and dead-letter depth, one line per node.
 */
final class MetricsScan {
  static final int MAX_POINTS = 1500;

  /** A plotted metric: the Prometheus name, a title, and whether it is a counter shown as a rate. */
  record Metric(String name, String title, String unit, boolean rate) {}

  static final List<Metric> METRICS =
      List.of(
          new Metric("deliverycheck_oldest_undelivered_age_seconds", "Backlog age (oldest undelivered)", "s", false),
          new Metric("deliverycheck_backlog", "Backlog (undelivered rows)", "rows", false),
          new Metric("deliverycheck_delivery_retries_total", "Delivery retries", "per s", true),
          new Metric("deliverycheck_dead_letter_depth", "Dead-letter depth", "rows", false));

  /** A point: time in seconds on the history's clock, node, value (NaN: a gap in the line). */
  record Point(double t, String node, double v) {}

  /** Scrapes of a node further apart than this (s) break its line: the node was down or paused. */
  static final double GAP_S = 3.5;

  final Map<String, Downsampler<Point>> series = new LinkedHashMap<>();
  final Map<String, double[]> lastCounter = new HashMap<>(); // metric+node -> {time_ms, value}
  final Map<String, Double> lastSeen = new HashMap<>(); // metric+node -> time (s) of its last point
  long lines;
  String warning;

  static MetricsScan scan(Path file) {
    MetricsScan s = new MetricsScan();
    for (Metric m : METRICS) s.series.put(m.name(), new Downsampler<>(MAX_POINTS));
    if (file == null) return s;
    try (InputStream raw = Files.newInputStream(file);
        InputStream in = file.getFileName().toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw;
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      long no = 0;
      while ((line = r.readLine()) != null) {
        no++;
        if (line.isBlank()) continue;
        JsonNode j;
        try {
          j = RunFolder.JSON.readTree(line);
        } catch (IOException e) {
          if (s.warning == null) s.warning = file.getFileName() + ":" + no + ": not JSON, skipped";
          continue;
        }
        s.accept(j);
      }
    } catch (IOException e) {
      s.warning = file.getFileName() + ": " + e.getMessage();
    }
    return s;
  }

  private void accept(JsonNode j) {
    if (!j.path("time_ms").isNumber() || !j.path("metrics").isObject()) return;
    lines++;
    double tMs = j.get("time_ms").asDouble();
    String node = j.path("node").asText("?");
    JsonNode metrics = j.get("metrics");
    for (Metric m : METRICS) {
      Double v = value(metrics, m.name());
      if (v == null) continue;
      Double last = lastSeen.put(m.name() + "\u0000" + node, tMs / 1000.0);
      if (last != null && tMs / 1000.0 - last > GAP_S) {
        series.get(m.name()).offer(new Point(last + 0.001, node, Double.NaN));
      }
      if (!m.rate()) {
        series.get(m.name()).offer(new Point(tMs / 1000.0, node, v));
        continue;
      }
      double[] prev = lastCounter.put(m.name() + "\u0000" + node, new double[] {tMs, v});
      if (prev == null || tMs <= prev[0]) continue;
      double delta = v >= prev[1] ? v - prev[1] : v; // a counter reset (node restart) starts again from 0
      series.get(m.name()).offer(new Point(tMs / 1000.0, node, delta / ((tMs - prev[0]) / 1000.0)));
    }
  }

  /** The metric's value: the plain name, else the sum of its labelled series {@code name{...}}. */
  static Double value(JsonNode metrics, String name) {
    JsonNode v = metrics.get(name);
    if (v != null && v.isNumber()) return v.asDouble();
    double sum = 0;
    boolean found = false;
    var it = metrics.fields();
    while (it.hasNext()) {
      var e = it.next();
      if (e.getKey().startsWith(name + "{") && e.getValue().isNumber()) {
        sum += e.getValue().asDouble();
        found = true;
      }
    }
    return found ? sum : null;
  }
}
