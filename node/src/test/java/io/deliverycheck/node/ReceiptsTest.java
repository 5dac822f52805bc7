package io.deliverycheck.node;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Receipts are stored with their state and numbered per sender: a sender that was away (or whose node
 * died) gets, from any node, every state it missed, in order, from the number it presents.
 */
class ReceiptsTest {
  static TestSupport t;

  @BeforeAll
  static void up() throws Exception {
    t = new TestSupport();
  }

  @AfterAll
  static void down() throws Exception {
    t.close();
  }

  private static List<String> states(TestSupport.Socket rec) {
    return rec.ofType("receipt").stream().map(j -> j.getString("id") + ":" + j.getString("state")).toList();
  }

  private static List<Long> seqs(TestSupport.Socket rec) {
    return rec.ofType("receipt").stream().map(j -> j.getLong("seq")).toList();
  }

  @Test
  void aSenderThatWasAwayGetsEveryStateItMissedInOrderFromAnotherNodeAfterAKill() throws Exception {
    List<Node> ns = t.cluster(2, c -> { });
    Node a = ns.get(0);
    Node b = ns.get(1);
    String sender = t.name("s");
    String user = t.name("u");
    t.register(a, user, "phone");
    TestSupport.Socket dev = t.device(a, user, "phone");
    // no receipt socket of the sender anywhere: the states are committed with their receipts all the same
    for (int i = 1; i <= 3; i++) {
      assertEquals(200, t.send(a, "m" + i, "k" + i, sender, user).status());
    }
    await().atMost(Duration.ofSeconds(30)).alias("acks; device got " + dev.received)
        .until(() -> dev.ofType("acked").size() == 3);
    dev.close();
    a.kill(); // the node that made every state dies
    TestSupport.Socket all = t.receipts(b, sender, "?after=0");
    await().atMost(Duration.ofSeconds(10)).until(() -> all.ofType("receipt").size() == 6);
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L), seqs(all));
    List<String> st = states(all);
    for (int i = 1; i <= 3; i++) {
      assertTrue(st.indexOf("m" + i + ":accepted") < st.indexOf("m" + i + ":delivered"), st.toString());
    }
    // a sender that saw up to 4 gets 5 and 6 only, in order
    TestSupport.Socket rest = t.receipts(b, sender, "?after=4");
    await().atMost(Duration.ofSeconds(10)).until(() -> rest.ofType("receipt").size() == 2);
    assertEquals(List.of(5L, 6L), seqs(rest));
    assertEquals(st.subList(4, 6), states(rest));
    all.close();
    rest.close();
  }

  @Test
  void liveReceiptsCarryGapFreeNumbersAndASocketWithoutAfterStartsNow() throws Exception {
    Node n = t.start(t.config(t.name("r")));
    String sender = t.name("s");
    String user = t.name("u");
    t.register(n, user, "phone");
    t.register(n, user, "laptop");
    assertEquals(200, t.send(n, "old", "k0", sender, user).status()); // two accepted receipts: 1, 2
    TestSupport.Socket now = t.receipts(n, sender, "");
    TestSupport.Socket from0 = t.receipts(n, sender, "?after=0");
    TestSupport.Socket phone = t.device(n, user, "phone");
    TestSupport.Socket laptop = t.device(n, user, "laptop");
    await().atMost(Duration.ofSeconds(10)).until(() -> phone.ofType("acked").size() == 1 && laptop.ofType("acked").size() == 1);
    for (int i = 1; i <= 5; i++) {
      assertEquals(200, t.send(n, "m" + i, "k" + i, sender, user).status());
    }
    // 2 (old, accepted) + 2 (old, delivered) + 5 x 2 x 2
    await().atMost(Duration.ofSeconds(10)).until(() -> from0.ofType("receipt").size() == 24);
    List<Long> expect = new ArrayList<>();
    for (long i = 1; i <= 24; i++) {
      expect.add(i);
    }
    assertEquals(expect, seqs(from0));
    await().atMost(Duration.ofSeconds(10)).until(() -> now.ofType("receipt").size() >= 20);
    List<Long> got = seqs(now);
    long first = got.get(0);
    assertTrue(first >= 3, "a socket without 'after' replays nothing: " + got);
    for (int i = 0; i < got.size(); i++) {
      assertEquals(first + i, got.get(i), got.toString());
    }
    assertFalse(states(now).contains("old:accepted"));
    phone.close();
    laptop.close();
    now.close();
    from0.close();
  }

  @Test
  void aMalformedAfterIsRefusedAtTheHandshake() throws Exception {
    Node n = t.start(t.config(t.name("r")));
    for (String q : List.of("?after=x", "?after=-1")) {
      Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> t.connect(n, "/receipts/u" + q));
      Throwable c = e instanceof ExecutionException || e instanceof CompletionException ? e.getCause() : e;
      assertTrue(c instanceof java.net.http.WebSocketHandshakeException, q + ": " + c);
      assertEquals(400, ((java.net.http.WebSocketHandshakeException) c).getResponse().statusCode(), q);
    }
  }

  @Test
  void aNulInAFieldIsA400NamingTheFieldNotARetryable503() throws Exception {
    Node n = t.start(t.config(t.name("r")));
    String user = t.name("u");
    t.register(n, user, "phone");
    for (String field : List.of("id", "key", "from")) {
      JsonObject b = new JsonObject().put("id", "m1").put("key", "k1").put("from", t.name("s"))
          .put("to", new io.vertx.core.json.JsonArray().add(user));
      b.put(field, "a\u0000b");
      TestSupport.Resp r = t.call("POST", n.url() + "/messages", b.encode(), null);
      assertEquals(400, r.status(), field + ": " + r.text());
      assertTrue(r.body().getString("error").contains("'" + field + "'"), r.text());
    }
    JsonObject b = new JsonObject().put("id", "m1").put("key", "k1").put("from", t.name("s"))
        .put("to", new io.vertx.core.json.JsonArray().add("x\u0000"));
    TestSupport.Resp r = t.call("POST", n.url() + "/messages", b.encode(), null);
    assertEquals(400, r.status(), r.text());
    assertTrue(r.body().getString("error").contains("'to'"), r.text());
    assertEquals(400, t.call("PUT", n.url() + "/users/a%00b/devices/phone", null, null).status());
    // error texts never name a Java class
    for (String body : List.of("[1,2]", "{\"id\": ", "42")) {
      TestSupport.Resp bad = t.call("POST", n.url() + "/messages", body, null);
      assertEquals(400, bad.status(), body);
      assertFalse(bad.text().matches("(?s).*(java|vertx|jackson|Exception)\\..*"), bad.text());
    }
    TestSupport.Socket dev = t.device(n, user, "phone");
    dev.sendJson(new JsonObject().put("type", "ack").put("msg", "m\u0000").put("id", "m1"));
    await().atMost(Duration.ofSeconds(10)).until(() -> dev.ofType("error").size() == 1);
    assertTrue(dev.ofType("error").get(0).getString("error").contains("'msg'"));
    assertEquals(false, dev.ofType("error").get(0).getBoolean("committed"));
    dev.close();
  }

  @Test
  void aFailedLookupAfterACommitIsNotNotCommitted() {
    assertTrue(Store.notCommitted(new java.net.ConnectException("refused")));
    assertFalse(Store.notCommitted(new Store.AfterCommit(new java.net.ConnectException("refused"))));
  }
}
