package io.deliverycheck.checker.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** Renders report.html from what {@link Report} gathered. One method per section. */
final class ReportPage {
  static final int MAX_THROUGHPUT_BUCKETS = 600;
  static final int MAX_TIMELINE_ROWS = 500;

  private final RunFolder run;
  private final Examples examples;
  private final HistoryScan h; // null without a history
  private final MetricsScan metrics;
  private final StringBuilder out = new StringBuilder(1 << 16);

  ReportPage(RunFolder run, Examples examples, HistoryScan h, MetricsScan metrics) {
    this.run = run;
    this.examples = examples;
    this.h = h;
    this.metrics = metrics;
  }

  String render() {
    String title = run.name() + " - " + run.verdict() + " - deliverycheck";
    out.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        .append("<title>").append(Html.esc(title)).append("</title>\n<style>")
        .append(Assets.text("report.css")).append("</style></head>\n<body>\n");
    header();
    verdict();
    outcomes();
    plots();
    timeline();
    stories();
    files();
    out.append("<script id=\"report-data\" type=\"application/json\">").append(Html.scriptJson(plotData()))
        .append("</script>\n<script>").append(Assets.vega()).append("</script>\n<script>")
        .append(Assets.text("report.js")).append("</script>\n</body></html>\n");
    return out.toString();
  }

  private void header() {
    JsonNode t = run.test;
    out.append("<header><h1>").append(Html.esc(run.name())).append("</h1><dl class=\"facts\">");
    fact("started", t.path("started").asText(""));
    fact("guarantee", run.guarantee());
    fact("seed", t.path("seed").asText(""));
    fact("nodes", list(t.path("nodes")));
    fact("workload", t.path("workload").isValueNode() ? t.path("workload").asText() : Html.compact(t.path("workload")));
    fact("nemesis", list(t.path("nemesis")));
    fact("bugs", list(t.path("bugs")));
    fact("time limit", t.path("time_limit_s").isMissingNode() ? "" : t.path("time_limit_s").asText() + " s");
    fact("rate", t.path("rate").asText(""));
    fact("environment", t.path("env").isValueNode() ? t.path("env").asText() : Html.compact(t.path("env")));
    if (h != null) {
      fact("history", String.format(Locale.ROOT, "%,d ops over %.1f s%s", h.ops, h.endTime / 1e9,
          !h.drained ? ", NOT drained" : h.healed ? ", drained (healed)" : ", drained but NOT healed"));
    }
    out.append("</dl></header>\n");
  }

  private void fact(String k, String v) {
    if (v == null || v.isEmpty()) return;
    out.append("<div><dt>").append(Html.esc(k)).append("</dt><dd>").append(Html.esc(v)).append("</dd></div>");
  }

  private static String list(JsonNode n) {
    if (n.isArray()) {
      List<String> parts = new ArrayList<>();
      n.forEach(e -> parts.add(e.isValueNode() ? e.asText() : e.toString()));
      return parts.isEmpty() ? "none" : String.join(", ", parts);
    }
    return n.isMissingNode() || n.isNull() ? "" : n.asText(n.toString());
  }

  private void verdict() {
    String v = run.verdict();
    String g = run.guarantee();
    out.append("<section id=\"verdict\" class=\"verdict ").append(v.replace(' ', '-')).append("\" data-verdict=\"")
        .append(Html.esc(v)).append("\"><div class=\"big\">").append(Html.esc(v.toUpperCase(Locale.ROOT)))
        .append("</div><div><p class=\"claim\">");
    JsonNode system = system();
    if (g == null) out.append("No guarantee recorded.");
    else {
      String source = run.results.path("guarantee_source").asText(null);
      out.append("Judged against <b>").append(Html.esc(g)).append("</b>")
          .append(source == null ? "" : " <span class=\"source\">(from " + Html.esc(source) + ")</span>")
          .append(": ").append(Html.esc(Outcomes.forbidsSentence(g, system)));
    }
    out.append("</p>");
    claims(system);
    out.append("<p>");
    JsonNode viol = run.results.path("violations");
    switch (v) {
      case "invalid" -> {
        List<String> names = new ArrayList<>();
        viol.forEach(x -> names.add(x.asText()));
        out.append("Forbidden outcomes found: <b>").append(Html.esc(String.join(", ", names))).append("</b>.");
      }
      case "valid" -> out.append("No forbidden outcome was found in this history.");
      case "unknown" -> out.append("The history cannot prove the guarantee: ")
          .append(Html.esc(unknownReason())).append('.');
      default -> out.append("This run has no results.json: it was not checked.");
    }
    out.append("</p>");
    JsonNode notes = run.results.path("notes");
    if (notes.isArray() && notes.size() > 0) {
      out.append("<ul class=\"notes\">");
      notes.forEach(n -> out.append("<li>").append(Html.esc(n.asText())).append("</li>"));
      out.append("</ul>");
    }
    String storm = io.deliverycheck.checker.runner.StormSignals.line(run.results.path("run").get("storm"));
    if (storm != null) {
      out.append("<p class=\"storm\">").append(Html.esc(storm)).append(" (from the nodes' metrics; a healthy run pushes about once per delivery)</p>");
    }
    harnessErrors();
    out.append("</div></section>\n");
    List<String> warnings = new ArrayList<>(run.warnings);
    if (h != null) warnings.addAll(h.warnings);
    if (metrics.warning != null) warnings.add(metrics.warning);
    if (!warnings.isEmpty()) {
      out.append("<ul class=\"warnings\">");
      for (String w : warnings) out.append("<li>").append(Html.esc(w)).append("</li>");
      out.append("</ul>\n");
    }
  }

