package io.deliverycheck.checker;

import static io.deliverycheck.checker.Guarantee.AT_LEAST_ONCE;
import static io.deliverycheck.checker.Guarantee.AT_MOST_ONCE;
import static io.deliverycheck.checker.Guarantee.EXACTLY_ONCE;
import static io.deliverycheck.checker.H.history;
import static io.deliverycheck.checker.Validity.INVALID;
import static io.deliverycheck.checker.Validity.UNKNOWN;
import static io.deliverycheck.checker.Validity.VALID;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.history.Op;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** One test per outcome and per guarantee of HISTORY.md, on small hand-built histories. */
class DeliveryCheckerTest {

  /** u2 has two devices, u3 one. */
  private static H base() {
    return history().roster("u1:phone", "u2:phone,laptop", "u3:phone");
  }

  private static void assertCounts(CheckResult r, Object... kv) {
    for (int i = 0; i < kv.length; i += 2) {
      assertEquals(((Number) kv[i + 1]).longValue(), r.count((String) kv[i]), kv[i] + " in " + r.toJson());
    }
  }

  private static void assertVerdicts(H h, Validity amo, Validity alo, Validity eo) throws Exception {
    assertEquals(amo, h.check(AT_MOST_ONCE).valid(), "at-most-once");
    assertEquals(alo, h.check(AT_LEAST_ONCE).valid(), "at-least-once");
    assertEquals(eo, h.check(EXACTLY_ONCE).valid(), "exactly-once");
  }

  @Test
  void everyOwedTripleOfAMultiDeviceMultiRecipientMessageDeliveredOnceIsValid() throws Exception {
    H h = base().sendOk("c1", "m1", "u2", "u3")
        .receive("m1", "u2", "phone").ack("m1", "u2", "phone")
        .receive("m1", "u2", "laptop").receive("m1", "u3", "phone")
        .drained();
    CheckResult r = h.check(EXACTLY_ONCE);
    assertCounts(r, "sent", 1, "sent_ok", 1, "owed", 3, "delivered", 3, "lost", 0, "duplicated", 0);
    assertEquals("judged", r.loss());
    assertEquals(List.of(), r.violations());
    assertVerdicts(h, VALID, VALID, VALID);
  }

  @Test
  void anOwedTripleNeverReceivedInADrainedHistoryIsLost() throws Exception {
    H h = base().sendOk("c1", "m1", "u2").receive("m1", "u2", "phone").drained();
    CheckResult r = h.check(EXACTLY_ONCE);
    assertCounts(r, "owed", 2, "delivered", 1, "lost", 1, "undelivered", 0);
    assertEquals(List.of("lost"), r.violations());
    ObjectNode ex = r.examples().get("lost").get(0);
    assertEquals("m1", ex.get("id").asText());
    assertEquals("laptop", ex.get("device").asText());
    assertVerdicts(h, VALID, INVALID, INVALID); // at-most-once allows loss (counted)
    assertCounts(h.check(AT_MOST_ONCE), "lost", 1);
  }

  @Test
  void withoutDrainedAnUnreceivedTripleIsUndeliveredAndLossIsUnknown() throws Exception {
    H h = base().sendOk("c1", "m1", "u2").receive("m1", "u2", "phone");
    CheckResult r = h.check(EXACTLY_ONCE);
    assertCounts(r, "lost", 0, "undelivered", 1);
    assertEquals("unknown", r.loss());
    assertVerdicts(h, VALID, UNKNOWN, UNKNOWN);
  }

  @Test
  void aTripleReceivedThreeTimesIsOneDuplicatedTripleWithTwoExtraEffects() throws Exception {
    H h = base().sendOk("c1", "m1", "u3")
        .receive("m1", "u3", "phone").receive("m1", "u3", "phone").receive("m1", "u3", "phone")
        .drained();
    CheckResult r = h.check(EXACTLY_ONCE);
    assertCounts(r, "duplicated", 1, "duplicate_effects", 2, "delivered", 1);
    assertEquals(3, r.examples().get("duplicated").get(0).get("receives").asInt());
    assertVerdicts(h, INVALID, VALID, INVALID);
  }

  @Test
  void duplicatedAppliesWhateverTheSendOutcome() throws Exception {
    H h = base().sendOk("c1", "m0", "u3").receive("m0", "u3", "phone")
        .send("c1", "m1", "u3").fail("c1")
        .receive("m1", "u3", "phone").receive("m1", "u3", "phone").drained();
    CheckResult r = h.check(AT_LEAST_ONCE);
    assertCounts(r, "duplicated", 1, "resurrected", 1, "sent_fail", 1);
    assertEquals(List.of("resurrected"), r.violations());
  }

