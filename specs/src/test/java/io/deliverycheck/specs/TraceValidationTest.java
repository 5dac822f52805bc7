package io.deliverycheck.specs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Trace validation on the histories of specs/traces: a history of the correct protocol is
 * explained by the spec; histories showing a bug or a forbidden outcome are not, unless the
 * mode allows what they show.
 */
class TraceValidationTest {

  static TraceValidator.Result validate(String history, String mode) throws Exception {
    Path dir = Specs.dir();
    HistoryTrace t = HistoryTrace.read(dir.resolve("traces").resolve(history));
    TraceValidator.Result r = new TraceValidator(Tlc.standard(), dir).validate(t, mode, 2, 1, 1, line -> { });
    System.out.println(history + " " + mode + ": " + r.verdict() + " " + r.outcome().errors());
    return r;
  }

  @Test
  void aCorrectHistoryIsExplainedAndTheExplanationIsABehaviour() throws Exception {
    TraceValidator.Result r = validate("ok-exactly-once.jsonl", "exactly-once");
    assertEquals(TraceValidator.Verdict.EXPLAINED, r.verdict());
    assertFalse(r.outcome().trace().isEmpty());
    assertEquals(Integer.toString(r.events()), r.outcome().trace().get(r.outcome().trace().size() - 1).vars().get("i"));
  }

  @Test
  void aGatewayWriteIsDeliveredHistoryIsRejected() throws Exception {
    // "delivered" told before the device applied the message (what --bug gateway-write-is-delivered records)
    assertEquals(TraceValidator.Verdict.NOT_EXPLAINED, validate("bug-gateway-write-is-delivered.jsonl", "exactly-once").verdict());
  }

  @Test
  void aDuplicateEffectIsRejectedInExactlyOnceOnly() throws Exception {
    assertEquals(TraceValidator.Verdict.NOT_EXPLAINED, validate("duplicate-receive.jsonl", "exactly-once").verdict());
    assertEquals(TraceValidator.Verdict.EXPLAINED, validate("duplicate-receive.jsonl", "at-least-once").verdict());
  }

  @Test
  void historiesRecordedFromTheReferenceNodeAreJudgedLikeTheChecker() throws Exception {
    // recorded by `deliverycheck test --env local` (specs/traces/README.md): a correct run, and one
    // with --bug gateway-write-is-delivered that the checker judged INVALID (false_delivered)
    assertEquals(TraceValidator.Verdict.EXPLAINED, validate("real-node-ok.jsonl", "exactly-once").verdict());
    assertEquals(TraceValidator.Verdict.NOT_EXPLAINED,
        validate("real-node-bug-gateway-write-is-delivered.jsonl", "exactly-once").verdict());
  }

  @Test
  void diagnosisFindsTheFirstUnexplainedEvent() throws Exception {
    Path dir = Specs.dir();
    HistoryTrace t = HistoryTrace.read(dir.resolve("traces/duplicate-receive.jsonl"));
    TraceValidator.Result r = new TraceValidator(Tlc.standard(), dir).diagnose(t, "exactly-once", 2, 1, 1, l -> { });
    assertEquals(TraceValidator.Verdict.NOT_EXPLAINED, r.verdict());
    assertEquals(4, r.explained());
    assertEquals("receive", t.events().get(4).kind());
    assertEquals(6, t.events().get(4).line());
  }

  @Test
  @Tag("slow")
  void aLossAfterDrainedIsRejectedExceptInAtMostOnce() throws Exception {
    assertEquals(TraceValidator.Verdict.NOT_EXPLAINED, validate("lost-after-drained.jsonl", "exactly-once").verdict());
    assertEquals(TraceValidator.Verdict.EXPLAINED, validate("lost-after-drained.jsonl", "at-most-once").verdict());
  }
}