  /** The system op: results.json's copy, else the history's; null when neither has one. */
  private JsonNode system() {
    JsonNode s = run.results.path("system");
    if (s.isObject()) return s;
    return h != null && h.system != null && h.system.isObject() ? h.system : null;
  }

  /** What the system under test claims, next to the verdict. */
  private void claims(JsonNode system) {
    if (system == null) {
      out.append("<p class=\"claims none\">No system op: the system's claims on receipts and order were not recorded"
          + " (unresolved and reordered are counted, never forbidden).</p>");
      return;
    }
    out.append("<dl class=\"claims\" id=\"claims\">");
    claim("system", system.path("name").asText("(unnamed)"));
    if (system.has("version")) claim("version", system.get("version").isValueNode() ? system.get("version").asText()
        : Html.compact(system.get("version")));
    claim("claims guarantee", system.path("guarantee").asText("not claimed"));
    claim("receipts", system.path("receipts").isBoolean() ? system.get("receipts").asText() : "not claimed");
    claim("order", system.path("order").asText("not claimed"));
    system.fields().forEachRemaining(e -> {
      if (!List.of("name", "version", "guarantee", "receipts", "order").contains(e.getKey())) {
        claim(e.getKey(), e.getValue().isValueNode() ? e.getValue().asText() : Html.compact(e.getValue()));
      }
    });
    out.append("</dl>");
  }

  private void claim(String k, String v) {
    out.append("<div><dt>").append(Html.esc(k)).append("</dt><dd>").append(Html.esc(v)).append("</dd></div>");
  }

  /** The harness's own failures: what step failed, from results.json, else from the history. */
  private void harnessErrors() {
    long n = run.results.path("counts").path("harness_errors").asLong(h == null ? 0 : h.harnessErrorCount);
    if (n == 0) return;
    out.append("<div class=\"harness-errors\" id=\"harness-errors\"><p><b>").append(n)
        .append(" harness error(s)</b>: the harness itself failed at something (a fault not applied or not healed, a"
            + " node never healthy). The verdict is on what was observed; a test run with harness errors is not a"
            + " pass.</p><ul>");
    JsonNode listed = run.results.path("harness_errors");
    int shown = 0;
    if (listed.isArray() && listed.size() > 0) {
      for (JsonNode e : listed) {
        if (shown++ == 20) break;
        String step = e.path("f").asText("").equals("error") ? e.path("what").asText("harness") : e.path("f").asText("?");
        String why = e.hasNonNull("message") ? e.get("message").asText() : e.path("error").asText("");
        out.append("<li><b>").append(Html.esc(step)).append("</b>: ").append(Html.esc(why)).append(" <small>(op ")
            .append(Html.esc(e.path("index").asText("?"))).append(", ").append(Html.esc(e.path("process").asText("")))
            .append(")</small></li>");
      }
    } else if (h != null) {
      for (HistoryScan.Row r : h.harnessErrors) {
        if (shown++ == 20) break;
        String step = r.f().equals("error") && r.value() != null ? r.value().path("what").asText("harness") : r.f();
        String why = r.error() != null ? r.error() : r.value() == null ? "" : r.value().path("message").asText("");
        out.append("<li><b>").append(Html.esc(step)).append("</b>: ").append(Html.esc(why)).append(" <small>(op ")
            .append(r.index()).append(", ").append(Html.esc(r.process())).append(")</small></li>");
      }
    }
    if (n > shown) out.append("<li>... ").append(n - Math.min(shown, 20)).append(" more in results.json</li>");
    out.append("</ul></div>");
  }

