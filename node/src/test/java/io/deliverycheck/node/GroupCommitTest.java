package io.deliverycheck.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The batch statements of group commit, directly against PostgreSQL. */
class GroupCommitTest {
  static TestSupport t;
  static Node node;

  @BeforeAll
  static void up() throws Exception {
    t = new TestSupport();
    node = t.start(t.config(t.name("gc")));
  }

  @AfterAll
  static void down() throws Exception {
    t.close();
  }

  @Test
  void batchAcceptCreatesEachMessageOnceAndAcksInOneStatement() throws Exception {
    String u = t.name("u");
    t.register(node, u, "phone");
    t.register(node, u, "laptop");
    String s = t.name("s");
    List<Store.AcceptReq> qs = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      qs.add(new Store.AcceptReq(t.name("msg"), "c" + i, s, "k" + (i % 4), List.of(u), new String[] {u},
          new String[] {"phone"}, new String[] {node.id()}, 500));
    }
    List<Store.Accepted> out = Node.await(node.store().acceptBatch(qs), 30);
    assertEquals(5, out.size());
    assertEquals(2, out.get(0).owed().size());
    assertEquals(node.id(), out.get(0).owed().stream().filter(o -> o.device().equals("phone")).findFirst().get().gateway());
    assertEquals(out.get(0).msg(), out.get(4).msg()); // same key k0
    assertEquals(false, out.get(4).created());
    List<Store.AckReq> acks = List.of(new Store.AckReq(out.get(0).msg(), u, "phone"),
        new Store.AckReq("nope", u, "phone"), new Store.AckReq(out.get(1).msg(), u, "laptop"));
    List<Store.Outcome> o = Node.await(node.store().markDeliveredBatch(acks), 30);
    assertEquals(List.of("CHANGED", "UNKNOWN", "CHANGED"), o.stream().map(Store.Outcome::kind).toList());
    o = Node.await(node.store().markDeliveredBatch(acks), 30);
    assertEquals(List.of("ALREADY", "UNKNOWN", "ALREADY"), o.stream().map(Store.Outcome::kind).toList());
    // reads are grouped the same way: the laptop row of message 0 was never acked
    List<Store.AckReq> reads = List.of(new Store.AckReq(out.get(0).msg(), u, "phone"),
        new Store.AckReq("nope", u, "phone"), new Store.AckReq(out.get(0).msg(), u, "laptop"));
    o = Node.await(node.store().markReadBatch(reads), 30);
    assertEquals(List.of("CHANGED", "UNKNOWN", "REFUSED"), o.stream().map(Store.Outcome::kind).toList());
    assertTrue(o.get(0).change().seq() > 0);
    o = Node.await(node.store().markReadBatch(reads), 30);
    assertEquals(List.of("ALREADY", "UNKNOWN", "REFUSED"), o.stream().map(Store.Outcome::kind).toList());
  }
}
