package io.deliverycheck.node;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** One node against a shared PostgreSQL: the API, receipts, idempotency, device dedup. */
class NodeApiTest {
  static TestSupport t;
  static Node node;

  @BeforeAll
  static void up() throws Exception {
    t = new TestSupport();
    NodeConfig c = t.config(t.name("api"));
    c.token = "s3cret";
    node = t.start(c);
  }

  @AfterAll
  static void down() throws Exception {
    t.close();
  }

  @Test
  void tokenIsRequiredAndBadJsonIs400() throws Exception {
    TestSupport.Resp r = t.call("GET", node.url() + "/health", null, null);
    assertEquals(401, r.status());
    assertTrue(r.body().getString("error").contains("token"));
    r = t.call("GET", node.url() + "/health?token=s3cret", null, null);
    assertEquals(200, r.status());
    assertEquals("up", r.body().getString("db"));
    r = t.call("POST", node.url() + "/messages", "{not json", "s3cret");
    assertEquals(400, r.status());
    assertTrue(r.body().getString("error").startsWith("body is not a JSON object"), r.text());
    r = t.call("POST", node.url() + "/messages", "{\"id\":\"m\",\"from\":\"u\",\"to\":[]}", "s3cret");
    assertEquals(400, r.status());
    r = t.call("POST", node.url() + "/messages", "[1,2]", "s3cret");
    assertEquals(400, r.status());
    r = t.call("GET", node.url() + "/messages/nope-" + t.prefix, null, "s3cret");
    assertEquals(404, r.status());
    assertTrue(r.body().containsKey("error"));
    r = t.call("DELETE", node.url() + "/nothing", null, "s3cret");
    assertEquals(404, r.status());
    assertTrue(r.body().containsKey("error"));
    assertEquals(401, t.http.send(java.net.http.HttpRequest.newBuilder(
        java.net.URI.create(node.url() + "/metrics")).build(), java.net.http.HttpResponse.BodyHandlers.ofString())
        .statusCode());
    String metrics = t.call("GET", node.url() + "/metrics", null, "s3cret").text();
    for (String name : List.of("deliverycheck_messages_accepted_total", "deliverycheck_delivery_attempts_total",
        "deliverycheck_delivery_retries_total", "deliverycheck_duplicate_delivery_attempts_total",
        "deliverycheck_ack_latency_seconds_bucket", "deliverycheck_oldest_undelivered_age_seconds",
        "deliverycheck_backlog", "deliverycheck_dead_letter_depth", "deliverycheck_receipt_lag_seconds_count",
        "deliverycheck_gateway_push_failures_total", "deliverycheck_deliveries_uncertain")) {
      assertTrue(metrics.contains("\n" + name), name);
    }
  }

  @Test
  void pushAckReadAndReceiptsInOrder() throws Exception {
    String sender = t.name("s");
    String user = t.name("u");
    t.register(node, user, "phone");
    TestSupport.Socket rec = t.receipts(node, sender);
    TestSupport.Socket dev = t.device(node, user, "phone");
    TestSupport.Resp r = t.send(node, "m1", "k1", sender, user);
    assertEquals(200, r.status(), r.text());
    assertEquals("accepted", r.body().getString("state"));
    assertEquals(new JsonObject().put("recipient", user).put("device", "phone"), r.body().getJsonArray("owed").getJsonObject(0));
    String msg = r.body().getString("msg");
    await().atMost(Duration.ofSeconds(10)).until(() -> dev.ofType("acked").size() == 1);
    JsonObject push = dev.ofType("push").get(0);
    assertEquals(msg, push.getString("msg"));
    assertEquals("m1", push.getString("id"));
    assertEquals(sender, push.getString("from"));
    assertEquals(1, push.getInteger("attempt"));
    await().atMost(Duration.ofSeconds(10)).until(() -> rec.ofType("receipt").size() == 2);
    // a read after delivery is accepted, then a read receipt follows
    dev.sendJson(new JsonObject().put("type", "read").put("msg", msg).put("id", "m1"));
    await().atMost(Duration.ofSeconds(10)).until(() -> rec.ofType("receipt").size() == 3);
    List<String> states = rec.ofType("receipt").stream().map(j -> j.getString("state")).toList();
    assertEquals(List.of("accepted", "delivered", "read"), states);
    assertEquals(1, dev.ofType("read-ok").size());
    JsonObject status = t.call("GET", node.url() + "/messages/m1", null, "s3cret").body();
    assertEquals("read", status.getJsonArray("deliveries").getJsonObject(0).getString("state"));
    dev.close();
    rec.close();
  }