  private String unknownReason() {
    JsonNode counts = run.results.path("counts");
    if (counts.path("sent_ok").isNumber() && counts.path("sent_ok").asLong() == 0) return "no send completed ok";
    if (counts.path("owed").isNumber() && counts.path("owed").asLong() == 0) return "nothing was owed";
    if (h != null && h.drained && !h.healed) {
      return "the drain was not healed (some fault could not be undone), so loss cannot be judged";
    }
    if (!"judged".equals(run.results.path("loss").asText("judged")) || (h != null && !h.drained)) {
      return "the run did not drain, so loss cannot be judged";
    }
    return "see results.json";
  }

  private void outcomes() {
    JsonNode counts = run.results.path("counts");
    List<String> violated = new ArrayList<>();
    run.results.path("violations").forEach(x -> violated.add(x.asText().replace('-', '_')));
    out.append("<section id=\"outcomes\"><h2>Outcomes</h2>");
    out.append("<p class=\"counts\">");
    for (String k : List.of("sent", "sent_ok", "sent_fail", "sent_info", "owed", "delivered", "harness_errors")) {
      if (counts.has(k)) {
        out.append("<span><b>").append(Html.esc(counts.get(k).asText())).append("</b> ")
            .append(Html.esc(k.replace('_', ' '))).append("</span>");
      }
    }
    out.append("</p>\n<table class=\"outcomes\"><thead><tr><th>outcome</th><th>count</th><th>")
        .append(Html.esc(run.guarantee() == null ? "guarantee" : run.guarantee()))
        .append(" says</th><th>examples</th></tr></thead><tbody>");
    for (Outcomes.Outcome o : Outcomes.ALL) {
      JsonNode c = counts.path(o.key());
      if (c.isMissingNode()) c = counts.path(o.wire());
      long n = c.asLong(0);
      String says = Outcomes.verdictOf(run.guarantee(), o.key(), system());
      boolean isViolated = violated.contains(o.key()) || (n > 0 && says.startsWith("forbidden"));
      out.append("<tr class=\"").append(isViolated ? "violated" : n > 0 ? "seen" : "zero").append("\" data-outcome=\"")
          .append(o.wire()).append("\"><td title=\"").append(Html.esc(o.definition())).append("\">")
          .append(o.wire()).append("<div class=\"def\">").append(Html.esc(o.definition())).append("</div></td><td class=\"num\">")
          .append(c.isMissingNode() ? "-" : Long.toString(n)).append("</td><td>").append(says)
          .append(isViolated ? " <b class=\"bad\">&#x2717; violated</b>" : "").append("</td><td>");
      List<JsonNode> ex = examples.byOutcome.getOrDefault(o.key(), List.of());
      int shown = 0;
      for (JsonNode e : ex) {
        if (shown++ == 8) {
          out.append(" <span class=\"more\">+").append(ex.size() - 8).append(" more in results.json</span>");
          break;
        }
        String id = e.path("id").asText(null);
        String text = (id == null ? Html.compact(e) : id + Examples.subject(e))
            + (e.has("receives") ? " \u00d7" + e.get("receives").asText() : "");
        if (id != null && examples.storyIds.contains(id)) {
          out.append("<a class=\"ex\" href=\"#").append(Html.anchor(id)).append("\">").append(Html.esc(text)).append("</a> ");
        } else {
          out.append("<span class=\"ex\">").append(Html.esc(text)).append("</span> ");
        }
      }
      out.append("</td></tr>");
    }
    out.append("</tbody></table>");
    JsonNode lat = run.results.path("latency_ms");
    if (lat.isObject()) {
      out.append("<p class=\"latency\">Latency (ms) from results.json: ");
      lat.fields().forEachRemaining(e -> {
        out.append("<span><b>").append(Html.esc(e.getKey())).append("</b>");
        e.getValue().fields().forEachRemaining(p ->
            out.append(' ').append(Html.esc(p.getKey())).append(' ').append(Html.esc(p.getValue().asText())));
        out.append("</span>");
      });
      out.append("</p>");
    }
    out.append("</section>\n");
  }

