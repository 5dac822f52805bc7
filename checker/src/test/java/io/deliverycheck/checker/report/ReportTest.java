package io.deliverycheck.checker.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTest {
  @TempDir Path tmp;

  @Test
  void reportTellsVerdictOutcomesStoriesAndFaults() throws IOException {
    Path run = TestRuns.write(tmp.resolve("run"), 300, 42);
    Path report = Report.write(run);
    assertEquals(run.resolve("report.html"), report);
    String html = Files.readString(report);
    assertTrue(html.contains("data-verdict=\"invalid\""), "verdict banner");
    assertTrue(html.contains("Forbidden outcomes found: <b>lost, duplicated</b>"));
    assertTrue(html.contains("exactly-once forbids losing"), "what the guarantee forbids");
    assertTrue(html.contains("id=\"story-m7\""), "story of the lost message");
    assertTrue(html.contains("id=\"story-m12\""), "story of the duplicated message");
    assertTrue(html.contains("u2/phone \u00d72"), "the duplicate is visible in m12's summary");
    assertTrue(html.contains("u3/phone \u00d70 (never)"), "the lost device is named in m7's summary");
    assertTrue(html.contains("start-partition") && html.contains("restart"), "fault timeline");
    assertFalse(html.contains("src=\"http"), "no external scripts");
    assertFalse(html.contains("<script src"), "self-contained");
    assertTrue(html.length() > 700_000, "vega inlined");
  }

  @Test
  void aContractV2RunShowsTheClaimsTheHarnessErrorsAndTheNewOutcomes() throws Exception {
    Path run = TestRuns.writeV2(tmp.resolve("run"), 300, 42);
    String html = Files.readString(Report.write(run));
    assertTrue(html.contains("(from system op)"), "the guarantee's source");
    assertTrue(html.contains("id=\"claims\""), "the claims next to the verdict");
    for (String claim : List.of("<dt>system</dt><dd>reference-node</dd>", "<dt>version</dt><dd>0.9</dd>",
        "<dt>claims guarantee</dt><dd>exactly-once</dd>", "<dt>receipts</dt><dd>true</dd>",
        "<dt>order</dt><dd>per-sender</dd>", "<dt>settings</dt><dd>{&quot;ack_timeout_ms&quot;:2000")) {
      assertTrue(html.contains(claim), claim);
    }
    assertTrue(html.contains("The system claims receipts"), "what the claims forbid");
    assertTrue(html.contains("id=\"harness-errors\"") && html.contains("2 harness error(s)"), "harness errors");
    assertTrue(html.contains("<b>start-delay</b>: tc: netem not available"), "the failing step of the nemesis");
    assertTrue(html.contains("<b>node</b>: n3 never became healthy"), "the failing step of the harness");
    assertTrue(html.contains("data-outcome=\"unresolved\""), "unresolved row");
    assertTrue(html.contains("data-outcome=\"reordered\""), "reordered row");
    assertTrue(html.contains("forbidden (receipts claimed) <b class=\"bad\">&#x2717; violated</b>"), "unresolved violated");
    assertTrue(html.contains("the sender was never told delivered, read or failed for u3/phone"), "m7's story: unresolved");
    assertTrue(html.contains("drained (healed)"), "healed drain in the header");
    HistoryScan h = HistoryScan.scan(run.resolve("history.jsonl"), Set.of());
    assertEquals(List.of("partition", "kill"), h.windows.stream().map(HistoryScan.Window::kind).toList(),
        "the delay that was never applied opens no fault window");
    assertEquals(2, h.harnessErrorCount);
  }

  @Test
  void storiesHoldEveryOpOfTheExampleIdOnly() throws IOException {
    Path run = TestRuns.write(tmp.resolve("run"), 100, 7);
    HistoryScan h = HistoryScan.scan(run.resolve("history.jsonl"), Set.of("m12"));
    var rows = h.stories.get("m12");
    // invoke + ok send, accepted receipt, then per device: receives (2 on phone), ack pairs, delivered receipt
    assertEquals(2, rows.stream().filter(r -> r.f().equals("send")).count());
    assertEquals(3, rows.stream().filter(r -> r.f().equals("receive")).count());
    assertTrue(rows.stream().allMatch(r -> "m12".equals(r.value().path("id").asText())));
    assertEquals(2, h.windows.size());
    assertEquals("partition", h.windows.get(0).kind());
    assertEquals("kill", h.windows.get(1).kind());
    assertTrue(h.drained);
  }

  @Test
  void latencySamplingIsBounded() throws IOException {
    Path run = TestRuns.write(tmp.resolve("run"), 12_000, 3);
    HistoryScan h = HistoryScan.scan(run.resolve("history.jsonl"), Set.of());
    assertTrue(h.sampleMask > 0, "sampling engaged: " + h.sampleRate());
    assertTrue(h.acceptPoints.size() <= 3 * HistoryScan.MAX_SAMPLED_IDS, "accept points " + h.acceptPoints.size());
    assertTrue(h.acceptPoints.size() > HistoryScan.MAX_SAMPLED_IDS / 4, "enough accept points");
    assertFalse(h.deliveryPoints.isEmpty());
  }

  @Test
  void downsamplerKeepsEvenlySpacedBoundedPoints() {
    Downsampler<Integer> d = new Downsampler<>(100);
    for (int i = 0; i < 10_000; i++) d.offer(i);
    assertTrue(d.points().size() <= 100 && d.points().size() >= 50, "size " + d.points().size());
    int step = d.points().get(1) - d.points().get(0);
    for (int i = 1; i < d.points().size(); i++) assertEquals(step, d.points().get(i) - d.points().get(i - 1));
  }

  @Test
  void aRunWithoutFilesStillGetsAReportSayingWhatIsMissing() throws IOException {
    Path run = Files.createDirectories(tmp.resolve("empty"));
    String html = Files.readString(Report.write(run));
    assertTrue(html.contains("data-verdict=\"not checked\""));
    assertTrue(html.contains("results.json is missing"));
    assertTrue(html.contains("no history.jsonl"));
  }

  @Test
  void aMissingFolderIsAnError() {
    IOException e = assertThrows(IOException.class, () -> Report.write(tmp.resolve("nope")));
    assertTrue(e.getMessage().contains("not a run folder"));
  }
}
