package io.deliverycheck.checker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The complete example of docs/history-format.md gives the verdicts and output the page shows. */
class DocsExampleTest {
  @TempDir Path dir;

  @Test
  void theExampleOfTheHistoryFormatPageSaysWhatThePageSays() throws Exception {
    Path repo = Path.of(System.getProperty("deliverycheck.repo", ".."));
    List<String> lines = Files.readAllLines(repo.resolve("docs/history-format.md"));
    int start = lines.indexOf("## A small complete example");
    assertTrue(start >= 0, "example section missing");
    int open = lines.subList(start, lines.size()).indexOf("```json") + start;
    int close = lines.subList(open + 1, lines.size()).indexOf("```") + open + 1;
    Path h = dir.resolve("history.jsonl");
    Files.write(h, lines.subList(open + 1, close));

    CheckResult eo = DeliveryChecker.check(h, Guarantee.EXACTLY_ONCE);
    String summary = eo.summary();
    for (String expected : List.of("exactly-once: INVALID (lost, duplicated)", "lost: m1 u2/laptop",
        "duplicated: m1 u2/phone receives=2",
        "sent 2 messages (ok 2, fail 0, info 0); owed 3 triples, delivered 2; loss judged (drained)")) {
      assertTrue(summary.contains(expected), summary);
      assertTrue(String.join("\n", lines).contains(expected), "the page no longer shows: " + expected);
    }
    assertEquals(1, DeliveryChecker.check(h, Guarantee.AT_LEAST_ONCE).exitCode());
    assertEquals(1, DeliveryChecker.check(h, Guarantee.AT_MOST_ONCE).exitCode());
  }
}