  private void plots() {
    out.append("<section id=\"plots\"><h2>Plots</h2>");
    if (h != null) {
      out.append("<p class=\"note\">Shaded bands are fault windows from the history's nemesis ops. Latency points: ")
          .append(Html.esc(h.sampleRate())).append(", placed at the time the message was first sent.</p>");
    }
    plot("accept", "Accept latency (send invoked to completed), ms, log scale");
    plot("delivery", "Delivery latency (first send to each receive), ms, log scale");
    plot("throughput", "Send completions per second");
    for (MetricsScan.Metric m : MetricsScan.METRICS) plot(m.name(), m.title() + " (" + m.unit() + "), per node");
    out.append("</section>\n");
  }

  private void plot(String id, String title) {
    out.append("<figure><figcaption>").append(Html.esc(title)).append("</figcaption><div class=\"plot\" id=\"plot-")
        .append(Html.esc(id)).append("\" data-plot=\"").append(Html.esc(id)).append("\"></div></figure>");
  }

  private Map<String, Object> plotData() {
    Map<String, Object> d = new LinkedHashMap<>();
    double end = h == null ? 0 : h.endTime / 1e9;
    for (MetricsScan.Metric m : MetricsScan.METRICS) {
      for (MetricsScan.Point p : metrics.series.get(m.name()).points()) end = Math.max(end, p.t());
    }
    d.put("end", end);
    // the x axis starts where something happens: the workload's first send, a fault or a scrape
    double start = end;
    if (h != null && h.firstSendTime >= 0) start = Math.min(start, h.firstSendTime / 1e9);
    if (h != null && !h.windows.isEmpty()) start = Math.min(start, h.windows.get(0).start() / 1e9);
    for (MetricsScan.Metric m : MetricsScan.METRICS) {
      List<MetricsScan.Point> pts = metrics.series.get(m.name()).points();
      if (!pts.isEmpty()) start = Math.min(start, pts.get(0).t());
    }
    d.put("start", start >= end ? 0 : Math.floor(Math.max(0, start - 1)));
    List<Map<String, Object>> faults = new ArrayList<>();
    List<Map<String, Object>> accept = new ArrayList<>();
    List<Map<String, Object>> delivery = new ArrayList<>();
    List<Map<String, Object>> throughput = new ArrayList<>();
    if (h != null) {
      for (HistoryScan.Window w : h.windows) {
        faults.add(Map.of("kind", w.kind(), "start", w.start() / 1e9, "end", Math.max(w.end(), w.start()) / 1e9,
            "detail", w.detail(), "stopped", w.stopped()));
      }
      for (HistoryScan.Point p : h.acceptPoints) accept.add(point(p));
      for (HistoryScan.Point p : h.deliveryPoints) delivery.add(point(p));
      throughput(throughput);
    }
    d.put("faults", faults);
    d.put("accept", accept);
    d.put("delivery", delivery);
    d.put("throughput", throughput);
    Map<String, Object> ms = new LinkedHashMap<>();
    for (MetricsScan.Metric m : MetricsScan.METRICS) {
      List<Map<String, Object>> pts = new ArrayList<>();
      for (MetricsScan.Point p : metrics.series.get(m.name()).points()) {
        Map<String, Object> pt = new LinkedHashMap<>();
        pt.put("t", p.t());
        pt.put("node", p.node());
        pt.put("v", Double.isNaN(p.v()) ? null : p.v()); // null breaks the line: no scrape then
        pts.add(pt);
      }
      ms.put(m.name(), Map.of("unit", m.unit(), "points", pts));
    }
    d.put("metrics", ms);
    return d;
  }

  private static Map<String, Object> point(HistoryScan.Point p) {
    return Map.of("t", Math.round(p.t() / 1e6) / 1e3, "ms", Math.max(p.latencyNs() / 1e6, 0.001), "series", p.series());
  }

