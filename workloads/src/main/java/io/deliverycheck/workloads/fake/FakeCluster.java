package io.deliverycheck.workloads.fake;

import io.deliverycheck.checker.Guarantee;
import io.deliverycheck.checker.history.Recorder;
import io.deliverycheck.checker.runner.Environment;
import io.deliverycheck.checker.runner.Grudge;
import io.deliverycheck.checker.runner.ClientDisconnectable;
import io.deliverycheck.checker.runner.DatabaseRestartable;
import io.deliverycheck.checker.runner.Killable;
import io.deliverycheck.checker.runner.LinkDelayable;
import io.deliverycheck.checker.runner.Partitionable;
import io.deliverycheck.checker.runner.Pausable;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * An in-process fake of the reference cluster for fast tests and demos: N HTTP/WebSocket servers
 * speaking Contract 2 over one shared in-memory store (no JGroups, no PostgreSQL). It honours the
 * delivery protocol closely enough to be judged: accepted after "commit", idempotent keys
 * (except at-least-once), retries without ack (at-least-once and exactly-once), dead letters after
 * 8 attempts, receipts only when true. Faults: kill closes a node's server and its sockets, pause
 * stops a node from answering, a database restart answers 503 "not committed" for 300 ms, link
 * delay slows answers, device disconnect closes a node's client sockets; partitions are recorded
 * but have no effect (the store is shared).
 *
 * <p>Planted bugs for the harness's own tests: {@code lose-accepted} (every 7th accepted message
 * gets no delivery rows: lost), {@code false-delivered} (the delivered receipt is sent at push time).
 * All state lives on one Vert.x context.
 */
