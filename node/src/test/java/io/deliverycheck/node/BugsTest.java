package io.deliverycheck.node;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Each --bug really deviates: the test shows the deviation (and the honest node not deviating). */
class BugsTest {
  static TestSupport t;

  @BeforeAll
  static void up() throws Exception {
    t = new TestSupport();
    // a commit that fails at COMMIT time (deferred constraint trigger) for client ids starting 'doomed'
    t.sql("CREATE TABLE IF NOT EXISTS messages (msg_id text PRIMARY KEY, client_id text NOT NULL, sender text NOT NULL,"
        + " key text, recipients text[] NOT NULL, accepted_by text NOT NULL, accepted_at timestamptz NOT NULL DEFAULT now(),"
        + " UNIQUE (sender, key))");
    t.sql("CREATE OR REPLACE FUNCTION doom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        + " IF NEW.client_id LIKE 'doomed%' THEN RAISE EXCEPTION 'doomed at commit'; END IF; RETURN NULL; END $$");
    t.sql("CREATE CONSTRAINT TRIGGER doom AFTER INSERT ON messages DEFERRABLE INITIALLY DEFERRED"
        + " FOR EACH ROW EXECUTE FUNCTION doom()");
  }

  @AfterAll
  static void down() throws Exception {
    t.close();
  }

  private Node node(Consumer<NodeConfig> tweak) throws Exception {
    NodeConfig c = t.config(t.name("b"));
    tweak.accept(c);
    return t.start(c);
  }

  @Test
  void ackBeforeCommitAnswersAcceptedForAMessageThatNeverCommitted() throws Exception {
    Node honest = node(c -> { });
    Node buggy = node(c -> c.bugs.add(Bug.ACK_BEFORE_COMMIT));
    TestSupport.Resp h = t.send(honest, "doomed-1", "d1", t.name("s"), "u");
    assertEquals(503, h.status(), h.text());
    assertEquals(false, h.body().getBoolean("committed"));
    TestSupport.Resp b = t.send(buggy, "doomed-2", "d2", t.name("s"), "u");
    assertEquals(200, b.status(), b.text());
    assertEquals("accepted", b.body().getString("state"));
    assertEquals(404, t.call("GET", buggy.url() + "/messages/doomed-2", null, null).status()); // lost
  }

  @Test
  void ackBeforeCommitChangesOnlyTheOrderOnAKeyConflict() throws Exception {
    Node buggy = node(c -> c.bugs.add(Bug.ACK_BEFORE_COMMIT));
    String s = t.name("s");
    String id = t.name("m");
    TestSupport.Resp a = t.send(buggy, id, "k1", s, "u");
    TestSupport.Resp b = t.send(buggy, id, "k1", s, "u"); // a retry: the key names the message already
    assertEquals(200, a.status(), a.text());
    assertEquals(200, b.status(), b.text());
    assertEquals(a.body().getString("msg"), b.body().getString("msg"));
    TestSupport.Resp other = t.send(buggy, t.name("m"), "k1", s, "u"); // the key names another id: 409 as ever
    assertEquals(409, other.status(), other.text());
  }

  @Test
  void noIdempotencyKeyMakesARetryASecondMessage() throws Exception {
    Node buggy = node(c -> c.bugs.add(Bug.NO_IDEMPOTENCY_KEY));
    String s = t.name("s");
    String id = t.name("m");
    String a = t.send(buggy, id, "k1", s, "u").body().getString("msg");
    String b = t.send(buggy, id, "k1", s, "u").body().getString("msg");
    assertNotEquals(a, b);
    assertEquals(2, t.call("GET", buggy.url() + "/messages/" + id, null, null).body().getJsonArray("messages").size());
  }

  @Test
  void gatewayWriteIsDeliveredReportsDeliveredWithoutAnAck() throws Exception {
    Node buggy = node(c -> c.bugs.add(Bug.GATEWAY_WRITE_IS_DELIVERED));
    String sender = t.name("s");
    String user = t.name("u");
    t.register(buggy, user, "phone");
    TestSupport.Socket rec = t.receipts(buggy, sender);
    TestSupport.Socket dev = t.device(buggy, user, "phone");
    dev.ackIf = p -> false;
    String id = t.name("m");
    t.send(buggy, id, "k1", sender, user);
    await().atMost(Duration.ofSeconds(10)).until(() -> rec.ofType("receipt").stream()
        .anyMatch(j -> j.getString("state").equals("delivered")));
    assertTrue(dev.ofType("ack").isEmpty());
    assertEquals("delivered", t.firstDeliveryState(buggy, id));
    dev.close();
    rec.close();
  }

  @Test
  void noLeaseLetsTwoWorkersPushTheSameAttempt() throws Exception {
    Node buggy = node(c -> {
      c.bugs.add(Bug.NO_LEASE);
      c.guarantee = Guarantee.AT_LEAST_ONCE;
      c.workers = 2;
      c.maxAttempts = 20;
    });
    String user = t.name("u");
    t.register(buggy, user, "phone");
    TestSupport.Socket dev = t.device(buggy, user, "phone");
    dev.ackIf = p -> false;
    for (int i = 0; i < 5; i++) {
      t.send(buggy, "m" + i, "k" + i, t.name("s"), user);
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> {
      Map<String, Integer> perAttempt = new HashMap<>();
      for (JsonObject p : dev.ofType("push")) {
        perAttempt.merge(p.getString("msg") + "#" + p.getInteger("attempt"), 1, Integer::sum);
      }
      return perAttempt.values().stream().anyMatch(n -> n > 1);
    });
    assertTrue(buggy.metrics.duplicateAttempts.sum() > 0);
    dev.close();
  }

  @Test
  void honestWorkersNeverPushTheSameAttemptTwice() throws Exception {
    Node honest = node(c -> {
      c.guarantee = Guarantee.AT_LEAST_ONCE;
      c.workers = 2;
      c.maxAttempts = 6;
    });
    String user = t.name("u");
    t.register(honest, user, "phone");
    TestSupport.Socket dev = t.device(honest, user, "phone");
    dev.ackIf = p -> false;
    for (int i = 0; i < 5; i++) {
      t.send(honest, "m" + i, "k" + i, t.name("s"), user);
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> dev.ofType("push").size() == 5 * 6);
    assertEquals(0L, honest.metrics.duplicateAttempts.sum());
    dev.close();
  }

  @Test
  void noDeadLetterRetriesForever() throws Exception {
    Node buggy = node(c -> {
      c.bugs.add(Bug.NO_DEAD_LETTER);
      c.maxAttempts = 2;
      c.ackTimeoutMs = 100;
      c.backoffMaxMs = 100;
    });
    String sender = t.name("s");
    String user = t.name("u");
    t.register(buggy, user, "phone");
    TestSupport.Socket rec = t.receipts(buggy, sender);
    TestSupport.Socket dev = t.device(buggy, user, "phone");
    dev.ackIf = p -> false;
    String id = t.name("m");
    t.send(buggy, id, "k1", sender, user);
    await().atMost(Duration.ofSeconds(20)).until(() -> dev.ofType("push").size() >= 5);
    assertFalse(rec.ofType("receipt").stream().anyMatch(j -> j.getString("state").equals("failed")));
    assertEquals("pending", t.firstDeliveryState(buggy, id));
    dev.close();
    rec.close();
  }

  @Test
  void noBackoffRetriesImmediately() throws Exception {
    Node buggy = node(c -> {
      c.bugs.add(Bug.NO_BACKOFF);
      c.maxAttempts = 6;
      c.ackTimeoutMs = 1000;
    });
    String user = t.name("u");
    t.register(buggy, user, "phone");
    TestSupport.Socket dev = t.device(buggy, user, "phone");
    dev.ackIf = p -> false;
    long t0 = System.nanoTime();
    t.send(buggy, "m1", "k1", t.name("s"), user);
    await().atMost(Duration.ofSeconds(20)).until(() -> dev.ofType("push").size() >= 6);
    long ms = (System.nanoTime() - t0) / 1_000_000;
    // honest: five waits of at least the ack timeout (5 s); here a poll period each
    assertTrue(ms < 1000, "6 attempts took " + ms + " ms");
    // immediate retries may overtake each other on the way (seen: 1, 2, 3, 4, 6, 5): the attempts, not their order
    assertEquals(List.of(1, 2, 3, 4, 5, 6), dev.ofType("push").stream().map(j -> j.getInteger("attempt")).sorted().toList());
    dev.close();
  }
}