  @Test
  void aReceiveOfAnIdNeverSentIsUnexpectedCountedByDistinctTriple() throws Exception {
    H h = base().sendOk("c1", "m1", "u3").receive("m1", "u3", "phone")
        .receive("ghost", "u3", "phone").receive("ghost", "u3", "phone").receive("ghost", "u2", "phone")
        .drained();
    CheckResult r = h.check(AT_LEAST_ONCE);
    assertCounts(r, "unexpected", 2, "duplicated", 0);
    assertEquals("ghost", r.examples().get("unexpected").get(0).get("id").asText());
    assertVerdicts(h, INVALID, INVALID, INVALID);
  }

  @Test
  void aReceiveBeforeItsSendInIndexOrderIsNotUnexpected() throws Exception {
    H h = base().receive("m1", "u3", "phone").sendOk("c1", "m1", "u3").drained();
    CheckResult r = h.check(EXACTLY_ONCE);
    assertCounts(r, "unexpected", 0, "delivered", 1);
    assertEquals(VALID, r.valid());
  }

  @Test
  void anInfoSendNeverRetriedButDeliveredIsRecoveredNotAViolation() throws Exception {
    H h = base().sendOk("c1", "m0", "u3").receive("m0", "u3", "phone")
        .send("c2", "m1", "u2").info("c2").receive("m1", "u2", "laptop").drained();
    CheckResult r = h.check(EXACTLY_ONCE);
    assertCounts(r, "recovered", 1, "sent_info", 1, "sent_ok", 1, "owed", 1, "lost", 0);
    assertVerdicts(h, VALID, VALID, VALID);
  }

  @Test
  void anInfoSendRetriedWithTheSameIdAndKeyThenOkIsOwedAndDelivered() throws Exception {
    H h = base().send("c1", "m1", "u3").info("c1").send("c1", "m1", "u3").ok("c1")
        .receive("m1", "u3", "phone").drained();
    CheckResult r = h.check(EXACTLY_ONCE);
    assertCounts(r, "sent", 1, "sent_ok", 1, "sent_info", 0, "recovered", 0, "owed", 1, "delivered", 1);
    assertEquals(VALID, r.valid());
  }

  @Test
  void aFailThenOkRetryIsOneAcknowledgedMessage() throws Exception {
    H h = base().send("c1", "m1", "u2").fail("c1").sendOk("c1", "m1", "u2").receive("m1", "u2", "phone")
        .receive("m1", "u2", "laptop").drained();
    CheckResult r = h.check(EXACTLY_ONCE);
    assertCounts(r, "sent", 1, "sent_ok", 1, "sent_fail", 0, "resurrected", 0, "owed", 2, "delivered", 2);
    assertEquals(VALID, r.valid());
  }

  @Test
  void aRetryThatDeliversTwiceIsDuplicated() throws Exception {
    H h = base().send("c1", "m1", "u3").info("c1").sendOk("c1", "m1", "u3")
        .receive("m1", "u3", "phone").receive("m1", "u3", "phone").drained();
    assertVerdicts(h, INVALID, VALID, INVALID);
  }

  @Test
  void aReceiveOfAMessageEverySendOfWhichFailedIsResurrected() throws Exception {
    H h = base().sendOk("c1", "m0", "u3").receive("m0", "u3", "phone")
        .send("c1", "m1", "u3").fail("c1").send("c1", "m1", "u3").fail("c1")
        .receive("m1", "u3", "phone").drained();
    CheckResult r = h.check(AT_MOST_ONCE);
    assertCounts(r, "resurrected", 1, "sent_fail", 1);
    assertVerdicts(h, INVALID, INVALID, INVALID);
  }

  @Test
  void aReceiveByADeviceOrRecipientNotAddressedIsMisrouted() throws Exception {
    H h = base().sendOk("c1", "m1", "u3").receive("m1", "u3", "phone")
        .receive("m1", "u3", "laptop")   // u3 has no laptop in the roster
        .receive("m1", "u2", "phone")    // u2 was not addressed
        .receive("m1", "u2", "phone")    // the same misrouted triple again
        .drained();
    CheckResult r = h.check(AT_LEAST_ONCE);
    assertCounts(r, "misrouted", 2, "duplicated", 0, "delivered", 1);
    assertVerdicts(h, INVALID, INVALID, INVALID);
  }

