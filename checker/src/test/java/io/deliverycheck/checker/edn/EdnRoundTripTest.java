package io.deliverycheck.checker.edn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deliverycheck.checker.CheckResult;
import io.deliverycheck.checker.DeliveryChecker;
import io.deliverycheck.checker.Guarantee;
import io.deliverycheck.checker.Validity;
import io.deliverycheck.checker.history.HistoryReader;
import io.deliverycheck.checker.history.Op;
import io.deliverycheck.checker.report.TestRuns;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Export to EDN then import gives the same ops and the same verdict. */
class EdnRoundTripTest {
  @TempDir Path tmp;

  @Test
  void exportThenImportGivesTheSameOpsAndVerdict() throws Exception {
    Path run = TestRuns.write(tmp.resolve("run"), 400, 11);
    Path jsonl = run.resolve("history.jsonl");
    Path edn = tmp.resolve("history.edn");
    long n;
    try (Writer w = Files.newBufferedWriter(edn)) {
      n = EdnHistoryWriter.export(jsonl, w, null);
    }
    List<Op> original = new ArrayList<>();
    try (HistoryReader r = HistoryReader.open(jsonl)) {
      for (Op op; (op = r.next()) != null; ) original.add(op);
    }
    List<Op> imported = new ArrayList<>();
    try (EdnHistoryReader r = EdnHistoryReader.open(edn)) {
      for (Op op; (op = r.next()) != null; ) imported.add(op);
    }
    assertEquals(original.size(), n);
    assertEquals(original, imported);

    for (Guarantee g : Guarantee.values()) {
      CheckResult a = check(original, g);
      CheckResult b = check(imported, g);
      assertEquals(a.toJson(), b.toJson(), "same verdict for " + g);
      assertEquals(DeliveryChecker.check(jsonl, g).toJson(), EdnHistoryReader.check(edn, g).toJson(), "check() too, " + g);
    }
    assertEquals(Validity.INVALID, check(imported, Guarantee.EXACTLY_ONCE).valid(), "the fixture loses m7");

    // a run folder holding the EDN history instead gets the same stories in its report
    Path ednRun = Files.createDirectories(tmp.resolve("edn-run"));
    Files.copy(edn, ednRun.resolve("history.edn"));
    Files.copy(run.resolve("results.json"), ednRun.resolve("results.json"));
    String html = Files.readString(io.deliverycheck.checker.report.Report.write(ednRun));
    assertTrue(html.contains("id=\"story-m7\"") && html.contains("u3/phone \u00d70 (never)"), "EDN report tells m7's story");

    String text = Files.readString(edn);
    assertTrue(text.startsWith("{:index 0, :time "), text.substring(0, 80));
    assertTrue(text.contains(":type :invoke, :process 0, :f :send, :value {:id \"m0\", :key \"k0\""));
    assertTrue(text.contains(":process :nemesis, :f :start-partition"));
    assertTrue(text.contains(":process \"d:u2/phone\", :f :receive"));
  }

  private static CheckResult check(List<Op> ops, Guarantee g) {
    DeliveryChecker c = new DeliveryChecker(g);
    ops.forEach(c::accept);
    return c.finish();
  }
}
