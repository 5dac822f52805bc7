package io.deliverycheck.checker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The two complete examples of docs/history-format.md give the verdicts and output the page shows. */
class DocsExampleTest {
  @TempDir Path dir;

  @Test
  void theExampleOfTheHistoryFormatPageSaysWhatThePageSays() throws Exception {
    Path repo = Path.of(System.getProperty("deliverycheck.repo", ".."));
    List<String> lines = Files.readAllLines(repo.resolve("docs/history-format.md"));
    Path h = example(lines, "## A small complete example", "history.jsonl");

    CheckResult eo = DeliveryChecker.check(h, Guarantee.EXACTLY_ONCE);
    String summary = eo.summary();
    for (String expected : List.of("exactly-once: INVALID (lost, duplicated)", "lost: m1 u2/laptop",
        "duplicated: m1 u2/phone receives=2", "unresolved: m1 u2/laptop; m2 u1/phone",
        "sent 2 messages (ok 2, fail 0, info 0); owed 3 triples, delivered 2; loss judged (drained)")) {
      assertTrue(summary.contains(expected), summary);
      assertTrue(String.join("\n", lines).contains(expected), "the page no longer shows: " + expected);
    }
    assertEquals(1, DeliveryChecker.check(h, Guarantee.AT_LEAST_ONCE).exitCode());
    assertEquals(1, DeliveryChecker.check(h, Guarantee.AT_MOST_ONCE).exitCode());

    Path h2 = example(lines, "## A second example: what the system claims", "claims.jsonl");
    CheckResult claims = DeliveryChecker.check(h2, GuaranteeChoice.fromHistory(null, null));
    String s2 = claims.summary();
    for (String expected : List.of("at-least-once: INVALID (unresolved, reordered)",
        "guarantee from system op; system: rabbitmq-3.13-quorum 3.13.7, claims at-least-once, receipts true,"
            + " order per-sender, settings {\"queue\":\"quorum\",\"confirms\":true}",
        "outcomes: unresolved 1 (forbidden), reordered 1 (forbidden)", "reordered: m1 u2/phone overtaken_by=m2",
        "harness_errors: index=4 process=nemesis f=start-partition error=iptables: permission denied")) {
      assertTrue(s2.contains(expected), s2);
      assertTrue(String.join("\n", lines).contains(expected), "the page no longer shows: " + expected);
    }
  }

  /** The first json block after {@code heading}, written to {@code name}. */
  private Path example(List<String> lines, String heading, String name) throws Exception {
    int start = lines.indexOf(heading);
    assertTrue(start >= 0, heading + ": section missing");
    int open = lines.subList(start, lines.size()).indexOf("```json") + start;
    int close = lines.subList(open + 1, lines.size()).indexOf("```") + open + 1;
    Path h = dir.resolve(name);
    Files.write(h, lines.subList(open + 1, close));
    return h;
  }
}