public final class FakeCluster implements Environment, Killable, Pausable, Partitionable,
    DatabaseRestartable, LinkDelayable, ClientDisconnectable {
  private static final int MAX_ATTEMPTS = 8;
  private static final long ACK_TIMEOUT_MS = 400;

  private final List<String> names = new ArrayList<>();
  private final Guarantee guarantee;
  private final Set<String> bugs;
  private final Map<String, Node> nodes = new LinkedHashMap<>();
  private final Map<String, Set<String>> registered = new HashMap<>();
  private final Map<String, Msg> byKey = new HashMap<>();
  private final Set<Delivery> pending = new LinkedHashSet<>();
  private final Map<String, Delivery> byMsgDevice = new HashMap<>();
  private final Map<String, Conn> devices = new HashMap<>();
  private final Map<String, List<Conn>> receipts = new HashMap<>();
  private Vertx vertx;
  private Context ctx;
  private long accepted;
  private long deadLetters;
  private boolean dbDown;
  private long delayMs;
  private Path log;

  private static final class Node {
    final String name;
    HttpServer server;
    int port;
    boolean up;
    boolean paused;

    Node(String name) {
      this.name = name;
    }
  }

  private record Conn(ServerWebSocket ws, String node) {}

  private static final class Msg {
    String msg;
    String id;
    String from;
    final List<Delivery> deliveries = new ArrayList<>();
  }

  private static final class Delivery {
    Msg m;
    String user;
    String device;
    String state = "pending";
    int attempts;
    long dueMs;
  }

  public FakeCluster(int nodeCount, Guarantee guarantee, Set<String> bugs) {
    for (int i = 1; i <= nodeCount; i++) {
      names.add("n" + i);
    }
    this.guarantee = guarantee;
    this.bugs = Set.copyOf(bugs);
  }

  @Override
  public void setup(Path runDir, Recorder rec) throws Exception {
    vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1));
    ctx = vertx.getOrCreateContext();
    log = runDir.resolve("logs").resolve("fake-cluster.log");
    Files.createDirectories(log.getParent());
    Files.writeString(log, "fake cluster: " + names + " " + guarantee.wire() + " bugs=" + bugs + "\n");
    for (String n : names) {
      nodes.put(n, new Node(n));
    }
    on(() -> {
      vertx.setPeriodic(20, t -> work());
      return null;
    });
    for (String n : names) {
      listen(nodes.get(n), 0);
    }
  }

  private void listen(Node node, int port) throws Exception {
    int bound = onFuture(() -> {
      HttpServer s = vertx.createHttpServer();
      s.webSocketHandler(ws -> socket(node, ws));
      s.requestHandler(r -> request(node, r));
      node.server = s;
      return s.listen(port, "127.0.0.1").map(HttpServer::actualPort);
    });
    on(() -> {
      node.port = bound;
      node.up = true;
      return null;
    });
  }

  // ---------------------------------------------------------------- HTTP

  private void request(Node node, HttpServerRequest r) {
    if (node.paused) {
      return;
    }
    String path = r.path();
    if (path.equals("/health")) {
      r.response().setStatusCode(dbDown ? 503 : 200).end(new JsonObject().put("id", node.name)
          .put("view", new JsonArray(new ArrayList<>(upNodes()))).put("db", dbDown ? "down" : "up").encode());
    } else if (path.equals("/metrics")) {
      r.response().putHeader("Content-Type", "text/plain").end(
          "# TYPE deliverycheck_backlog gauge\ndeliverycheck_backlog " + pending.size() + "\n"
          + "deliverycheck_messages_accepted_total " + accepted + "\n"
          + "deliverycheck_dead_letter_depth " + deadLetters + "\n");
    } else if (path.startsWith("/users/") && r.method().name().equals("PUT")) {
      String[] p = path.split("/");
      if (p.length != 5 || !p[3].equals("devices")) {
        r.response().setStatusCode(404).end("{\"error\":\"no such path\"}");
        return;
      }
      registered.computeIfAbsent(p[2], u -> new LinkedHashSet<>()).add(p[4]);
      r.response().end("{}");
    } else if (path.equals("/messages") && r.method().name().equals("POST")) {
      r.body().onSuccess(b -> vertx.setTimer(1 + delayMs, t -> send(node, r, b.toJsonObject())));
    } else {
      r.response().setStatusCode(404).end("{\"error\":\"no such path\"}");
    }
  }

  private void send(Node node, HttpServerRequest r, JsonObject body) {
    if (!node.up || node.paused) {
      return;
    }
    if (dbDown) {
      r.response().setStatusCode(503).end("{\"error\":\"database unavailable\",\"committed\":false}");
      return;
    }
    String from = body.getString("from");
    String key = body.getString("key");
    String fk = from + "\u0000" + key;
    Msg m = guarantee == Guarantee.AT_LEAST_ONCE ? null : byKey.get(fk);
    if (m == null) {
      m = new Msg();
      m.msg = "s" + (++accepted);
      m.id = body.getString("id");
      m.from = from;
      byKey.put(fk, m);
      boolean lose = bugs.contains("lose-accepted") && accepted % 7 == 3;
      for (Object to : body.getJsonArray("to", new JsonArray())) {
        for (String d : registered.getOrDefault((String) to, Set.of())) {
          Delivery dl = new Delivery();
          dl.m = m;
          dl.user = (String) to;
          dl.device = d;
          m.deliveries.add(dl);
          if (!lose) {
            pending.add(dl);
            byMsgDevice.put(m.msg + "/" + dl.user + "/" + d, dl);
          }
        }
      }
    }
    JsonArray owed = new JsonArray();
    m.deliveries.forEach(d -> owed.add(new JsonObject().put("recipient", d.user).put("device", d.device)));
    r.response().end(new JsonObject().put("msg", m.msg).put("id", m.id).put("state", "accepted")
        .put("owed", owed).encode());
  }

  // ---------------------------------------------------------------- WebSockets

  private void socket(Node node, ServerWebSocket ws) {
    String[] p = ws.path().split("/");
    if (p.length == 4 && p[1].equals("devices")) {
      String dk = p[2] + "/" + p[3];
      Conn c = new Conn(ws, node.name);
      Conn old = devices.put(dk, c);
      if (old != null) {
        old.ws.close();
      }
      ws.closeHandler(v -> devices.remove(dk, c));
      ws.textMessageHandler(t -> deviceMessage(node, p[2], p[3], ws, new JsonObject(t)));
    } else if (p.length == 3 && p[1].equals("receipts")) {
      Conn c = new Conn(ws, node.name);
      receipts.computeIfAbsent(p[2], u -> new ArrayList<>()).add(c);
      ws.closeHandler(v -> receipts.getOrDefault(p[2], new ArrayList<>()).remove(c));
    } else {
      ws.close((short) 1008, "no such path");
    }
  }

  private void deviceMessage(Node node, String user, String device, ServerWebSocket ws, JsonObject j) {
    if (node.paused || !node.up) {
      return;
    }
    String msg = j.getString("msg");
    Delivery d = byMsgDevice.get(msg + "/" + user + "/" + device);
    String type = j.getString("type");
    JsonObject err = new JsonObject().put("type", "error").put("op", type).put("msg", msg).put("id", j.getString("id"));
    if (d == null) {
      ws.writeTextMessage(err.put("error", "unknown delivery").encode());
    } else if (type.equals("ack")) {
      if (dbDown) {
        ws.writeTextMessage(err.put("error", "database unavailable").encode());
        return;
      }
      if (d.state.equals("pending")) {
        d.state = "delivered";
        pending.remove(d);
        if (!bugs.contains("false-delivered")) {
          receipt(d, "delivered");
        }
      }
      ws.writeTextMessage(new JsonObject().put("type", "acked").put("msg", msg).put("id", d.m.id).encode());
    } else if (type.equals("read")) {
      if (d.state.equals("delivered")) {
        d.state = "read";
        receipt(d, "read");
      }
      if (d.state.equals("read")) {
        ws.writeTextMessage(new JsonObject().put("type", "read-ok").put("msg", msg).put("id", d.m.id).encode());
      } else {
        ws.writeTextMessage(err.put("error", "not delivered").encode());
      }
    }
  }

  private void receipt(Delivery d, String state) {
    JsonObject r = new JsonObject().put("type", "receipt").put("msg", d.m.msg).put("id", d.m.id)
        .put("recipient", d.user).put("device", d.device).put("state", state);
    for (Conn c : receipts.getOrDefault(d.m.from, List.of())) {
      if (nodes.get(c.node).up && !nodes.get(c.node).paused) {
        c.ws.writeTextMessage(r.encode());
      }
    }
  }

  /** The delivery worker: push due rows to connected devices; retry; dead-letter. */
  private void work() {
    long now = System.currentTimeMillis();
    if (dbDown) {
      return;
    }
    for (Iterator<Delivery> it = pending.iterator(); it.hasNext(); ) {
      Delivery d = it.next();
      if (d.dueMs > now) {
        continue;
      }
      if (d.attempts >= MAX_ATTEMPTS || (guarantee == Guarantee.AT_MOST_ONCE && d.attempts >= 1)) {
        it.remove();
        d.state = "failed";
        deadLetters++;
        receipt(d, "failed");
        continue;
      }
      Conn c = devices.get(d.user + "/" + d.device);
      if (c == null || !nodes.get(c.node).up || nodes.get(c.node).paused) {
        d.dueMs = now + 50;
        continue;
      }
      d.attempts++;
      d.dueMs = now + (guarantee == Guarantee.AT_MOST_ONCE ? 60_000 : ACK_TIMEOUT_MS * d.attempts);
      c.ws.writeTextMessage(new JsonObject().put("type", "push").put("msg", d.m.msg).put("id", d.m.id)
          .put("from", d.m.from).put("recipient", d.user).put("device", d.device)
          .put("attempt", d.attempts).encode());
      if (bugs.contains("false-delivered") && d.attempts == 1) {
        receipt(d, "delivered");
      }
    }
  }

  private Set<String> upNodes() {
    Set<String> s = new LinkedHashSet<>();
    nodes.values().stream().filter(n -> n.up && !n.paused).forEach(n -> s.add(n.name));
    return s;
  }

  // ---------------------------------------------------------------- Environment

  @Override
  public List<String> nodes() {
    return List.copyOf(names);
  }

  @Override
  public URI clientEndpoint(String node) {
    return URI.create("http://127.0.0.1:" + nodes.get(node).port);
  }

  @Override
  public URI adminEndpoint(String node) {
    return clientEndpoint(node);
  }

  @Override
  public void kill(String node) throws Exception {
    Node n = nodes.get(node);
    onFuture(() -> {
      if (!n.up) {
        return Future.succeededFuture();
      }
      n.up = false;
      closeSockets(node);
      return n.server.close();
    });
  }

  @Override
  public void restart(String node) throws Exception {
    Node n = nodes.get(node);
    if (on(() -> n.up)) {
      return;
    }
    listen(n, n.port);
  }

  @Override
  public void pause(String node) throws Exception {
    on(() -> nodes.get(node).paused = true);
  }

  @Override
  public void resume(String node) throws Exception {
    on(() -> nodes.get(node).paused = false);
  }

  /** The nodes only: the fake has no database to isolate. */
  @Override
  public List<String> partitionMembers() {
    return List.copyOf(names);
  }

  @Override
  public void partition(Grudge grudge) {
    // one shared store: a partition between fake nodes changes nothing
  }

  @Override
  public void heal() {
  }

  @Override
  public void restartDatabase() throws Exception {
    on(() -> dbDown = true);
    Thread.sleep(300);
    on(() -> dbDown = false);
  }

  @Override
  public void delayLinks(Duration delay) throws Exception {
    on(() -> delayMs = delay.toMillis());
  }

  @Override
  public void clearDelay() throws Exception {
    on(() -> delayMs = 0);
  }

  @Override
  public void disconnectClients(String node) throws Exception {
    on(() -> {
      closeSockets(node);
      return null;
    });
  }

  private void closeSockets(String node) {
    new ArrayList<>(devices.values()).stream().filter(c -> c.node.equals(node)).forEach(c -> c.ws.close());
    receipts.values().forEach(l -> new ArrayList<>(l).stream().filter(c -> c.node.equals(node)).forEach(c -> c.ws.close()));
  }

  /**
   * The fake's redelivery horizon: attempt {@code k} is retried {@code k} ack timeouts later, so
   * after the last of {@value #MAX_ATTEMPTS} attempts nothing is pushed again: at most
   * {@code MAX_ATTEMPTS * ACK_TIMEOUT_MS} between two pushes of one row, or between the last push
   * and its dead letter.
   */
  @Override
  public Duration retryHorizon() {
    return Duration.ofMillis(MAX_ATTEMPTS * ACK_TIMEOUT_MS);
  }

  @Override
  public List<Path> logs() {
    return log == null ? List.of() : List.of(log);
  }

  @Override
  public void close() {
    Vertx v = vertx;
    vertx = null;
    if (v != null) {
      try {
        v.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        // event loops are daemon threads
      }
    }
  }

  private <T> T on(Callable<T> c) throws Exception {
    return onFuture(() -> Future.succeededFuture(c.call()));
  }

  private <T> T onFuture(Callable<Future<T>> c) throws Exception {
    Promise<T> p = Promise.promise();
    ctx.runOnContext(v -> {
      try {
        c.call().onComplete(p);
      } catch (Exception e) {
        p.fail(e);
      }
    });
    return p.future().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
