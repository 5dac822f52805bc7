package io.deliverycheck.workloads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class SendPlanTest {
  private static SendPlan plan(String kind, long seed) {
    WorkloadConfig c = WorkloadConfig.defaults(seed).withKind(kind).withPoisonFraction(0.2);
    return new SendPlan(c, Roster.of(c.users(), c.devicesPerUser()));
  }

  @Test
  void aSlotIsAPureFunctionOfTheSeed() {
    assertEquals(plan("chat", 1).slot(17), plan("chat", 1).slot(17));
    assertNotEquals(plan("chat", 1).slot(17), plan("chat", 2).slot(17));
  }

  @Test
  void chatFansOutToOtherUsersAndPaymentsToOne() {
    SendPlan chat = plan("chat", 3);
    SendPlan pay = plan("payments", 3);
    assertTrue(LongStream.range(0, 200).mapToObj(chat::slot).anyMatch(m -> m.to().size() > 1));
    LongStream.range(0, 200).mapToObj(chat::slot).forEach(m -> {
      assertFalse(m.to().contains(m.from()));
      assertEquals(m.to().size(), m.to().stream().distinct().count());
    });
    assertTrue(LongStream.range(0, 200).mapToObj(pay::slot).allMatch(m -> m.to().size() == 1));
  }

  @Test
  void chatCarriesTheShareOfPoisonItIsGivenByDefaultNoneAndPaymentsNone() {
    WorkloadConfig c = WorkloadConfig.defaults(5);
    assertEquals(0.0, c.withKind("chat").poisonShare(), "no poison in the default chat (WorkloadConfig.CHAT_POISON)");
    WorkloadConfig c2 = c.withPoisonFraction(0.02);
    SendPlan chat = new SendPlan(c2, Roster.of(c2.users(), c2.devicesPerUser()));
    long bad = LongStream.range(0, 10_000).mapToObj(chat::slot)
        .filter(m -> PlannedSend.isPoison(m.id()) || PlannedSend.isCrashing(m.id())).count();
    assertTrue(bad > 120 && bad < 280, "about 2% poison in a chat given 0.02: " + bad);
    WorkloadConfig p = c.withKind("payments");
    SendPlan pay = new SendPlan(p, Roster.of(p.users(), p.devicesPerUser()));
    assertTrue(LongStream.range(0, 2000).mapToObj(pay::slot)
        .noneMatch(m -> PlannedSend.isPoison(m.id()) || PlannedSend.isCrashing(m.id())));
    assertEquals(0.05, c.withKind("poison").poisonShare());
    assertEquals(0.0, c.withKind("chat").withPoisonFraction(0).poisonShare());
  }

  @Test
  void poisonMessagesAreMarkedByTheirId() {
    long poison = LongStream.range(0, 1000).mapToObj(plan("poison", 4)::slot).filter(m -> PlannedSend.isPoison(m.id())).count();
    long crashing = LongStream.range(0, 1000).mapToObj(plan("poison", 4)::slot).filter(m -> PlannedSend.isCrashing(m.id())).count();
    assertTrue(poison > 60 && poison < 140, "about 10% never acked: " + poison);
    assertTrue(crashing > 60 && crashing < 140, "about 10% crashing: " + crashing);
    assertTrue(LongStream.range(0, 1000).mapToObj(plan("payments", 4)::slot)
        .noneMatch(m -> PlannedSend.isPoison(m.id()) || PlannedSend.isCrashing(m.id())));
  }

  @Test
  void slotsAreDueAtAFixedRate() {
    SendPlan p = new SendPlan(WorkloadConfig.defaults(1).withRate(20), Roster.of(3, 1));
    assertEquals(0, p.dueNanos(0));
    assertEquals(1_000_000_000L, p.dueNanos(20));
  }
}
