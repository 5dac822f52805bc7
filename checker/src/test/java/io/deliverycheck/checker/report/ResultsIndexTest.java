package io.deliverycheck.checker.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResultsIndexTest {
  @TempDir Path tmp;

  @Test
  void listsEveryRunNewestFirstWithLinks() throws Exception {
    Path results = tmp.resolve("results");
    Path older = TestRuns.write(results.resolve("alpha/20261121T100000"), 50, 1);
    Path newer = TestRuns.write(results.resolve("beta/20261122T100000"), 50, 2);
    Report.write(newer);
    Files.createSymbolicLink(results.resolve("beta/latest"), Path.of("20261122T100000"));
    Files.createDirectories(results.resolve("alpha/not-a-run"));
    List<ResultsIndex.Entry> runs = ResultsIndex.scan(results);
    assertEquals(2, runs.size(), runs.toString());
    assertEquals("fixture", runs.get(0).name());
    assertEquals("20261122T100000", runs.get(0).folder());
    assertEquals("beta/20261122T100000/report.html", runs.get(0).link());
    assertEquals("alpha/20261121T100000/results.json", runs.get(1).link());
    assertEquals("invalid", runs.get(0).verdict());
    assertEquals("exactly-once", runs.get(0).guarantee());
    assertTrue(runs.get(0).durationS() > 1.0);
    String html = Files.readString(ResultsIndex.write(results));
    assertTrue(html.indexOf("20261122T100000") < html.indexOf("20261121T100000"), "newest first");
    assertTrue(html.contains("href=\"beta/20261122T100000/report.html\""));
    assertTrue(older.toFile().isDirectory());
  }
}
