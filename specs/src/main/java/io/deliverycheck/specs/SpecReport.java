package io.deliverycheck.specs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The HTML pages of {@code spec check --report}: one page per model whose check found a
 * counterexample, with the counterexample as a message sequence chart
 * ({@link SequenceChart}) and the step-by-step changes under it, and an {@code index.html}
 * listing every model checked. Pages are self-contained (inline SVG and CSS, no script, no
 * network) and each is written to a temporary sibling and then moved into place.
 */
final class SpecReport {
  private SpecReport() {}

  static final String CSS = """
      body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#1f2328;background:#fff}
      h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:26px 0 8px}
      .meta{color:#57606a;margin:0 0 12px} code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace}
      .verdict{display:inline-block;padding:2px 10px;border-radius:12px;font-weight:600;color:#fff}
      .verdict.ok{background:#1a7f37} .verdict.differs{background:#cf222e}
      .property{border-left:4px solid #cf222e;background:#fff5f5;padding:8px 12px;margin:12px 0}
      .chart{overflow-x:auto;border:1px solid #d0d7de;border-radius:6px;padding:6px;background:#fbfbfc}
      svg.msc{font:12px system-ui,sans-serif}
      svg.msc .lane rect{fill:#eef2f7;stroke:#8c959f} svg.msc .lane text{font-weight:600;fill:#24292f}
      svg.msc .lane line{stroke:#afb8c1;stroke-dasharray:4 4}
      svg.msc rect.even{fill:#fff;opacity:0} svg.msc rect.odd{fill:#f3f5f8}
      svg.msc rect.band{fill:#ffebe9;stroke:#cf222e}
      svg.msc .num{fill:#57606a;font-weight:600} svg.msc .action{fill:#8c959f;font-size:10px}
      svg.msc .arrow line,svg.msc .arrow path{stroke:#0969da;stroke-width:1.6;fill:none;color:#0969da}
      svg.msc marker path{fill:#0969da}
      svg.msc .arrow text{fill:#24292f} svg.msc .arrow.dashed line{stroke-dasharray:6 4}
      svg.msc .arrow.fault line,svg.msc .arrow.fault path,svg.msc .arrow.fault-self path{stroke:#bc4c00}
      svg.msc .arrow.fault text,svg.msc .arrow.fault-self text{fill:#953800}
      svg.msc .arrow.lost line{stroke:#cf222e;stroke-dasharray:3 3} svg.msc .arrow.lost text{fill:#a40e26}
      svg.msc .cross{fill:#cf222e;font-size:18px;font-weight:700}
      svg.msc .violation{fill:#a40e26;font-weight:700}
      table{border-collapse:collapse;margin-top:8px} td,th{border-top:1px solid #d0d7de;padding:4px 10px;text-align:left;vertical-align:top}
      tr.breaks td{background:#ffebe9} td.changes{white-space:pre;font:12px ui-monospace,Menlo,monospace}
      .legend span{margin-right:16px}
      """;

  /** The page name of a model. */
  static String page(ModelResult r) {
    return r.model().name() + ".html";
  }

  /** True when the model's check gave a counterexample to draw. */
  static boolean charted(ModelResult r) {
    return !r.outcome().trace().isEmpty() && r.outcome().kind() != TlcOutcome.Kind.ERROR && r.outcome().property() != null;
  }

  /**
   * Writes a page per charted model and the index into {@code dir}.
   *
   * @return the pages written, the index last
   */
  static List<Path> write(Path dir, List<ModelResult> results, String tlcVersion) throws IOException {
    Files.createDirectories(dir);
    List<Path> out = new ArrayList<>();
    for (ModelResult r : results) {
      if (!charted(r)) continue;
      out.add(atomically(dir.resolve(page(r)), modelPage(r, tlcVersion)));
    }
    out.add(atomically(dir.resolve("index.html"), index(results, tlcVersion)));
    return out;
  }

