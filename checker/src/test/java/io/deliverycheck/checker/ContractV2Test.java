package io.deliverycheck.checker;

import static io.deliverycheck.checker.Guarantee.AT_LEAST_ONCE;
import static io.deliverycheck.checker.Guarantee.AT_MOST_ONCE;
import static io.deliverycheck.checker.Guarantee.EXACTLY_ONCE;
import static io.deliverycheck.checker.H.history;
import static io.deliverycheck.checker.Validity.INVALID;
import static io.deliverycheck.checker.Validity.UNKNOWN;
import static io.deliverycheck.checker.Validity.VALID;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.history.OpType;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * What contract v2 (HISTORY.md) adds to the verdicts: {@code unresolved}, {@code reordered},
 * claims of the {@code system} op, healed drains, nothing owed, harness errors, and which
 * guarantee is judged. Every history is judged by both read paths (H.check).
 */
class ContractV2Test {
  private static final String RECEIPTS = "{\"name\":\"sut\",\"guarantee\":\"exactly-once\",\"receipts\":true,\"order\":\"none\"}";
  private static final String ORDER = "{\"name\":\"sut\",\"guarantee\":\"exactly-once\",\"receipts\":false,\"order\":\"per-sender\"}";

  /** u2 has two devices, u3 one. */
  private static H base() {
    return history().roster("u1:phone", "u2:phone,laptop", "u3:phone");
  }

  private static void assertCounts(CheckResult r, Object... kv) {
    for (int i = 0; i < kv.length; i += 2) {
      assertEquals(((Number) kv[i + 1]).longValue(), r.count((String) kv[i]), kv[i] + " in " + r.toJson());
    }
  }

  private static ObjectNode example(CheckResult r, String outcome) {
    assertTrue(r.examples().containsKey(outcome), outcome + " examples in " + r.toJson());
    return r.examples().get(outcome).get(0);
  }

  @Nested
  class Unresolved {
    @Test
    void anOwedTripleWhoseSenderWasNeverToldIsUnresolvedAndForbiddenWhenReceiptsAreClaimed() throws Exception {
      H h = base().system(RECEIPTS).sendOk("c1", "m1", "u3").receive("m1", "u3", "phone").drained();
      CheckResult r = h.check(EXACTLY_ONCE);
      assertCounts(r, "unresolved", 1, "delivered", 1, "lost", 0);
      assertEquals(List.of("unresolved"), r.violations());
      assertEquals("m1", example(r, "unresolved").get("id").asText());
      assertEquals("phone", example(r, "unresolved").get("device").asText());
      assertEquals(INVALID, h.check(AT_LEAST_ONCE).valid());
      CheckResult amo = h.check(AT_MOST_ONCE);
      assertEquals(VALID, amo.valid(), "at-most-once allows unresolved: " + amo.toJson());
      assertCounts(amo, "unresolved", 1);
    }

    @Test
    void withoutTheReceiptsClaimItIsCountedButAllowed() throws Exception {
      CheckResult r = base().sendOk("c1", "m1", "u3").receive("m1", "u3", "phone").drained().check(EXACTLY_ONCE);
      assertCounts(r, "unresolved", 1);
      assertEquals(VALID, r.valid(), r.toJson().toString());
      CheckResult noClaim = base().system("{\"guarantee\":\"exactly-once\",\"receipts\":false}")
          .sendOk("c1", "m1", "u3").receive("m1", "u3", "phone").drained().check(EXACTLY_ONCE);
      assertEquals(VALID, noClaim.valid());
    }

    @Test
    void deliveredReadOrFailedOfTheTripleResolveIt() throws Exception {
      for (String state : List.of("delivered", "read", "failed")) {
        H h = base().system(RECEIPTS).sendOk("c1", "m1", "u3").receive("m1", "u3", "phone")
            .receipt("m1", "u3", "phone", state).drained();
        CheckResult r = h.check(EXACTLY_ONCE);
        assertCounts(r, "unresolved", 0, "read_before_delivered", 0);
        assertEquals(VALID, r.valid(), state + ": " + r.toJson());
      }
    }

    @Test
    void acceptedDoesNotResolve() throws Exception {
      CheckResult r = base().system(RECEIPTS).sendOk("c1", "m1", "u3").receipt("m1", "u3", "phone", "accepted")
          .receive("m1", "u3", "phone").drained().check(EXACTLY_ONCE);
      assertCounts(r, "unresolved", 1);
    }

