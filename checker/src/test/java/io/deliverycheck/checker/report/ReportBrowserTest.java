package io.deliverycheck.checker.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opens a generated report in headless Chromium (Debian's package, /usr/bin/chromium; .ci/run
 * installs it) and checks what a reader sees: the verdict, and that every plot drew SVG marks from
 * its data. Keeps a screenshot in the run folder (report.png). Skipped when Chromium is absent,
 * except under CI ({@code CI=true}), where a missing Chromium fails it.
 */
@Tag("browser")
class ReportBrowserTest {
  @TempDir Path tmp;

  @BeforeEach
  void needsChromium() {
    if (Chromium.required()) {
      assertTrue(Chromium.available(), "CI=true: " + Chromium.BINARY + " must be installed (apt-get install -y chromium)");
    }
    assumeTrue(Chromium.available(), "skipped: " + Chromium.BINARY + " is absent (apt-get install -y chromium)");
  }

  @Test
  void everyPlotRendersItsDataAndTheVerdictShows() throws Exception {
    Path run = TestRuns.writeV2(tmp.resolve("results/fixture/20261122T050000"), 600, 42);
    Path report = Report.write(run);
    Path work = Files.createDirectories(tmp.resolve("browser"));
    String dom = Chromium.dumpDom(report, work);

    assertTrue(dom.contains("data-verdict=\"invalid\""), "verdict in the DOM");
    assertTrue(dom.contains(">INVALID<"), "verdict text shown");
    assertTrue(dom.contains("id=\"claims\""), "the system op's claims next to the verdict");
    assertTrue(dom.contains("id=\"harness-errors\""), "the harness errors");
    assertTrue(dom.contains("data-outcome=\"unresolved\"") && dom.contains("data-outcome=\"reordered\""),
        "the contract v2 outcomes");
    Matcher m = Pattern.compile("<div class=\"plot\" id=\"plot-([^\"]+)\"[^>]*>").matcher(dom);
    int plots = 0;
    while (m.find()) {
      plots++;
      String tag = m.group();
      String name = m.group(1);
      assertEquals("true", attr(tag, "data-rendered"), name + " rendered: " + tag);
      int points = Integer.parseInt(attr(tag, "data-points"));
      int marks = Integer.parseInt(attr(tag, "data-marks"));
      assertTrue(points > 0, name + " has data");
      assertTrue(marks > 0, name + " drew marks");
      int svgAt = dom.indexOf("<svg", m.end());
      assertTrue(svgAt > 0 && svgAt < dom.indexOf("</figure>", m.end()), name + " holds an SVG");
    }
    assertEquals(3 + MetricsScan.METRICS.size(), plots, "accept, delivery, throughput and the metrics plots");
    // the latency plots draw one symbol per sampled point (plus legend symbols)
    assertTrue(marksOf(dom, "accept") >= pointsOf(dom, "accept"), "one mark per accept point");

    Path png = run.resolve("report.png");
    Chromium.screenshot(report, png, work, 1300, 2600);
    assertTrue(Files.size(png) > 50_000, "a screenshot with content: " + png);
    // keep a copy past the temp folder, for a person to look at after the build
    Path kept = Path.of("target", "report-screenshots");
    Files.createDirectories(kept);
    Files.copy(png, kept.resolve("report.png"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  private static String attr(String tag, String name) {
    Matcher m = Pattern.compile(name + "=\"([^\"]*)\"").matcher(tag);
    return m.find() ? m.group(1) : "";
  }

  private static int marksOf(String dom, String plot) {
    return Integer.parseInt(attr(tagOf(dom, plot), "data-marks"));
  }

  private static int pointsOf(String dom, String plot) {
    return Integer.parseInt(attr(tagOf(dom, plot), "data-points"));
  }

  private static String tagOf(String dom, String plot) {
    int at = dom.indexOf("id=\"plot-" + plot + "\"");
    return dom.substring(dom.lastIndexOf('<', at), dom.indexOf('>', at) + 1);
  }
}