  /** Send completions per second by type, merged into at most MAX_THROUGHPUT_BUCKETS buckets. */
  private void throughput(List<Map<String, Object>> rows) {
    if (h.throughput.isEmpty()) return;
    long first = 0;
    long last = h.throughput.lastKey();
    long width = Math.max(1, (last - first + 1 + MAX_THROUGHPUT_BUCKETS - 1) / MAX_THROUGHPUT_BUCKETS);
    TreeMap<Long, long[]> buckets = new TreeMap<>();
    for (long b = first; b <= last; b += width) buckets.put(b, new long[3]);
    h.throughput.forEach((sec, c) -> {
      long[] b = buckets.floorEntry(sec - (sec - first) % width).getValue();
      for (int i = 0; i < 3; i++) b[i] += c[i];
    });
    String[] types = {"ok", "info", "fail"};
    buckets.forEach((b, c) -> {
      for (int i = 0; i < 3; i++) {
        rows.add(Map.of("t", (double) b, "type", types[i], "rate", c[i] / (double) width));
      }
    });
  }

  private void timeline() {
    out.append("<section id=\"timeline\"><h2>Fault timeline</h2>");
    if (h == null || h.nemesis.isEmpty()) {
      out.append("<p class=\"note\">No nemesis ops in the history: no faults were injected.</p>");
    } else {
      out.append("<table class=\"ops\"><thead><tr><th>time (s)</th><th>index</th><th>fault op</th><th>value</th>")
          .append("<th>error</th></tr></thead><tbody>");
      int n = 0;
      for (HistoryScan.Row r : h.nemesis) {
        if (n++ == MAX_TIMELINE_ROWS) {
          out.append("<tr><td colspan=\"5\">... ").append(h.nemesis.size() - MAX_TIMELINE_ROWS)
              .append(" more nemesis ops in history.jsonl</td></tr>");
          break;
        }
        out.append("<tr><td class=\"num\">").append(String.format(Locale.ROOT, "%.3f", r.time() / 1e9))
            .append("</td><td class=\"num\">").append(r.index()).append("</td><td>").append(Html.esc(r.f()))
            .append("</td><td><code>").append(Html.esc(Html.compact(r.value()))).append("</code></td><td>")
            .append(Html.esc(r.error())).append("</td></tr>");
      }
      out.append("</tbody></table>");
    }
    JsonNode planned = run.faults.path("faults");
    if (planned.isArray() && planned.size() > 0) {
      out.append("<details><summary>Planned schedule (faults.json, seed ")
          .append(Html.esc(run.faults.path("seed").asText("?"))).append(", ").append(planned.size())
          .append(" faults)</summary><table class=\"ops\"><thead><tr><th>at (ms)</th><th>duration (ms)</th>")
          .append("<th>kind</th><th>shape</th><th>detail</th></tr></thead><tbody>");
      int n = 0;
      for (JsonNode f : planned) {
        if (n++ == MAX_TIMELINE_ROWS) break;
        out.append("<tr><td class=\"num\">").append(Html.esc(f.path("at_ms").asText())).append("</td><td class=\"num\">")
            .append(Html.esc(f.path("duration_ms").asText())).append("</td><td>").append(Html.esc(f.path("kind").asText()))
            .append("</td><td>").append(Html.esc(f.path("shape").asText(""))).append("</td><td><code>")
            .append(Html.esc(Html.compact(f.path("detail")))).append("</code></td></tr>");
      }
      out.append("</tbody></table></details>");
    }
    out.append("</section>\n");
  }