  static String modelPage(ModelResult r, String tlcVersion) {
    TlcOutcome o = r.outcome();
    boolean temporal = o.kind() == TlcOutcome.Kind.TEMPORAL;
    SequenceChart.Chart c = SequenceChart.of(o.trace(), o.property(), temporal);
    String esc = SequenceChart.Html.esc(r.model().name());
    StringBuilder b = new StringBuilder();
    b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(esc)
        .append(": ").append(SequenceChart.Html.esc(o.property())).append(" violated</title>\n<style>").append(CSS)
        .append("</style></head>\n<body data-model=\"").append(esc).append("\" data-property=\"")
        .append(SequenceChart.Html.esc(o.property())).append("\" data-as-expected=\"").append(r.asExpected()).append("\">\n");
    b.append("<h1>").append(esc).append("</h1>\n<p class=\"meta\">").append(SequenceChart.Html.esc(r.model().about()))
        .append("<br>").append("expected <b>").append(SequenceChart.Html.esc(r.model().expect())).append("</b>, TLC found <b>")
        .append(SequenceChart.Html.esc(r.actual())).append("</b> ").append(r.asExpected()
            ? "<span class=\"verdict ok\">as expected</span>" : "<span class=\"verdict differs\">differs from models.json</span>")
        .append(String.format(Locale.ROOT, "<br>%,d distinct states, %.1f s, %s; config <code>%s</code></p>\n",
            o.distinctStates(), r.time().toMillis() / 1000.0, SequenceChart.Html.esc(tlcVersion == null ? "TLC" : tlcVersion),
            SequenceChart.Html.esc(r.model().config())));
    b.append("<div class=\"property\"><b>").append(SequenceChart.Html.esc(o.property())).append("</b>: ")
        .append(SequenceChart.Html.esc(SequenceChart.MEANING.getOrDefault(o.property(), "")))
        .append(temporal ? ". A liveness property: the chart ends where the behaviour stops making progress for good."
            : ". It breaks at step " + (c.steps().isEmpty() ? 1 : c.steps().get(c.steps().size() - 1).number())
                + ", marked in red.")
        .append("</div>\n");
    b.append("<p class=\"legend\"><span>&#8594; a message or a step</span><span>- - &#8594; a push on its way</span>"
        + "<span style=\"color:#bc4c00\">orange: a fault</span><span style=\"color:#cf222e\">&#215; lost</span>"
        + "<span>m1/2: the server message of m1's second send</span>"
        + "<span>hover a row for every variable it changed</span></p>\n");
    b.append("<div class=\"chart\">\n").append(SequenceChart.svg(c)).append("</div>\n");
    b.append("<h2>Step by step</h2>\n<table><tr><th>#</th><th>action</th><th>what changed</th></tr>\n");
    TraceState init = o.trace().get(0);
    List<String> initLines = new ArrayList<>();
    init.vars().forEach((k, v) -> initLines.add(k + " = " + v));
    b.append("<tr><td>1</td><td>Initial predicate</td><td class=\"changes\">")
        .append(SequenceChart.Html.esc(String.join("\n", initLines))).append("</td></tr>\n");
    for (int i = 0; i < c.steps().size(); i++) {
      SequenceChart.Step s = c.steps().get(i);
      boolean breaks = !temporal && i == c.steps().size() - 1;
      b.append("<tr").append(breaks ? " class=\"breaks\"" : "").append("><td>").append(s.number()).append("</td><td>")
          .append(SequenceChart.Html.esc(s.action())).append(breaks ? "<br><b>" + SequenceChart.Html.esc(o.property())
              + " violated</b>" : "").append("</td><td class=\"changes\">")
          .append(SequenceChart.Html.esc(String.join("\n", s.changes()))).append("</td></tr>\n");
    }
    if (temporal) {
      b.append("<tr class=\"breaks\"><td></td><td><b>").append(SequenceChart.Html.esc(o.property()))
          .append(" violated</b></td><td>").append(SequenceChart.Html.esc(c.ending() == null ? "" : c.ending()))
          .append("</td></tr>\n");
    }
    b.append("</table>\n<p class=\"meta\"><a href=\"index.html\">all models</a></p>\n</body></html>\n");
    return b.toString();
  }

  static String index(List<ModelResult> results, String tlcVersion) {
    StringBuilder b = new StringBuilder();
    b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>deliverycheck spec check</title>\n<style>")
        .append(CSS).append("</style></head>\n<body>\n<h1>deliverycheck spec check</h1>\n<p class=\"meta\">")
        .append(results.size()).append(" model(s), ").append(SequenceChart.Html.esc(tlcVersion == null ? "TLC" : tlcVersion))
        .append("</p>\n<table><tr><th>model</th><th>expected</th><th>TLC found</th><th>states</th><th>verdict</th><th>counterexample</th></tr>\n");
    for (ModelResult r : results) {
      String name = SequenceChart.Html.esc(r.model().name());
      b.append("<tr data-model=\"").append(name).append("\"><td>").append(name).append("</td><td>")
          .append(SequenceChart.Html.esc(r.model().expect())).append("</td><td>").append(SequenceChart.Html.esc(r.actual()))
          .append("</td><td>").append(String.format(Locale.ROOT, "%,d", r.outcome().distinctStates())).append("</td><td>")
          .append(r.asExpected() ? "<span class=\"verdict ok\">as expected</span>"
              : "<span class=\"verdict differs\">differs</span>").append("</td><td>")
          .append(charted(r) ? "<a href=\"" + SequenceChart.Html.esc(page(r)) + "\">chart</a>" : "")
          .append("</td></tr>\n");
    }
    b.append("</table>\n</body></html>\n");
    return b.toString();
  }

  private static Path atomically(Path file, String text) throws IOException {
    Path tmp = Files.createTempFile(file.getParent(), "." + file.getFileName(), ".tmp");
    try {
      Files.writeString(tmp, text, StandardCharsets.UTF_8);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
    return file;
  }
}
