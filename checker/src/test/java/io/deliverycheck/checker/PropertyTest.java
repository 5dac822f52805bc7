package io.deliverycheck.checker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.edn.EdnHistoryReader;
import io.deliverycheck.checker.edn.EdnHistoryWriter;
import io.deliverycheck.checker.history.HistoryReader;
import io.deliverycheck.checker.history.HistoryWriter;
import io.deliverycheck.checker.history.Op;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Property tests over random histories (RandomHistory, seeds printed in every failure): the fast
 * path (the byte scanner), the Jackson reader alone, the same file with its keys in random orders, HistoryReader + accept, and an EDN round
 * trip all write the same results.json; and every count, the violations and the verdict equal
 * those of a naive second reading of HISTORY.md (Oracle). The seeds together must produce every
 * outcome and every verdict, so the agreement is not vacuous.
 */
class PropertyTest {
  private static final long FIRST_SEED = 9_000;
  private static final int SEEDS = 600;

  @TempDir Path dir;

  @Test
  void everyReadPathAgreesWithTheOracleOnEveryCountAndVerdict() throws Exception {
    Map<String, Integer> seen = new TreeMap<>();
    for (long seed = FIRST_SEED; seed < FIRST_SEED + SEEDS; seed++) {
      List<Op> ops = RandomHistory.generate(seed);
      SplittableRandom r = new SplittableRandom(seed * 31);
      Guarantee g = Guarantee.values()[r.nextInt(3)];
      GuaranteeChoice choice = r.nextInt(3) == 0 ? GuaranteeChoice.explicit(g, "--guarantee")
          : GuaranteeChoice.fromHistory(g, "test.json");
      String why = "seed " + seed + " (" + choice + ")";

      Path plain = dir.resolve("history.jsonl");
      try (HistoryWriter w = HistoryWriter.open(plain)) {
        for (Op op : ops) {
          w.write(op);
        }
      }
      Path shuffled = ShuffledJson.write(ops, dir.resolve("shuffled.jsonl"), seed);
      Path edn = dir.resolve("history.edn");
      try (Writer w = Files.newBufferedWriter(edn)) {
        EdnHistoryWriter.export(plain, w, null);
      }

      CheckResult fast = DeliveryChecker.check(plain, choice);
      ObjectNode json = fast.toJson();
      assertEquals(json, DeliveryChecker.check(shuffled, choice).toJson(), why + ": keys in another order");
      assertEquals(json, new DeliveryChecker(choice).checkFileJackson(plain).toJson(), why + ": the Jackson reader alone");
      DeliveryChecker slow = new DeliveryChecker(choice);
      try (HistoryReader hr = HistoryReader.open(shuffled)) {
        for (Op op; (op = hr.next()) != null; ) {
          slow.accept(op);
        }
      }
      assertEquals(json, slow.finish().toJson(), why + ": HistoryReader + accept");
      assertEquals(json, EdnHistoryReader.check(edn, choice).toJson(), why + ": EDN round trip");

      Oracle.Verdict o = Oracle.judge(ops, choice);
      o.counts().forEach((k, v) -> assertEquals(v, fast.count(k), why + ": " + k + " in " + json));
      assertEquals(o.violations(), fast.violations(), why + ": violations in " + json);
      assertEquals(o.valid(), fast.valid(), why + ": verdict in " + json);
      assertEquals(o.guarantee(), fast.guarantee(), why + ": guarantee");
      assertEquals(o.loss(), fast.loss(), why + ": loss");

      for (String k : DeliveryChecker.OUTCOMES) {
        if (fast.count(k) > 0) {
          seen.merge(k, 1, Integer::sum);
        }
      }
      if (fast.count("harness_errors") > 0) {
        seen.merge("harness_errors", 1, Integer::sum);
      }
      seen.merge("verdict " + fast.valid(), 1, Integer::sum);
      fast.violations().forEach(v -> seen.merge("violation " + v, 1, Integer::sum));
      seen.merge("source " + fast.guaranteeSource(), 1, Integer::sum);
      seen.merge("loss " + fast.loss(), 1, Integer::sum);
    }
    System.out.println("property test coverage over " + SEEDS + " seeds: " + seen);
    for (String k : DeliveryChecker.OUTCOMES) {
      assertTrue(seen.getOrDefault(k, 0) >= 3, "outcome " + k + " came up in fewer than 3 seeds: " + seen);
    }
    for (String k : List.of("harness_errors", "verdict VALID", "verdict INVALID", "verdict UNKNOWN",
        "violation unresolved", "violation reordered", "source system op", "source test.json", "source --guarantee",
        "loss judged", "loss unknown")) {
      assertTrue(seen.getOrDefault(k, 0) >= 3, k + " came up in fewer than 3 seeds: " + seen);
    }
  }
}