    @Test
    void aReceiptWithoutDeviceResolvesEveryDeviceOfTheRecipient() throws Exception {
      CheckResult r = base().system(RECEIPTS).sendOk("c1", "m1", "u2")
          .receive("m1", "u2", "phone").receive("m1", "u2", "laptop").receipt("m1", "u2", null, "delivered")
          .drained().check(EXACTLY_ONCE);
      assertCounts(r, "owed", 2, "unresolved", 0);
      assertEquals(VALID, r.valid());
    }

    @Test
    void aReceiptForOneDeviceLeavesTheOtherUnresolved() throws Exception {
      CheckResult r = base().system(RECEIPTS).sendOk("c1", "m1", "u2")
          .receive("m1", "u2", "phone").receive("m1", "u2", "laptop").receipt("m1", "u2", "phone", "delivered")
          .drained().check(EXACTLY_ONCE);
      assertCounts(r, "unresolved", 1);
      assertEquals("laptop", example(r, "unresolved").get("device").asText());
    }

    @Test
    void aFailedReceiptResolvesALostTripleWhichStaysLost() throws Exception {
      CheckResult r = base().system(RECEIPTS).sendOk("c1", "m1", "u3").receipt("m1", "u3", "phone", "failed")
          .drained().check(EXACTLY_ONCE);
      assertCounts(r, "lost", 1, "unresolved", 0, "receipts_failed", 1);
      assertEquals(List.of("lost"), r.violations());
    }

    @Test
    void aFailedReceiptForTheRecipientResolvesEveryDevice() throws Exception {
      CheckResult r = base().system(RECEIPTS).sendOk("c1", "m1", "u2").receipt("m1", "u2", null, "failed")
          .drained().check(AT_MOST_ONCE);
      assertCounts(r, "lost", 2, "unresolved", 0);
      assertEquals(VALID, r.valid());
    }

    @Test
    void aReceiptBeforeTheSendStillResolves() throws Exception {
      CheckResult r = base().system(RECEIPTS).receipt("m1", "u3", "phone", "failed").sendOk("c1", "m1", "u3")
          .receive("m1", "u3", "phone").drained().check(EXACTLY_ONCE);
      assertCounts(r, "unresolved", 0);
    }

    @Test
    void itIsJudgedOnlyAfterAHealedDrain() throws Exception {
      H notDrained = base().system(RECEIPTS).sendOk("c1", "m1", "u3").receive("m1", "u3", "phone");
      assertCounts(notDrained.check(EXACTLY_ONCE), "unresolved", 0);
      assertEquals(UNKNOWN, notDrained.check(EXACTLY_ONCE).valid());
      H unhealed = base().system(RECEIPTS).sendOk("c1", "m1", "u3").receive("m1", "u3", "phone").drained(false);
      assertCounts(unhealed.check(EXACTLY_ONCE), "unresolved", 0);
      assertEquals(UNKNOWN, unhealed.check(EXACTLY_ONCE).valid());
    }

    @Test
    void onlyMessagesWithAnOkSendAreOwed() throws Exception {
      CheckResult r = base().system(RECEIPTS).sendOk("c1", "m1", "u3").receive("m1", "u3", "phone")
          .receipt("m1", "u3", null, "read").send("c2", "m2", "u3").info("c2").receive("m2", "u3", "phone")
          .drained().check(EXACTLY_ONCE);
      assertCounts(r, "unresolved", 0, "recovered", 1);
    }
  }

  @Nested
  class Reordered {
    /** c1 (user u1) sends m1 then, after m1 was accepted, m2; both to u3's phone. */
    private H twoInOrder() {
      return base().sendFrom("c1", "m1", "u1", "u3").ok("c1").sendFrom("c1", "m2", "u1", "u3").ok("c1");
    }

    @Test
    void aMessageReceivedAfterALaterOneOfItsSenderIsReordered() throws Exception {
      H h = twoInOrder().receive("m2", "u3", "phone").receive("m1", "u3", "phone").drained();
      CheckResult r = h.check(EXACTLY_ONCE);
      assertCounts(r, "reordered", 1, "delivered", 2);
      ObjectNode ex = example(r, "reordered");
      assertEquals("m1", ex.get("id").asText());
      assertEquals("m2", ex.get("overtaken_by").asText(), "the example names the message that overtook it");
      assertEquals(VALID, r.valid(), "order is not claimed: counted, allowed");
    }

    @Test
    void itIsForbiddenUnderEveryGuaranteeWhenOrderIsClaimed() throws Exception {
      H h = base().system(ORDER).sendFrom("c1", "m1", "u1", "u3").ok("c1").sendFrom("c1", "m2", "u1", "u3").ok("c1")
          .receive("m2", "u3", "phone").receive("m1", "u3", "phone").drained();
      for (Guarantee g : Guarantee.values()) {
        CheckResult r = h.check(g);
        assertEquals(List.of("reordered"), r.violations(), g.wire());
      }
    }