  private void stories() {
    out.append("<section id=\"stories\"><h2>Stories of the example messages</h2>");
    if (examples.storyIds.isEmpty()) {
      out.append("<p class=\"note\">results.json lists no example messages.</p></section>\n");
      return;
    }
    if (h == null) {
      out.append("<p class=\"note\">No history: stories cannot be told.</p></section>\n");
      return;
    }
    out.append("<p class=\"note\">Every op of each example message, in history order, with the faults active at"
        + " the time. Times are ms since the test began.</p>");
    for (String id : examples.storyIds) {
      List<HistoryScan.Row> rows = h.stories.getOrDefault(id, List.of());
      out.append("<article class=\"story\" id=\"").append(Html.anchor(id)).append("\"><h3>").append(Html.esc(id))
          .append(" <small>").append(Html.esc(String.join("; ", examples.labels.getOrDefault(id, List.of()))))
          .append("</small></h3><p class=\"summary\">").append(Html.esc(Story.summary(id, rows, h.roster, Outcomes.claimsReceipts(system())))).append("</p>");
      if (rows.isEmpty()) {
        out.append("<p class=\"note\">No op of this id in the history.</p></article>");
        continue;
      }
      out.append("<table class=\"ops\"><thead><tr><th>index</th><th>time (ms)</th><th>process</th><th>type</th>")
          .append("<th>f</th><th>node</th><th>value</th><th>error</th><th>faults active</th></tr></thead><tbody>");
      for (HistoryScan.Row r : rows) {
        out.append("<tr class=\"t-").append(Html.esc(r.type())).append(" f-").append(Html.esc(r.f()))
            .append("\"><td class=\"num\">").append(r.index()).append("</td><td class=\"num\">").append(Html.ms(r.time()))
            .append("</td><td>").append(Html.esc(r.process())).append("</td><td>").append(Html.esc(r.type()))
            .append("</td><td>").append(Html.esc(r.f())).append("</td><td>").append(Html.esc(r.node()))
            .append("</td><td><code>").append(Html.esc(Html.compact(r.value()))).append("</code></td><td>")
            .append(Html.esc(r.error())).append("</td><td>").append(Html.esc(String.join(", ", h.activeAt(r.time()))))
            .append("</td></tr>");
      }
      Long more = h.storyOverflow.get(id);
      if (more != null) {
        out.append("<tr><td colspan=\"9\">... ").append(more).append(" more ops of ").append(Html.esc(id))
            .append(" in history.jsonl</td></tr>");
      }
      out.append("</tbody></table></article>\n");
    }
    out.append("</section>\n");
  }

  /** The {@code deliverycheck test} command line that repeats this run, from test.json; null without one. */
  static String reproduce(JsonNode t) {
    if (!t.path("seed").isIntegralNumber()) return null;
    StringBuilder b = new StringBuilder("bin/deliverycheck test");
    flag(b, "name", t.path("name"));
    flag(b, "env", t.path("env"));
    flag(b, "nodes", t.path("nodes").isArray() ? t.path("nodes").size() : t.path("nodes"));
    flag(b, "guarantee", t.path("guarantee"));
    flag(b, "workload", t.path("workload"));
    if (t.path("nemesis").isArray()) {
      List<String> n = new ArrayList<>();
      t.path("nemesis").forEach(x -> n.add(x.asText()));
      b.append(" --nemesis ").append(n.isEmpty() ? "none" : String.join(",", n));
    }
    flag(b, "time-limit", t.path("time_limit_s"));
    flag(b, "rate", t.path("rate"));
    flag(b, "users", t.path("users"));
    flag(b, "devices-per-user", t.path("devices_per_user"));
    t.path("bugs").forEach(x -> b.append(" --bug ").append(x.asText()));
    flag(b, "seed", t.path("seed"));
    return b.toString();
  }

  private static void flag(StringBuilder b, String name, Object v) {
    if (v instanceof Integer i) {
      b.append(" --").append(name).append(' ').append(i);
      return;
    }
    JsonNode n = (JsonNode) v;
    if (n.isMissingNode() || n.isNull() || n.isContainerNode()) return;
    String s = n.isFloatingPointNumber() && n.asDouble() == Math.rint(n.asDouble()) ? Long.toString((long) n.asDouble()) : n.asText();
    b.append(" --").append(name).append(' ').append(s.matches("[A-Za-z0-9._,:/=-]+") ? s : "'" + s.replace("'", "'\\''") + "'");
  }

  private void files() {
    out.append("<footer><h2>Files</h2><p>");
    for (String f : List.of("history.jsonl", "history.jsonl.gz", "history.edn", "history.edn.gz", "results.json", "faults.json", "test.json",
        "metrics.jsonl", "logs")) {
      if (java.nio.file.Files.exists(run.dir.resolve(f))) {
        out.append("<a href=\"").append(Html.esc(f)).append(f.equals("logs") ? "/" : "").append("\">")
            .append(Html.esc(f)).append("</a> ");
      }
    }
    out.append("</p>");
    String repro = reproduce(run.test);
    if (repro != null) {
      out.append("<p class=\"note\">Reproduce (same seed, same fault plan): <code>").append(Html.esc(repro)).append("</code></p>");
    }
    out.append("<p class=\"note\">Re-check: <code>bin/deliverycheck check ")
        .append(Html.esc(run.history != null ? run.history.toString() : run.dir.resolve("history.jsonl").toString())).append(" --guarantee ")
        .append(Html.esc(run.guarantee() == null ? "exactly-once" : run.guarantee()))
        .append("</code>. Generated by deliverycheck from the run folder alone.</p></footer>\n");
  }
}