  @Test
  void aDeliveredReceiptBeforeAnyReceiveOfItsSubjectIsFalseDelivered() throws Exception {
    H h = base().sendOk("c1", "m1", "u2")
        .receipt("m1", "u2", "phone", "delivered")     // false: nothing received yet
        .receipt("m1", "u2", null, "delivered")        // false: no device of u2 received yet
        .receive("m1", "u2", "laptop")
        .receipt("m1", "u2", null, "delivered")        // fine: the laptop received
        .receipt("m1", "u2", "laptop", "delivered")    // fine
        .receipt("m1", "u2", "phone", "delivered")     // false: the phone never received
        .receive("m1", "u2", "phone").drained();
    CheckResult r = h.check(EXACTLY_ONCE);
    assertCounts(r, "false_delivered", 3, "receipts", 5);
    assertEquals(List.of("false_delivered"), r.violations());
    assertVerdicts(h, INVALID, INVALID, INVALID);
  }

  @Test
  void aReadReceiptWithNeitherReceiveNorDeliveredReceiptIsReadBeforeDelivered() throws Exception {
    H h = base().sendOk("c1", "m1", "u2")
        .receipt("m1", "u2", "phone", "read")          // anomaly
        .receipt("m1", "u2", "laptop", "delivered")    // false-delivered, but it makes the next read fine
        .receipt("m1", "u2", "laptop", "read")
        .receive("m1", "u2", "phone").receive("m1", "u2", "laptop")
        .receipt("m1", "u2", null, "read")             // fine: received
        .drained();
    CheckResult r = h.check(EXACTLY_ONCE);
    assertCounts(r, "read_before_delivered", 1, "false_delivered", 1, "regressed", 0);
    assertEquals(List.of("false_delivered", "read_before_delivered"), r.violations());
  }

  @Test
  void aReceiptRankingBelowAnEarlierReceiptOfTheSameSubjectIsRegressed() throws Exception {
    H h = base().sendOk("c1", "m1", "u2").receive("m1", "u2", "phone")
        .receipt("m1", "u2", "phone", "delivered")
        .receipt("m1", "u2", "phone", "accepted")      // regressed
        .receipt("m1", "u2", null, "accepted")         // another subject: fine
        .receipt("m1", "u2", "phone", "failed")        // failed receipts take no part
        .receive("m1", "u2", "laptop").drained();
    CheckResult r = h.check(AT_MOST_ONCE);
    assertCounts(r, "regressed", 1, "receipts", 4, "receipts_failed", 1);
    assertEquals("delivered", r.examples().get("regressed").get(0).get("after").asText());
    assertVerdicts(h, INVALID, INVALID, INVALID);
  }

  @Test
  void receiptsBeforeTheFirstSendKeepTheirSubjectsState() throws Exception {
    H h = base().receipt("m1", "u3", "phone", "delivered")  // false-delivered: nothing received
        .receive("m1", "u3", "phone")
        .sendOk("c1", "m1", "u3")
        .receipt("m1", "u3", "phone", "accepted")            // regressed below delivered
        .drained();
    assertCounts(h.check(EXACTLY_ONCE), "false_delivered", 1, "regressed", 1, "unexpected", 0, "delivered", 1);
  }

  @Test
  void receiptsWithoutADeviceSpeakForTheRecipient() throws Exception {
    H h = base().sendOk("c1", "m1", "u2").receipt("m1", "u2", null, "accepted")
        .receive("m1", "u2", "phone").receipt("m1", "u2", null, "delivered")
        .receipt("m1", "u2", null, "read").receive("m1", "u2", "laptop").drained();
    CheckResult r = h.check(EXACTLY_ONCE);
    assertCounts(r, "false_delivered", 0, "read_before_delivered", 0, "regressed", 0, "receipts", 3);
    assertEquals(VALID, r.valid());
  }

  @Test
  void anInvocationStillOpenAtTheEndCountsAsInfo() throws Exception {
    H h = base().sendOk("c1", "m0", "u3").receive("m0", "u3", "phone")
        .send("c2", "m1", "u3").receive("m1", "u3", "phone").drained();
    CheckResult r = h.check(EXACTLY_ONCE);
    assertCounts(r, "sent_info", 1, "recovered", 1, "open_sends_at_end", 1, "owed", 1);
    assertEquals(VALID, r.valid());
    assertTrue(r.notes().stream().anyMatch(n -> n.contains("still open")), r.notes().toString());
  }