    @Test
    void inOrderIsNotReordered() throws Exception {
      CheckResult r = twoInOrder().receive("m1", "u3", "phone").receive("m2", "u3", "phone").drained()
          .check(EXACTLY_ONCE);
      assertCounts(r, "reordered", 0);
    }

    @Test
    void overlappingSendsHaveNoRealTimeOrder() throws Exception {
      // m2 is invoked (by c2, for the same user u1) before m1 was accepted: no order between them
      CheckResult r = base().sendFrom("c1", "m1", "u1", "u3").sendFrom("c2", "m2", "u1", "u3").ok("c1").ok("c2")
          .receive("m2", "u3", "phone").receive("m1", "u3", "phone").drained().check(EXACTLY_ONCE);
      assertCounts(r, "reordered", 0);
    }

    @Test
    void theOrderIsFirstOkCompletionAgainstFirstInvocation() throws Exception {
      // m1's first attempt times out, m2 is sent, then m1's retry is accepted: m1's first ok comes after
      // m2's first invocation, so m2 may overtake it
      CheckResult late = base().sendFrom("c1", "m1", "u1", "u3").info("c1").sendFrom("c1", "m2", "u1", "u3").ok("c1")
          .sendFrom("c1", "m1", "u1", "u3").ok("c1").receive("m2", "u3", "phone").receive("m1", "u3", "phone")
          .drained().check(EXACTLY_ONCE);
      assertCounts(late, "reordered", 0);
      // m2's first attempt is invoked before m1 was accepted, its retry after: its first invocation counts
      CheckResult retried = base().sendFrom("c1", "m1", "u1", "u3").sendFrom("c2", "m2", "u1", "u3").fail("c2")
          .ok("c1").sendFrom("c2", "m2", "u1", "u3").ok("c2").receive("m2", "u3", "phone").receive("m1", "u3", "phone")
          .drained().check(EXACTLY_ONCE);
      assertCounts(retried, "reordered", 0);
      // m1 accepted on its second attempt (attempt 2), m2 invoked after that: m1 received late is reordered
      CheckResult second = base().sendFrom("c1", "m1", "u1", "u3").fail("c1").sendFrom("c1", "m1", "u1", "u3").ok("c1")
          .sendFrom("c1", "m2", "u1", "u3").ok("c1").receive("m2", "u3", "phone").receive("m1", "u3", "phone")
          .drained().check(EXACTLY_ONCE);
      assertCounts(second, "reordered", 1);
    }

    @Test
    void onlyDifferentMessagesOfTheSameSenderOnTheSameDevice() throws Exception {
      // another sender
      CheckResult senders = base().sendFrom("c1", "m1", "u1", "u3").ok("c1").sendFrom("c1", "m2", "u2", "u3").ok("c1")
          .receive("m2", "u3", "phone").receive("m1", "u3", "phone").drained().check(EXACTLY_ONCE);
      assertCounts(senders, "reordered", 0);
      // another device of the same recipient
      CheckResult devices = base().sendFrom("c1", "m1", "u1", "u2").ok("c1").sendFrom("c1", "m2", "u1", "u2").ok("c1")
          .receive("m2", "u2", "phone").receive("m1", "u2", "laptop").receive("m1", "u2", "phone")
          .receive("m2", "u2", "laptop").drained().check(EXACTLY_ONCE);
      assertCounts(devices, "reordered", 1);
      assertEquals("phone", example(devices, "reordered").get("device").asText());
      // the same message again (a duplicate) after a later one: its first receive counts
      CheckResult dup = twoInOrder().receive("m1", "u3", "phone").receive("m2", "u3", "phone")
          .receive("m1", "u3", "phone").drained().check(AT_LEAST_ONCE);
      assertCounts(dup, "reordered", 0, "duplicated", 1);
    }

    @Test
    void aMessageNotOwedIsNeverLateButMayOvertake() throws Exception {
      // m1 was never accepted (info): not owed, so not reordered
      CheckResult r = base().sendFrom("c1", "m1", "u1", "u3").info("c1").sendFrom("c1", "m2", "u1", "u3").ok("c1")
          .receive("m2", "u3", "phone").receive("m1", "u3", "phone").drained().check(EXACTLY_ONCE);
      assertCounts(r, "reordered", 0, "recovered", 1);
      // m2 was never accepted but received first: it overtakes m1
      CheckResult o = base().sendFrom("c1", "m1", "u1", "u3").ok("c1").sendFrom("c1", "m2", "u1", "u3").info("c1")
          .receive("m2", "u3", "phone").receive("m1", "u3", "phone").drained().check(EXACTLY_ONCE);
      assertCounts(o, "reordered", 1);
    }

