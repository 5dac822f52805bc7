package io.deliverycheck.checker.runner;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.history.Recorder;
import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Scrapes {@code GET <adminEndpoint>/metrics} of every node once per interval and appends one line
 * per node and scrape to {@code metrics.jsonl} (Contract 3):
 * {@code {"time_ms":1234,"node":"n1","metrics":{"deliverycheck_backlog":3,...}}}, time on the
 * history's clock. A node that does not answer (killed, paused) gives
 * {@code "metrics":{}} and an {@code "error"}. A node without an admin endpoint (null: the
 * system has none, e.g. a Kafka broker) is not scraped and gives no line. Histograms keep their {@code _sum} and {@code _count};
 * buckets are dropped. A labelled sample is stored under its full name with labels.
 *
 * <p>A node that does not answer is evidence, not a failure. The scraper itself failing (it cannot
 * write {@code metrics.jsonl}, a scrape throws) is a harness failure: it is reported once to the
 * {@code onFailure} listener (the runner records it as an {@code error} op) and the scraper stops.
 */
public final class MetricsScraper implements Closeable {
  private final Environment env;
  private final Recorder rec;
  private final BufferedWriter out;
  private final HttpClient http;
  private final ScheduledExecutorService timer;
  private final String token;
  private final Consumer<String> onFailure;
  private boolean closed;
  private boolean failed;

  private MetricsScraper(Environment env, Recorder rec, Path file, String token, Consumer<String> onFailure)
      throws IOException {
    this.env = env;
    this.rec = rec;
    this.token = token;
    this.onFailure = onFailure;
    this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "metrics-scraper");
      t.setDaemon(true);
      return t;
    });
  }

  /** Starts scraping now and every {@code interval}; {@code token} may be null. */
  public static MetricsScraper start(Environment env, Recorder rec, Path file, Duration interval, String token)
      throws IOException {
    return start(env, rec, file, interval, token, why -> { });
  }

  /**
   * Starts scraping now and every {@code interval}; {@code token} may be null; {@code onFailure}
   * hears, once, why the scraper failed (one line).
   */
  public static MetricsScraper start(Environment env, Recorder rec, Path file, Duration interval, String token,
      Consumer<String> onFailure) throws IOException {
    MetricsScraper s = new MetricsScraper(env, rec, file, token, onFailure);
    s.timer.scheduleAtFixedRate(s::scrapeAllSafely, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    return s;
  }

  /** A scheduled task that throws is never run again: say so instead of falling silent. */
  private void scrapeAllSafely() {
    try {
      scrapeAll();
    } catch (RuntimeException e) {
      fail("scraping /metrics: " + e);
      throw e;
    }
  }

  private void fail(String why) {
    synchronized (this) {
      if (failed || closed) {
        return;
      }
      failed = true;
    }
    onFailure.accept(why);
  }

  /** Scrapes every node concurrently; waits at most about a second for the slowest. */
  private void scrapeAll() {
    List<java.util.concurrent.CompletableFuture<Void>> all = new java.util.ArrayList<>();
    for (String node : env.nodes()) {
      long timeMs = rec.now() / 1_000_000;
      HttpRequest.Builder req;
      try {
        java.net.URI admin = env.adminEndpoint(node);
        if (admin == null) {
          continue; // the system has no metrics endpoint (Environment#adminEndpoint): nothing to scrape
        }
        req = HttpRequest.newBuilder(admin.resolve("/metrics"))
            .timeout(Duration.ofMillis(800)).GET();
      } catch (RuntimeException e) {
        write(line(timeMs, node, null, e));
        continue;
      }
      if (token != null) {
        req.header("Authorization", "Bearer " + token);
      }
      all.add(http.sendAsync(req.build(), HttpResponse.BodyHandlers.ofString())
          .handle((resp, err) -> {
            write(line(timeMs, node, resp, err));
            return null;
          }));
    }
    try {
      java.util.concurrent.CompletableFuture.allOf(all.toArray(new java.util.concurrent.CompletableFuture[0]))
          .get(1500, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      // a slow node is recorded when its answer or its timeout comes
    }
  }

  private static ObjectNode line(long timeMs, String node, HttpResponse<String> resp, Throwable err) {
    ObjectNode line = JsonNodeFactory.instance.objectNode();
    line.put("time_ms", timeMs);
    line.put("node", node);
    if (err != null) {
      Throwable e = err instanceof java.util.concurrent.CompletionException && err.getCause() != null ? err.getCause() : err;
      line.putObject("metrics");
      line.put("error", e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
    } else if (resp.statusCode() != 200) {
      line.putObject("metrics");
      line.put("error", "HTTP " + resp.statusCode());
    } else {
      line.set("metrics", parse(resp.body()));
    }
    return line;
  }

  private void write(ObjectNode line) {
    String why;
    synchronized (this) {
      if (closed || failed) {
        return;
      }
      try {
        out.write(line.toString());
        out.write('\n');
        out.flush();
        return;
      } catch (IOException e) {
        // metrics are evidence, not the verdict; the history stays authoritative, but say so
        why = "writing metrics.jsonl: " + e;
      }
    }
    fail(why);
  }

  /** Parses Prometheus text exposition into a flat name -> value object. */
  static ObjectNode parse(String text) {
    ObjectNode m = JsonNodeFactory.instance.objectNode();
    for (String raw : text.split("\n")) {
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int split = line.indexOf('}') >= 0 ? line.indexOf('}') + 1 : line.indexOf(' ');
      if (split <= 0 || split >= line.length()) {
        continue;
      }
      String name = line.substring(0, split).strip();
      String[] rest = line.substring(split).strip().split("\\s+");
      if (name.contains("_bucket") || rest.length == 0) {
        continue;
      }
      try {
        double v = Double.parseDouble(rest[0]);
        if (v == Math.rint(v) && !Double.isInfinite(v) && Math.abs(v) < 1e15) {
          m.put(name, (long) v);
        } else if (Double.isFinite(v)) {
          m.put(name, v);
        }
      } catch (NumberFormatException e) {
        // not a sample line
      }
    }
    return m;
  }

  @Override
  public void close() {
    timer.shutdownNow();
    try {
      timer.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    synchronized (this) {
      closed = true;
      try {
        out.close();
      } catch (IOException e) {
        // nothing more to save
      }
    }
  }
}
