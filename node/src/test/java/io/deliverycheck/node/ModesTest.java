package io.deliverycheck.node;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What each --guarantee does differently: retries, keys, dead letters. */
class ModesTest {
  static TestSupport t;

  @BeforeAll
  static void up() throws Exception {
    t = new TestSupport();
  }

  @AfterAll
  static void down() throws Exception {
    t.close();
  }

  @Test
  void atLeastOnceRedeliversAndKeepsKeys() throws Exception {
    NodeConfig c = t.config(t.name("alo"));
    c.guarantee = Guarantee.AT_LEAST_ONCE;
    Node n = t.start(c);
    String user = t.name("u");
    t.register(n, user, "phone");
    TestSupport.Socket dev = t.device(n, user, "phone");
    dev.ackIf = p -> p.getInteger("attempt") >= 2; // forced redelivery: the first ack never comes
    assertEquals(200, t.send(n, "m1", "k1", t.name("s"), user).status());
    await().atMost(Duration.ofSeconds(10)).until(() -> dev.ofType("acked").size() == 1);
    // no dedup in at-least-once: the effect happened at least twice (more when an ack is slower than
    // the ack timeout, as under load: the count is not the point)
    org.junit.jupiter.api.Assertions.assertTrue(dev.applied.size() >= 2, dev.applied.toString());
    assertEquals(java.util.Set.of("m1"), java.util.Set.copyOf(dev.applied));
    String sender = t.name("s");
    String a = t.send(n, "m2", "k2", sender, user).body().getString("msg");
    String b = t.send(n, "m2", "k2", sender, user).body().getString("msg");
    assertEquals(a, b); // a retry (same sender and key) is the same message: no second server message
    dev.close();
  }

  @Test
  void atMostOncePushesOnceAndNeverRetries() throws Exception {
    NodeConfig c = t.config(t.name("amo"));
    c.guarantee = Guarantee.AT_MOST_ONCE;
    Node n = t.start(c);
    String user = t.name("u");
    t.register(n, user, "phone");
    // sent while the device is offline: pushed once when it connects
    assertEquals(200, t.send(n, "m1", "k1", t.name("s"), user).status());
    TestSupport.Socket dev = t.device(n, user, "phone");
    dev.ackIf = p -> false;
    await().atMost(Duration.ofSeconds(10)).until(() -> dev.ofType("push").size() == 1);
    assertEquals(200, t.send(n, "m2", "k2", t.name("s"), user).status());
    await().atMost(Duration.ofSeconds(10)).until(() -> dev.ofType("push").size() == 2);
    // several ack timeouts and polls later, still no retry
    long until = System.currentTimeMillis() + 3 * c.ackTimeoutMs;
    await().atMost(Duration.ofSeconds(10)).until(() -> System.currentTimeMillis() > until);
    assertEquals(2, dev.ofType("push").size());
    assertEquals(0L, n.metrics.retries.sum());
    dev.close();
  }

  @Test
  void poisonMessageIsDeadLetteredWithoutDelayingOthers() throws Exception {
    NodeConfig c = t.config(t.name("dl"));
    c.maxAttempts = 3;
    Node n = t.start(c);
    String sender = t.name("s");
    String user = t.name("u");
    t.register(n, user, "phone");
    TestSupport.Socket rec = t.receipts(n, sender);
    TestSupport.Socket dev = t.device(n, user, "phone");
    dev.ackIf = p -> !p.getString("id").equals("poison");
    assertEquals(200, t.send(n, "poison", "kp", sender, user).status());
    await().atMost(Duration.ofSeconds(10)).until(() -> dev.ofType("push").size() == 1);
    for (int i = 0; i < 5; i++) {
      String id = "m" + i;
      assertEquals(200, t.send(n, id, "k" + i, sender, user).status());
      await().atMost(Duration.ofSeconds(10)).until(() -> dev.ofType("acked").stream().anyMatch(j -> id.equals(j.getString("id"))));
      // not queued behind the poison: its first push is attempt 1, made right after its own accept
      // (an outcome, not a time: a wall-clock bound here failed under a load of 20)
      JsonObject first = dev.ofType("push").stream().filter(j -> id.equals(j.getString("id"))).findFirst().orElseThrow();
      assertEquals(1, first.getInteger("attempt"), first.encode());
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> rec.ofType("receipt").stream()
        .anyMatch(j -> j.getString("id").equals("poison") && j.getString("state").equals("failed")));
    assertEquals(3, dev.ofType("push").stream().filter(j -> j.getString("id").equals("poison")).count());
    String metrics = t.call("GET", n.url() + "/metrics", null, null).text();
    org.junit.jupiter.api.Assertions.assertTrue(metrics.contains("\ndeliverycheck_dead_letter_depth "), metrics);
    assertEquals("failed", t.firstDeliveryState(n, "poison"));
    dev.close();
    rec.close();
  }

  @Test
  void acceptIsDurableAcrossACrashOfNodeAndDatabase() throws Exception {
    java.nio.file.Path data = TestSupport.tempDir();
    NodeConfig c = t.config(t.name("dur"));
    c.pgUrl = null;
    c.dataDir = data;
    Node n = new Node(c);
    n.start();
    String user = t.name("u");
    t.register(n, user, "phone");
    assertEquals(200, t.send(n, "m1", "k1", t.name("s"), user).status());
    // crash: SIGKILL the embedded postmaster, drop the node without any cleanup
    long pid = Long.parseLong(java.nio.file.Files.readAllLines(data.resolve("pg/postmaster.pid")).get(0).trim());
    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
    n.kill();
    NodeConfig c2 = t.config(c.id);
    c2.pgUrl = null;
    c2.dataDir = data;
    Node again = t.start(c2);
    TestSupport.Socket dev = t.device(again, user, "phone");
    await().atMost(Duration.ofSeconds(10)).until(() -> dev.ofType("acked").size() == 1);
    assertEquals(List.of("m1"), dev.applied);
    dev.close();
  }
}