    @Test
    void aLateTripleCountsOnceWhateverOvertookIt() throws Exception {
      CheckResult r = twoInOrder().sendFrom("c1", "m3", "u1", "u3").ok("c1").receive("m3", "u3", "phone")
          .receive("m2", "u3", "phone").receive("m1", "u3", "phone").drained().check(EXACTLY_ONCE);
      assertCounts(r, "reordered", 2);
      assertEquals("m3", r.examples().get("reordered").get(1).get("overtaken_by").asText());
    }

    @Test
    void aReceiveRecordedBeforeItsSendStillCountsWhereItStands() throws Exception {
      // m2 is received on the phone before its send is recorded, then m1 (accepted before m2 was sent)
      CheckResult r = base().sendFrom("c1", "m1", "u1", "u3").ok("c1").receive("m2", "u3", "phone")
          .receive("m1", "u3", "phone").sendFrom("c1", "m2", "u1", "u3").ok("c1").drained().check(EXACTLY_ONCE);
      assertCounts(r, "reordered", 1, "unexpected", 0);
      assertEquals("m2", example(r, "reordered").get("overtaken_by").asText());
    }

    @Test
    void aMisroutedReceiveOvertakesToo() throws Exception {
      // m2 is addressed to u2 only, but u3's phone gets it, before m1
      CheckResult r = base().sendFrom("c1", "m1", "u1", "u3").ok("c1").sendFrom("c1", "m2", "u1", "u2").ok("c1")
          .receive("m2", "u3", "phone").receive("m1", "u3", "phone").drained().check(AT_LEAST_ONCE);
      assertCounts(r, "reordered", 1, "misrouted", 1);
    }

    @Test
    void messagesWithoutFromTakeNoPartAndANoteSaysSo() throws Exception {
      H h = base();
      ObjectNode v = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode().put("id", "m1");
      v.putArray("to").add("u3");
      CheckResult r = h.add("c1", OpType.INVOKE, "send", v, null).ok("c1").sendFrom("c1", "m2", "u1", "u3").ok("c1")
          .receive("m2", "u3", "phone").receive("m1", "u3", "phone").drained().check(EXACTLY_ONCE);
      assertCounts(r, "reordered", 0);
      assertTrue(r.notes().stream().anyMatch(n -> n.contains("1 message(s) name no sender")), r.notes().toString());
    }
  }

  @Nested
  class Verdicts {
    @Test
    void nothingOwedProvesNothing() throws Exception {
      H h = history().roster("u1:phone", "u4").sendOk("c1", "m1", "u4").drained();
      CheckResult r = h.check(EXACTLY_ONCE);
      assertCounts(r, "sent_ok", 1, "owed", 0);
      assertEquals(UNKNOWN, r.valid());
      assertEquals(UNKNOWN, h.check(AT_MOST_ONCE).valid());
      assertTrue(r.notes().stream().anyMatch(n -> n.startsWith("nothing was owed")), r.notes().toString());
    }

    @Test
    void anUnhealedDrainIsJudgedAsNoDrain() throws Exception {
      H h = base().sendOk("c1", "m1", "u3").drained(false);
      CheckResult r = h.check(EXACTLY_ONCE);
      assertCounts(r, "lost", 0, "undelivered", 1);
      assertEquals("unknown", r.loss());
      assertEquals(UNKNOWN, r.valid());
      assertTrue(r.notes().stream().anyMatch(n -> n.contains("healed: false")), r.notes().toString());
      assertEquals(VALID, h.check(AT_MOST_ONCE).valid());
      H dup = base().sendOk("c1", "m1", "u3").receive("m1", "u3", "phone").receive("m1", "u3", "phone").drained(false);
      assertEquals(INVALID, dup.check(EXACTLY_ONCE).valid(), "a forbidden outcome still makes it invalid");
    }