  @Test
  void readBeforeDeliveryIsRefusedAndNoReceiptPrecedesItsEvent() throws Exception {
    String sender = t.name("s");
    String user = t.name("u");
    t.register(node, user, "phone");
    TestSupport.Socket rec = t.receipts(node, sender);
    TestSupport.Socket dev = t.device(node, user, "phone");
    dev.ackIf = p -> false;
    TestSupport.Resp r = t.send(node, "m2", "k2", sender, user);
    String msg = r.body().getString("msg");
    await().atMost(Duration.ofSeconds(10)).until(() -> dev.ofType("push").size() >= 1);
    dev.sendJson(new JsonObject().put("type", "read").put("msg", msg).put("id", "m2"));
    await().atMost(Duration.ofSeconds(10)).until(() -> dev.ofType("error").size() == 1);
    assertEquals("not delivered", dev.ofType("error").get(0).getString("error"));
    assertEquals("read", dev.ofType("error").get(0).getString("op"));
    // only 'accepted' so far: no delivered receipt without the device's ack
    assertEquals(List.of("accepted"), rec.ofType("receipt").stream().map(j -> j.getString("state")).toList());
    dev.sendJson(new JsonObject().put("type", "ack").put("msg", msg).put("id", "m2"));
    await().atMost(Duration.ofSeconds(10)).until(() -> rec.ofType("receipt").size() == 2);
    assertEquals("delivered", rec.ofType("receipt").get(1).getString("state"));
    dev.close();
    rec.close();
  }

  @Test
  void sameKeySentTenTimesConcurrentlyMakesOneMessage() throws Exception {
    String sender = t.name("s");
    String user = t.name("u");
    t.register(node, user, "phone");
    t.register(node, user, "laptop");
    ExecutorService pool = Executors.newFixedThreadPool(10);
    try {
      List<Future<TestSupport.Resp>> fs = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        fs.add(pool.submit(() -> t.send(node, "m3", "k3", sender, user)));
      }
      Set<String> msgs = new HashSet<>();
      for (Future<TestSupport.Resp> f : fs) {
        TestSupport.Resp r = f.get();
        assertEquals(200, r.status(), r.text());
        assertEquals(2, r.body().getJsonArray("owed").size());
        msgs.add(r.body().getString("msg"));
      }
      assertEquals(1, msgs.size());
      JsonObject status = t.call("GET", node.url() + "/messages/m3", null, "s3cret").body();
      assertEquals(1, status.getJsonArray("messages").size());
      assertEquals(2, status.getJsonArray("deliveries").size());
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void exactlyOnceDeviceDedupsARedeliveredPush() throws Exception {
    String sender = t.name("s");
    String user = t.name("u");
    t.register(node, user, "phone");
    TestSupport.Socket dev = t.device(node, user, "phone");
    dev.dedup = true;
    dev.ackIf = p -> p.getInteger("attempt") >= 2; // the first ack is "lost": forced redelivery
    TestSupport.Resp r = t.send(node, "m4", "k4", sender, user);
    assertEquals(200, r.status());
    await().atMost(Duration.ofSeconds(10)).until(() -> dev.ofType("acked").size() == 1);
    assertEquals(2, dev.ofType("push").size());
    assertEquals(dev.ofType("push").get(0).getString("msg"), dev.ofType("push").get(1).getString("msg"));
    assertEquals(List.of("m4"), dev.applied);
    dev.close();
  }

  @Test
  void unknownAckIsAnError() throws Exception {
    String user = t.name("u");
    t.register(node, user, "phone");
    TestSupport.Socket dev = t.device(node, user, "phone");
    dev.sendJson(new JsonObject().put("type", "ack").put("msg", "no-such").put("id", "x"));
    dev.sendJson(new JsonObject().put("type", "dance"));
    await().atMost(Duration.ofSeconds(10)).until(() -> dev.ofType("error").size() == 2);
    assertFalse(dev.ofType("error").get(0).getString("error").isEmpty());
    dev.close();
  }
}
