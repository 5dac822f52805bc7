package io.deliverycheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs a two-entry suite end to end on the in-process fake cluster ({@code --env fake}), each
 * entry in its own child JVM: one expectation met, one not; checks the exit code, the JUnit XML,
 * the reports and the results index. About 20 s.
 */
class SuiteRunTest {
  @TempDir Path tmp;

  @Test
  void aSuiteRunsEachEntryAndFailsOnAnUnmetExpectation() throws Exception {
    Path suite = tmp.resolve("mini.json");
    Files.writeString(suite, """
        {"name": "mini", "defaults": {"env": "fake", "time-limit": 3, "nemesis": "none", "quiet-period": 1},
         "timeout_s": 120,
         "tests": [{"name": "fine", "flags": {"seed": 1}, "expect": "valid"},
                   {"name": "wrong", "flags": {"seed": 2}, "expect": "invalid", "outcomes": ["lost"]}]}
        """);
    Path results = tmp.resolve("results");
    Path xml = tmp.resolve("junit.xml");
    int exit = Main.commandLine().execute("suite", suite.toString(), "--results", results.toString(),
        "--junit-xml", xml.toString(), "--quiet");
    assertEquals(1, exit, "one entry differs from its expectation");
    String junit = Files.readString(xml);
    assertTrue(junit.contains("tests=\"2\"") && junit.contains("failures=\"1\""), junit);
    assertTrue(junit.contains("expected invalid with [lost], got valid"), junit);
    assertTrue(Files.isRegularFile(results.resolve("index.html")));
    try (var runs = Files.list(results.resolve("fine"))) {
      Path run = runs.filter(p -> !Files.isSymbolicLink(p)).findFirst().orElseThrow();
      assertTrue(Files.isRegularFile(run.resolve("report.html")), "the suite makes each run's report");
    }
  }
}
