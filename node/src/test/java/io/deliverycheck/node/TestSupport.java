package io.deliverycheck.node;

import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/** One shared PostgreSQL per test class, in-process nodes, and blocking HTTP/WebSocket clients. */
final class TestSupport implements AutoCloseable {
  private static final AtomicInteger IDS = new AtomicInteger();
  final EmbeddedPostgres pg;
  final String pgUrl;
  final List<Node> nodes = new ArrayList<>();
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  final String prefix = "t" + Long.toString(System.nanoTime() % 1_000_000_000L, 36);

  TestSupport() throws Exception {
    pg = EmbeddedPostgres.builder().setServerConfig("fsync", "on").setServerConfig("synchronous_commit", "on").start();
    pgUrl = "postgresql://postgres@localhost:" + pg.getPort() + "/postgres";
  }

  /** A unique name for this test run (users, nodes). */
  String name(String base) {
    return prefix + base + IDS.incrementAndGet();
  }

  NodeConfig config(String id) throws Exception {
    NodeConfig c = new NodeConfig();
    c.id = id;
    c.pgUrl = pgUrl;
    c.logDir = Path.of("target", "test-logs");
    c.seed = 42;
    c.ackTimeoutMs = 300;
    c.backoffBaseMs = 50;
    c.backoffMaxMs = 400;
    c.leaseMs = 1000;
    c.pollMs = 50;
    return c;
  }

  Node start(NodeConfig c) throws Exception {
    Node n = new Node(c);
    n.start();
    nodes.add(n);
    return n;
  }

  /** Starts k nodes that know each other and waits until each sees all k. */
  List<Node> cluster(int k, java.util.function.Consumer<NodeConfig> tweak) throws Exception {
    List<NodeConfig> cs = new ArrayList<>();
    List<Integer> ports = new ArrayList<>();
    for (int i = 0; i < k; i++) {
      NodeConfig c = config(name("n"));
      c.clusterPort = Database.freePort();
      ports.add(c.clusterPort);
      tweak.accept(c);
      cs.add(c);
    }
    List<Node> out = new ArrayList<>();
    for (NodeConfig c : cs) {
      List<String> peers = new ArrayList<>();
      for (int p : ports) {
        if (p != c.clusterPort) {
          peers.add("127.0.0.1:" + p);
        }
      }
      c.peers = String.join(",", peers);
      out.add(start(c));
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> out.stream().allMatch(n -> n.view().size() == k));
    return out;
  }

  void sql(String statement) throws Exception {
    try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
      s.execute(statement);
    }
  }

  /** HTTP status and JSON body. */
  record Resp(int status, JsonObject body, String text) {}

  /** The state of the first delivery row of message {@code id}, from {@code GET /messages/{id}}. */
  String firstDeliveryState(Node n, String id) throws Exception {
    return call("GET", n.url() + "/messages/" + id, null, n.cfg.token).body()
        .getJsonArray("deliveries").getJsonObject(0).getString("state");
  }

  Resp call(String method, String url, String body, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    JsonObject j = null;
    try {
      j = new JsonObject(r.body());
    } catch (RuntimeException e) {
      // not JSON (metrics)
    }
    return new Resp(r.statusCode(), j, r.body());
  }

  Resp register(Node n, String user, String device) throws Exception {
    return call("PUT", n.url() + "/users/" + user + "/devices/" + device, null, n.cfg.token);
  }

  Resp send(Node n, String id, String key, String from, String... to) throws Exception {
    JsonObject b = new JsonObject().put("id", id).put("key", key).put("from", from)
        .put("to", new io.vertx.core.json.JsonArray(List.of(to)));
    return call("POST", n.url() + "/messages", b.encode(), n.cfg.token);
  }

  /** A device (or receipt subscriber) socket recording everything it receives. */
  final class Socket implements WebSocket.Listener {
    final List<JsonObject> received = new CopyOnWriteArrayList<>();
    /** Client ids of messages whose effect was applied (one entry per application). */
    final List<String> applied = new CopyOnWriteArrayList<>();
    final java.util.Set<String> seen = java.util.concurrent.ConcurrentHashMap.newKeySet();
    volatile boolean dedup;
    volatile Predicate<JsonObject> ackIf = p -> true;
    private final StringBuilder partial = new StringBuilder();
    /**
     * Set in {@link #onOpen}, before any frame is delivered: a push written right after the upgrade (the
     * claim on connect) can arrive before {@code buildAsync} returns, and an ack of it through a field set
     * only by the caller threw (null), so the listener stopped requesting frames (ModesTest's "first push"
     * flake: no later push ever arrived).
     */
    volatile WebSocket ws;

    @Override
    public void onOpen(WebSocket w) {
      ws = w;
      w.request(1);
    }

    @Override
    public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        JsonObject j = new JsonObject(partial.toString());
        partial.setLength(0);
        received.add(j);
        if ("push".equals(j.getString("type"))) {
          if (!dedup || seen.add(j.getString("msg"))) {
            applied.add(j.getString("id"));
          }
          if (ackIf.test(j)) {
            sendJson(new JsonObject().put("type", "ack").put("msg", j.getString("msg")).put("id", j.getString("id")));
          }
        }
      }
      w.request(1);
      return null;
    }

    synchronized void sendJson(JsonObject j) {
      ws.sendText(j.encode(), true).join();
    }

    List<JsonObject> ofType(String type) {
      return received.stream().filter(j -> type.equals(j.getString("type"))).toList();
    }

    void close() {
      ws.abort();
    }
  }

  Socket connect(Node n, String path) throws Exception {
    Socket s = new Socket();
    String url = n.url().replace("http://", "ws://") + path
        + (n.cfg.token != null ? (path.contains("?") ? "&" : "?") + "token=" + n.cfg.token : "");
    http.newWebSocketBuilder().buildAsync(URI.create(url), s).get(10, java.util.concurrent.TimeUnit.SECONDS);
    return s;
  }

  Socket device(Node n, String user, String device) throws Exception {
    Socket s = connect(n, "/devices/" + user + "/" + device);
    // the session row is written asynchronously after the handshake
    await().atMost(Duration.ofSeconds(10)).until(() -> n.dir.gateway(user, device) != null);
    return s;
  }

  /** The receipts of sender {@code user} from its first (?after=0). */
  Socket receipts(Node n, String user) throws Exception {
    return receipts(n, user, "?after=0");
  }

  Socket receipts(Node n, String user, String query) throws Exception {
    Socket s = connect(n, "/receipts/" + user + query);
    await().atMost(Duration.ofSeconds(10)).until(() -> nodes.stream()
        .filter(x -> !x.isClosed() && n.view().contains(x.id()))
        .allMatch(x -> !x.dir.nodes(Directory.receiptKey(user)).isEmpty()));
    return s;
  }

  @Override
  public void close() throws Exception {
    for (Node n : nodes) {
      n.close();
    }
    pg.close();
  }

  static Path tempDir() throws Exception {
    return Files.createTempDirectory(Path.of("target"), "node");
  }
}
