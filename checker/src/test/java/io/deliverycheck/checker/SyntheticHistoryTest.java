package io.deliverycheck.checker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deliverycheck.checker.history.HistoryReader;
import io.deliverycheck.checker.history.Op;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Randomized: histories generated from a seed with known numbers of planted losses, duplicates,
 * unexpected and misrouted receives, reordered and unresolved triples and harness errors, with or
 * without a system op claiming receipts and order, drained healed or not; the checker must find
 * exactly those counts and the verdict they imply, by both paths.
 */
class SyntheticHistoryTest {
  @TempDir Path dir;

  static long[] seeds() {
    long[] s = new long[50];
    for (int i = 0; i < s.length; i++) {
      s[i] = 1000 + i;
    }
    return s;
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void theCheckerFindsExactlyWhatWasPlanted(long seed) throws Exception {
    SplittableRandom r = new SplittableRandom(seed);
    SyntheticHistory.Config c = new SyntheticHistory.Config(seed, 1500 + r.nextInt(3000),
        5 + r.nextInt(30), 1 + r.nextInt(5), r.nextInt(6), r.nextInt(6), r.nextInt(4), r.nextInt(4),
        r.nextInt(5) != 0, r.nextInt(4), r.nextInt(4), r.nextInt(3), r.nextInt(6) != 0, r.nextBoolean());
    Path f = dir.resolve(seed % 2 == 0 ? "history.jsonl" : "history.jsonl.gz");
    SyntheticHistory.Expected e = SyntheticHistory.write(f, c);
    String why = "seed " + seed + " (" + c + "): ";
    // the generator planted exactly what was asked (so the checks below are not vacuous)
    assertEquals(c.lost(), e.lost(), why + "planted lost");
    assertEquals(c.duplicated(), e.duplicated(), why + "planted duplicated");
    assertEquals(c.unexpected(), e.unexpected(), why + "planted unexpected");
    assertEquals(c.misrouted(), e.misrouted(), why + "planted misrouted");
    assertEquals(c.reordered(), e.reordered(), why + "planted reordered");
    assertEquals(c.harnessErrors(), e.harnessErrors(), why + "planted harness errors");
    assertTrue(e.unresolved() >= c.unresolved(), why + "planted unresolved");
    boolean judged = c.drained() && c.healed();
    CheckResult res = DeliveryChecker.check(f, Guarantee.EXACTLY_ONCE);
    assertEquals(e.ops(), res.count("ops"), why + "ops");
    assertEquals(e.sent(), res.count("sent"), why + "sent");
    assertEquals(e.sentOk(), res.count("sent_ok"), why + "sent_ok");
    assertEquals(e.sentFail(), res.count("sent_fail"), why + "sent_fail");
    assertEquals(e.sentInfo(), res.count("sent_info"), why + "sent_info");
    assertEquals(e.owed(), res.count("owed"), why + "owed");
    assertEquals(e.delivered(), res.count("delivered"), why + "delivered");
    assertEquals(judged ? e.lost() : 0, res.count("lost"), why + "lost");
    assertEquals(judged ? 0 : e.lost(), res.count("undelivered"), why + "undelivered");
    assertEquals(e.reordered(), res.count("reordered"), why + "reordered");
    assertEquals(judged ? e.unresolved() : 0, res.count("unresolved"), why + "unresolved");
    assertEquals(e.harnessErrors(), res.count("harness_errors"), why + "harness_errors");
    assertEquals(e.receiptsFailed(), res.count("receipts_failed"), why + "receipts_failed");
    assertEquals(e.duplicated(), res.count("duplicated"), why + "duplicated");
    assertEquals(e.unexpected(), res.count("unexpected"), why + "unexpected");
    assertEquals(e.misrouted(), res.count("misrouted"), why + "misrouted");
    assertEquals(e.recovered(), res.count("recovered"), why + "recovered");
    assertEquals(0, res.count("resurrected"), why + "resurrected");
    assertEquals(0, res.count("false_delivered") + res.count("read_before_delivered") + res.count("regressed"),
        why + "receipt anomalies");
    boolean forbidden = judged && e.lost() > 0 || e.duplicated() + e.unexpected() + e.misrouted() > 0
        || c.system() && (e.reordered() > 0 || judged && e.unresolved() > 0);
    Validity expected = forbidden ? Validity.INVALID : judged && e.sentOk() > 0 ? Validity.VALID : Validity.UNKNOWN;
    assertEquals(expected, res.valid(), why + "verdict");

    DeliveryChecker slow = new DeliveryChecker(Guarantee.EXACTLY_ONCE);
    try (HistoryReader hr = HistoryReader.open(f)) {
      for (Op op; (op = hr.next()) != null; ) {
        slow.accept(op);
      }
    }
    assertEquals(res.toJson(), slow.finish().toJson(), why + "the two paths disagree");
  }
}