    @Test
    void harnessErrorsAreCountedAndDoNotChangeTheVerdict() throws Exception {
      H h = base().error("nemesis", "tc: netem not available").sendOk("c1", "m1", "u3")
          .nemesisError("start-partition", "iptables: permission denied").receive("m1", "u3", "phone").drained();
      CheckResult r = h.check(EXACTLY_ONCE);
      assertCounts(r, "harness_errors", 2);
      assertEquals(VALID, r.valid());
      List<ObjectNode> ex = r.examples().get("harness_errors");
      assertEquals("nemesis", ex.get(0).get("what").asText());
      assertEquals("tc: netem not available", ex.get(0).get("message").asText());
      assertEquals(1, ex.get(0).get("index").asLong());
      assertEquals("start-partition", ex.get(1).get("f").asText());
      assertEquals("iptables: permission denied", ex.get(1).get("error").asText());
      assertTrue(r.summary().contains("harness errors: 2"), r.summary());
    }

    @Test
    void aNemesisOpWithoutErrorIsNoHarnessError() throws Exception {
      CheckResult r = base().nemesis("start-partition").sendOk("c1", "m1", "u3").nemesis("stop-partition")
          .receive("m1", "u3", "phone").drained().check(EXACTLY_ONCE);
      assertCounts(r, "harness_errors", 0);
    }

    @Test
    void aRetryToTheSameUsersInAnotherOrderIsTheSameMessage() throws Exception {
      CheckResult r = base().send("c1", "m1", "u2", "u3").info("c1").send("c1", "m1", "u3", "u2", "u3").ok("c1")
          .receive("m1", "u2", "phone").receive("m1", "u2", "laptop").receive("m1", "u3", "phone").drained()
          .check(EXACTLY_ONCE);
      assertCounts(r, "sent", 1, "owed", 3, "delivered", 3);
      assertEquals(VALID, r.valid());
    }
  }

  @Nested
  class WhichGuarantee {
    private H claimed(String g) {
      return base().system("{\"name\":\"rabbitmq-3.10-quorum\",\"version\":\"3.10.7\",\"guarantee\":\"" + g
          + "\",\"receipts\":false,\"order\":\"per-sender\",\"settings\":{\"queue\":\"quorum\",\"confirms\":true}}")
          .sendOk("c1", "m1", "u3").receive("m1", "u3", "phone").receive("m1", "u3", "phone").drained();
    }

    @Test
    void anExplicitGuaranteeWinsAndANoteNamesTheClaim() throws Exception {
      CheckResult r = claimed("at-least-once").check(GuaranteeChoice.explicit(EXACTLY_ONCE, "--guarantee"));
      assertEquals(EXACTLY_ONCE, r.guarantee());
      assertEquals("--guarantee", r.guaranteeSource());
      assertEquals(INVALID, r.valid());
      assertTrue(r.notes().stream().anyMatch(n -> n.contains("the system op claims at-least-once")), r.notes().toString());
    }

    @Test
    void elseTheSystemOpsClaim() throws Exception {
      CheckResult r = claimed("at-least-once").check(GuaranteeChoice.fromHistory(EXACTLY_ONCE, "test.json"));
      assertEquals(AT_LEAST_ONCE, r.guarantee());
      assertEquals("system op", r.guaranteeSource());
      assertEquals(VALID, r.valid());
      assertEquals("system op", r.toJson().get("guarantee_source").asText());
      assertTrue(r.summary().contains("guarantee from system op"), r.summary());
    }

    @Test
    void elseTheFallback() throws Exception {
      H h = base().sendOk("c1", "m1", "u3").receive("m1", "u3", "phone").drained();
      CheckResult r = h.check(GuaranteeChoice.fromHistory(AT_MOST_ONCE, "test.json"));
      assertEquals(AT_MOST_ONCE, r.guarantee());
      assertEquals("test.json", r.guaranteeSource());
      DeliveryChecker c = new DeliveryChecker(GuaranteeChoice.fromHistory(null, null));
      h.ops().forEach(c::accept);
      assertThrows(MissingGuaranteeException.class, c::finish);
    }

    @Test
    void theSystemOpIsKeptWholeInTheResults() throws Exception {
      CheckResult r = claimed("at-least-once").check(EXACTLY_ONCE);
      ObjectNode s = (ObjectNode) r.toJson().get("system");
      assertEquals("3.10.7", s.get("version").asText());
      assertEquals("quorum", s.get("settings").get("queue").asText());
      assertFalse(s.get("receipts").asBoolean());
      assertTrue(r.summary().contains("system: rabbitmq-3.10-quorum 3.10.7, claims at-least-once, receipts false,"
          + " order per-sender, settings {\"queue\":\"quorum\",\"confirms\":true}"), r.summary());
      assertFalse(base().sendOk("c1", "m1", "u3").drained().check(EXACTLY_ONCE).toJson().has("system"));
    }
  }
}
