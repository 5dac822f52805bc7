package io.deliverycheck.node;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

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
  void atLeastOnceRedeliversAndIgnoresKeys() throws Exception {
    NodeConfig c = t.config(t.name("alo"));
    c.guarantee = Guarantee.AT_LEAST_ONCE;
    Node n = t.start(c);
    String user = t.name("u");
    t.register(n, user, "phone");
    TestSupport.Socket dev = t.device(n, user, "phone");
    dev.ackIf = p -> p.getInteger("attempt") >= 2; // forced redelivery: the first ack never comes
    assertEquals(200, t.send(n, "m1", "k1", t.name("s"), user).status());
    await().atMost(Duration.ofSeconds(10)).until(() -> dev.ofType("acked").size() == 1);
    assertEquals(List.of("m1", "m1"), dev.applied); // no dedup in at-least-once: the effect happened twice
    String a = t.send(n, "m2", "k2", t.name("s"), user).body().getString("msg");
    String b = t.send(n, "m2", "k2", t.name("s"), user).body().getString("msg");
    assertNotEquals(a, b); // the key is ignored: a retry is a second message
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
    long oneStep = c.ackTimeoutMs + c.backoffBaseMs;
    for (int i = 0; i < 5; i++) {
      long t0 = System.nanoTime();
      String id = "m" + i;
      assertEquals(200, t.send(n, id, "k" + i, sender, user).status());
      await().atMost(Duration.ofSeconds(10)).until(() -> dev.ofType("acked").stream().anyMatch(j -> id.equals(j.getString("id"))));
      long ms = (System.nanoTime() - t0) / 1_000_000;
      org.junit.jupiter.api.Assertions.assertTrue(ms < oneStep, id + " took " + ms + " ms");
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