  @Test
  void aHistoryWithNoAcknowledgedSendProvesNothing() throws Exception {
    H h = base().send("c1", "m1", "u3").fail("c1").send("c2", "m2", "u3").info("c2").drained();
    CheckResult r = h.check(EXACTLY_ONCE);
    assertEquals(UNKNOWN, r.valid());
    assertEquals(2, r.exitCode());
    assertVerdicts(h, UNKNOWN, UNKNOWN, UNKNOWN);
  }

  @Test
  void aForbiddenOutcomeMakesTheRunInvalidEvenWithoutDrained() throws Exception {
    H h = base().sendOk("c1", "m1", "u3").receive("m1", "u3", "phone").receive("m1", "u3", "phone");
    assertVerdicts(h, INVALID, UNKNOWN, INVALID);
  }

  @Test
  void aRecipientWithoutDevicesIsOwedNothing() throws Exception {
    H h = history().roster("u1:phone", "u3:phone", "u4").sendOk("c1", "m1", "u4", "u3")
        .receive("m1", "u3", "phone").drained();
    assertCounts(h.check(EXACTLY_ONCE), "owed", 1, "delivered", 1);
  }

  @Test
  void latenciesAreMeasuredFromInvokeToOkAndFromOkToTheFirstReceive() throws Exception {
    H h = base().at(0).send("c1", "m1", "u3").at(2).ok("c1").at(7).receive("m1", "u3", "phone")
        .at(50).receive("m1", "u3", "phone").drained();
    CheckResult r = h.check(AT_LEAST_ONCE);
    assertEquals(2.0, r.latency().get("accept").get("p50").asDouble(), 0.01);
    assertEquals(5.0, r.latency().get("deliver").get("max").asDouble(), 0.01);
    assertEquals(1, r.latency().get("deliver").get("count").asLong());
  }

  @Test
  void countsAreExactButExampleListsAreCapped() throws Exception {
    H h = base();
    for (int i = 0; i < 150; i++) {
      h.sendOk("c1", "m" + i, "u3");
    }
    CheckResult r = h.drained().check(EXACTLY_ONCE);
    assertCounts(r, "lost", 150, "owed", 150);
    assertEquals(DeliveryChecker.EXAMPLE_CAP, r.examples().get("lost").size());
    assertEquals(DeliveryChecker.EXAMPLE_CAP, r.toJson().get("lost").size());
  }

  @Test
  void theResultJsonHasTheFieldsOfHistoryMd() throws Exception {
    CheckResult r = base().sendOk("c1", "m1", "u3").drained().check(EXACTLY_ONCE);
    var j = r.toJson();
    assertEquals(false, j.get("valid").asBoolean());
    assertEquals("exactly-once", j.get("guarantee").asText());
    assertEquals("judged", j.get("loss").asText());
    for (String k : List.of("sent", "sent_ok", "sent_fail", "sent_info", "owed", "delivered", "lost",
        "duplicated", "unexpected", "recovered", "resurrected", "misrouted", "false_delivered",
        "read_before_delivered", "regressed")) {
      assertTrue(j.get("counts").has(k), k);
    }
    assertEquals("lost", j.get("violations").get(0).asText());
    assertTrue(j.get("latency_ms").get("accept").has("p99"));
    assertTrue(r.summary().contains("INVALID"), r.summary());
    assertTrue(r.summary().contains("m1 u3/phone"), r.summary());
    assertEquals("unknown", base().drained().check(EXACTLY_ONCE).toJson().get("valid").asText());
  }

  @Test
  void theDeliveryRulesAreEnforced() {
    H sendFirst = history().sendOk("c1", "m1", "u2").roster("u2:phone");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> feed(sendFirst));
    assertTrue(e.getMessage().startsWith("index 0: send before the roster"), e.getMessage());
    H twoRosters = base().roster("u9:phone");
    assertTrue(assertThrows(IllegalArgumentException.class, () -> feed(twoRosters)).getMessage()
        .contains("second roster"));
  }

  private static void feed(H h) {
    DeliveryChecker c = new DeliveryChecker(EXACTLY_ONCE);
    for (Op op : h.ops()) {
      c.accept(op);
    }
  }

  @Test
  void guaranteesParseTheirWireNames() {
    assertEquals(AT_MOST_ONCE, Guarantee.parse("at-most-once"));
    assertEquals(EXACTLY_ONCE, Guarantee.parse("EXACTLY_ONCE"));
    assertEquals("at-least-once", AT_LEAST_ONCE.wire());
    assertThrows(IllegalArgumentException.class, () -> Guarantee.parse("twice"));
    assertEquals(Map.of(), Map.of());
  }
}
