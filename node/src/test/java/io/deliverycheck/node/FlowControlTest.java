package io.deliverycheck.node;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The retry policy against overload: a window of pushes awaiting acks per device, adaptive ack timeout. */
class FlowControlTest {
  static TestSupport t;

  @BeforeAll
  static void up() throws Exception {
    t = new TestSupport();
  }

  @AfterAll
  static void down() throws Exception {
    t.close();
  }

  private Node node(Consumer<NodeConfig> tweak) throws Exception {
    NodeConfig c = t.config(t.name("f"));
    tweak.accept(c);
    return t.start(c);
  }

  @Test
  void aDeviceGetsAtMostItsWindowUntilItAcks() throws Exception {
    Node n = node(c -> {
      c.maxInFlight = 3;
      c.ackTimeoutMs = 3000; // no slot times out while the test looks
      c.ackTimeoutMaxMs = 3000;
    });
    String user = t.name("u");
    t.register(n, user, "phone");
    TestSupport.Socket dev = t.device(n, user, "phone");
    dev.ackIf = p -> false;
    for (int i = 0; i < 8; i++) {
      assertEquals(200, t.send(n, "w" + i + user, "k" + i, t.name("s"), user).status());
    }
    // three pushes, then nothing more while none is acked (and none timed out)
    await().atMost(Duration.ofSeconds(10)).until(() -> dev.ofType("push").size() >= 3);
    await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5)).until(() -> dev.ofType("push").size() == 3);
    assertTrue(n.metrics.pushesHeld >= 0);
    // acking them frees the window: every message arrives, each pushed exactly once
    dev.ackIf = p -> true;
    for (JsonObject p : dev.ofType("push")) {
      dev.sendJson(new JsonObject().put("type", "ack").put("msg", p.getString("msg")).put("id", p.getString("id")));
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> dev.ofType("push").stream()
        .map(p -> p.getString("id")).distinct().count() == 8);
    Map<String, Long> perMsg = dev.ofType("push").stream()
        .collect(Collectors.groupingBy(p -> p.getString("id"), Collectors.counting()));
    assertEquals(List.of(1L), perMsg.values().stream().distinct().toList(), "pushes per message: " + perMsg);
    assertEquals(0L, n.metrics.duplicateAttempts.sum());
    dev.close();
  }

  @Test
  void aWindowSlotThatTimesOutIsFreedAndTheRowIsRetried() throws Exception {
    Node n = node(c -> {
      c.maxInFlight = 1;
      c.ackTimeoutMs = 200;
      c.ackTimeoutMaxMs = 200;
      c.maxAttempts = 3;
    });
    String user = t.name("u");
    t.register(n, user, "phone");
    TestSupport.Socket dev = t.device(n, user, "phone");
    dev.ackIf = p -> false; // never acks: the slot frees by timeout, retries keep coming
    t.send(n, "a" + user, "k1", t.name("s"), user);
    t.send(n, "b" + user, "k2", t.name("s"), user);
    await().atMost(Duration.ofSeconds(20)).until(() -> dev.ofType("push").size() >= 4);
    List<String> ids = dev.ofType("push").stream().map(p -> p.getString("id")).distinct().toList();
    assertEquals(2, ids.size(), "both messages pushed: " + ids);
    dev.close();
  }

  @Test
  void theAckTimeoutAdaptsToSlowAcks() throws Exception {
    Node n = node(c -> {
      c.ackTimeoutMs = 100;
      c.ackTimeoutMaxMs = 5000;
      c.pollMs = 200; // the least margin above the smoothed latency (robust to a loaded machine)
      c.backoffBaseMs = 10;
      c.backoffMaxMs = 10;
    });
    String user = t.name("u");
    t.register(n, user, "phone");
    TestSupport.Socket dev = t.device(n, user, "phone");
    java.util.concurrent.ScheduledExecutorService later = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
    try {
      // acks 400 ms after the push: longer than the configured 100 ms, so a fixed timeout would retry each
      dev.ackIf = p -> {
        later.schedule(() -> dev.sendJson(new JsonObject().put("type", "ack").put("msg", p.getString("msg"))
            .put("id", p.getString("id"))), 400, java.util.concurrent.TimeUnit.MILLISECONDS);
        return false;
      };
      for (int i = 0; i < 12; i++) {
        String id = "s" + i + user;
        t.send(n, id, "k" + i, t.name("s"), user);
        await().atMost(Duration.ofSeconds(20)).until(() -> "delivered".equals(t.firstDeliveryState(n, id)));
      }
      long timeout = n.metrics.ackTimeoutMs;
      assertTrue(timeout > 400, "adapted timeout " + timeout + " ms for 400 ms acks");
      // once adapted, a message is pushed once: the last ones saw no retry
      long before = n.metrics.attempts.sum();
      String id = "last" + user;
      t.send(n, id, "klast", t.name("s"), user);
      await().atMost(Duration.ofSeconds(20)).until(() -> "delivered".equals(t.firstDeliveryState(n, id)));
      assertEquals(1, n.metrics.attempts.sum() - before);
    } finally {
      later.shutdownNow();
      dev.close();
    }
  }
}
