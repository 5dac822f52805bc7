package io.deliverycheck.specs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Trace validation on the histories of specs/traces: a history of the correct protocol is
 * explained by the spec; histories showing a bug or a forbidden outcome are not, unless the
 * mode allows what they show, and the first step the spec cannot explain is named.
 */
class TraceValidationTest {

  static TraceValidator.Result validate(String history, String mode) throws Exception {
    return validate(HistoryTrace.read(Specs.dir().resolve("traces").resolve(history)), mode, false);
  }

  static TraceValidator.Result validate(HistoryTrace t, String mode, boolean resolve) throws Exception {
    TraceValidator.Result r = new TraceValidator(Tlc.standard(), Specs.dir())
        .validate(t, new TraceValidator.Bounds(mode, 2, 2, resolve), 2, line -> { });
    System.out.println(t.file() + " " + mode + ": " + r.verdict() + " " + r.errors() + " " + r.failures());
    return r;
  }

  @Test
  void aCorrectHistoryIsExplainedAndTheExplanationIsABehaviour() throws Exception {
    HistoryTrace t = HistoryTrace.read(Specs.dir().resolve("traces/ok-exactly-once.jsonl"));
    TraceValidator.Result r = validate(t, "exactly-once", false);
    assertEquals(TraceValidator.Verdict.EXPLAINED, r.verdict());
    assertEquals(2, r.parts());
    assertEquals(2, r.runs(), "one TLC run per number of sends (1 and 2), all at the first bounds");
    TlcOutcome o = new TraceValidator(Tlc.standard(), Specs.dir())
        .explain(t, t.parts().get(0), new TraceValidator.Bounds("exactly-once", 2, 2, false), line -> { });
    assertFalse(o.trace().isEmpty());
    TraceState end = o.trace().get(o.trace().size() - 1);
    assertEquals(Integer.toString(t.parts().get(0).events().size()), end.vars().get("i"));
  }

  @Test
  void aGatewayWriteIsDeliveredHistoryIsRejectedAtTheReceipt() throws Exception {
    // "delivered" told before the device applied the message (what --bug gateway-write-is-delivered records)
    TraceValidator.Result r = validate("bug-gateway-write-is-delivered.jsonl", "exactly-once");
    assertEquals(TraceValidator.Verdict.NOT_EXPLAINED, r.verdict());
    HistoryTrace.Event e = r.failures().get(0).event();
    assertEquals(5, e.line());
    assertEquals("receipt delivered of m1 for u2/phone", e.describe());
  }

  @Test
  void aDuplicateEffectIsRejectedInExactlyOnceOnly() throws Exception {
    TraceValidator.Result r = validate("duplicate-receive.jsonl", "exactly-once");
    assertEquals(TraceValidator.Verdict.NOT_EXPLAINED, r.verdict());
    assertEquals(6, r.failures().get(0).event().line());
    assertEquals(4, r.failures().get(0).explained());
    assertEquals(TraceValidator.Verdict.EXPLAINED, validate("duplicate-receive.jsonl", "at-least-once").verdict());
  }

  @Test
  void aLossAfterDrainedIsRejectedAtTheEndExceptInAtMostOnce() throws Exception {
    TraceValidator.Result r = validate("lost-after-drained.jsonl", "exactly-once");
    assertEquals(TraceValidator.Verdict.NOT_EXPLAINED, r.verdict());
    assertNull(r.failures().get(0).event(), "every event is explained, the end is not");
    assertEquals("m2", r.failures().get(0).part().message());
    assertEquals(TraceValidator.Verdict.EXPLAINED, validate("lost-after-drained.jsonl", "at-most-once").verdict());
  }

  @Test
  void historiesRecordedFromTheReferenceNodeAreJudgedLikeTheChecker() throws Exception {
    // recorded by `deliverycheck test --env local` (specs/traces/README.md): a correct run, and one
    // with --bug gateway-write-is-delivered that the checker judged INVALID (false_delivered)
    assertEquals(TraceValidator.Verdict.EXPLAINED, validate("real-node-ok.jsonl", "exactly-once").verdict());
    assertEquals(TraceValidator.Verdict.EXPLAINED, validate("real-fake-cluster-ok.jsonl", "exactly-once").verdict());
    TraceValidator.Result bug = validate("real-node-bug-gateway-write-is-delivered.jsonl", "exactly-once");
    assertEquals(TraceValidator.Verdict.NOT_EXPLAINED, bug.verdict());
    assertEquals(5, bug.failures().get(0).event().line());
  }

  @Test
  void misroutedUnexpectedAndUnresolvedAreNotExplained(@TempDir Path dir) throws Exception {
    String roster = HistoryTraceTest.roster;
    String send = HistoryTraceTest.op(1, "c1", "invoke", "send", "{\"id\":\"m1\",\"key\":\"k1\",\"from\":\"u1\",\"to\":[\"u1\"],\"attempt\":1}")
        + HistoryTraceTest.op(2, "c1", "ok", "send", "{\"id\":\"m1\",\"key\":\"k1\",\"from\":\"u1\",\"to\":[\"u1\"],\"attempt\":1}")
        + HistoryTraceTest.op(3, "d:u1/phone", "ok", "receive", "{\"id\":\"m1\",\"recipient\":\"u1\",\"device\":\"phone\"}");
    // m1 is owed to u1/phone only; u2/phone applies it too (misrouted), and m7 was never sent (unexpected)
    Path h = Files.writeString(dir.resolve("h.jsonl"), roster + send
        + HistoryTraceTest.op(4, "d:u2/phone", "ok", "receive", "{\"id\":\"m1\",\"recipient\":\"u2\",\"device\":\"phone\"}")
        + HistoryTraceTest.op(5, "d:u2/phone", "ok", "receive", "{\"id\":\"m7\",\"recipient\":\"u2\",\"device\":\"phone\"}")
        + HistoryTraceTest.op(6, "harness", "info", "drained", "{\"quiet_ms\":1,\"healed\":true}"));
    TraceValidator.Result r = validate(HistoryTrace.read(h), "exactly-once", false);
    assertEquals(TraceValidator.Verdict.NOT_EXPLAINED, r.verdict());
    assertEquals(2, r.failures().size());
    assertEquals(5, r.failures().get(0).event().line());
    assertEquals(6, r.failures().get(1).event().line());
    // receipts claimed: m1 on u1/phone got no delivered, read or failed receipt by the healed drained
    Path u = Files.writeString(dir.resolve("u.jsonl"), roster + send
        + HistoryTraceTest.op(4, "harness", "info", "drained", "{\"quiet_ms\":1,\"healed\":true}"));
    assertEquals(TraceValidator.Verdict.EXPLAINED, validate(HistoryTrace.read(u), "exactly-once", false).verdict());
    TraceValidator.Result unresolved = validate(HistoryTrace.read(u), "exactly-once", true);
    assertEquals(TraceValidator.Verdict.NOT_EXPLAINED, unresolved.verdict());
    assertNull(unresolved.failures().get(0).event());
    assertEquals(TraceValidator.Verdict.EXPLAINED, validate(HistoryTrace.read(u), "at-most-once", true).verdict());
  }
}
