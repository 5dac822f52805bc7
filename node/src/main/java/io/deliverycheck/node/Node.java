package io.deliverycheck.node;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.FileHandler;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One node of the reference cluster: store (PostgreSQL), membership and forwarding (JGroups), the
 * HTTP/WebSocket API (Contract 2) and the delivery workers. {@link #start} blocks until the node
 * serves; {@link #close} stops it gracefully, {@link #kill} abruptly (no cleanup, leases stay until
 * they expire). All protocol state lives on one Vert.x context.
 */
public final class Node implements AutoCloseable {
  final NodeConfig cfg;
  final Logger log;
  final Metrics metrics = new Metrics();
  final Directory dir;
  private final Random jitter;
  /** The adaptive ack timeout of this node (as a gateway); event-loop confined. */
  final AckClock ackClock;
  private final String idPrefix;
  private long msgSeq;
  private long connSeq;
  private Handler logHandler;
  private Database db;
  private Vertx vertx;
  private Context ctx;
  private Pool pool;
  private Store store;
  private GroupCommit<Store.AcceptReq, Store.Accepted> acceptGroup;
  private GroupCommit<Store.AckReq, Store.Outcome> ackGroup;
  private GroupCommit<Store.AckReq, Store.Outcome> readGroup;
  private Cluster cluster;
  private HttpServer http;
  private Gateway gateway;
  private ReceiptHub receipts;
  private volatile boolean closed;
  private boolean[] workerBusy;
  private int idleTicks;
  private int skipTicks;
  /** A worker step or a group-commit batch that takes longer is given up (outcome unknown). */
  static final long STEP_TIMEOUT_S = 10;
  /** How often each receipt socket is checked against the receipts table (lost live receipts). */
  static final long RECEIPT_SWEEP_MS = 1000;

  public Node(NodeConfig cfg) {
    this.cfg = cfg;
    this.log = Logger.getLogger("io.deliverycheck.node." + cfg.id);
    this.dir = new Directory(cfg.id);
    this.jitter = new Random(cfg.seed);
    this.ackClock = new AckClock(cfg.ackTimeoutMs, cfg.ackTimeoutMaxMs, cfg.pollMs);
    this.idPrefix = cfg.id + "-" + Long.toString(System.currentTimeMillis(), 36) + "-";
  }

  public String id() {
    return cfg.id;
  }

  public NodeConfig config() {
    return cfg;
  }

  public int httpPort() {
    return http.actualPort();
  }

  /** http://host:port of the API. */
  public String url() {
    return "http://" + cfg.bindHost + ":" + httpPort();
  }

  public Metrics metrics() {
    return metrics;
  }

  public Store store() {
    return store;
  }

  public Vertx vertx() {
    return vertx;
  }

  public boolean isClosed() {
    return closed;
  }

  /** "accept: batches/requests, ack: batches/requests" (group commit efficiency, for the benchmark). */
  public String groupCommitStats() {
    return "accept " + acceptGroup.batches.sum() + "/" + acceptGroup.requests.sum() + ", ack "
        + ackGroup.batches.sum() + "/" + ackGroup.requests.sum();
  }

  /** Current view (member ids). */
  public List<String> view() {
    return cluster == null ? List.of(cfg.id) : cluster.view();
  }

  /** Starts everything; blocks until the node serves. On failure, what was started is stopped. */
  public void start() throws Exception {
    try {
      Files.createDirectories(cfg.logDir);
      FileHandler file = new FileHandler(cfg.logDir.resolve(cfg.id + ".log").toString(), true);
      file.setFormatter(new LineFormatter());
      // nothing on an event loop waits on a log write: records are queued, one thread writes them
      logHandler = new AsyncLogHandler(file, 10_000, cfg.id);
      if (cfg.logToRoot) {
        Logger root = Logger.getLogger("");
        for (Handler h : root.getHandlers()) {
          root.removeHandler(h);
        }
        root.addHandler(logHandler);
      } else {
        log.addHandler(logHandler);
        log.setUseParentHandlers(false);
      }
      log.info("starting node " + cfg.id + ": guarantee " + cfg.guarantee.wire() + ", bugs " + cfg.bugs
          + ", jitter seed " + cfg.seed + ", max attempts " + cfg.maxAttempts + ", ack timeout " + cfg.ackTimeoutMs
          + ".." + Math.max(cfg.ackTimeoutMs, cfg.ackTimeoutMaxMs) + " ms (adaptive), max in flight per device "
          + cfg.maxInFlight + ", lease " + cfg.leaseMs + " ms, backoff " + cfg.backoffBaseMs + ".." + cfg.backoffMaxMs + " ms");
      db = cfg.pgUrl != null ? Database.external(cfg.pgUrl) : Database.startEmbedded(cfg.dataDirOrDefault(), cfg.embeddedPgPort, log);
      vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2).setWorkerPoolSize(4));
      // the no-backoff bug waits for nothing: no adaptive timeout, no window
      gateway = cfg.bug(Bug.NO_BACKOFF) ? new Gateway(metrics)
          : new Gateway(metrics, cfg.maxInFlight, ackClock::timeoutMs);
      metrics.ackTimeoutMs = ackClock.timeoutMs();
      Promise<Void> ready = Promise.promise();
      vertx.deployVerticle(new AbstractVerticle() {
        @Override
        public void start(Promise<Void> p) {
          ctx = context;
          pool = db.pool(vertx, cfg.poolSize);
          store = new Store(pool, cfg.id, cfg.leaseMs);
          receipts = new ReceiptHub(metrics, store, vertx, RECEIPT_SWEEP_MS, log);
          int inFlight = Math.max(1, Math.min(cfg.groupCommitInFlight, (cfg.poolSize - 2) / 2));
          acceptGroup = new GroupCommit<>(256, inFlight, store::acceptBatch, q -> store.accept(q, null));
          ackGroup = new GroupCommit<>(256, inFlight, store::markDeliveredBatch,
              q -> store.markDelivered(q.msg(), q.recipient(), q.device()));
          readGroup = new GroupCommit<>(256, inFlight, store::markReadBatch,
              q -> store.markRead(q.msg(), q.recipient(), q.device()));
          p.complete();
        }
      }).onComplete(ar -> {
        if (ar.succeeded()) {
          ready.complete();
        } else {
          ready.fail(ar.cause());
        }
      });
      await(ready.future(), 60);
      migrateWithRetry();
      int clusterPort = cfg.clusterPort != 0 ? cfg.clusterPort : Database.freePort();
      cluster = new Cluster(cfg, dir, ctx, log, this::onClusterMessage);
      try {
        cluster.start(clusterPort);
      } catch (Exception e) {
        throw new java.io.IOException("JGroups " + cfg.bindHost + ":" + clusterPort + ": " + e.getMessage(), e);
      }
      log.info("cluster port " + clusterPort + ", view " + cluster.view());
      Promise<HttpServer> listening = Promise.promise();
      ctx.runOnContext(x -> {
        Api api = new Api(this);
        http = vertx.createHttpServer(new HttpServerOptions().setHost(cfg.bindHost).setPort(cfg.httpPort)
                .setMaxWebSocketFrameSize(1 << 16).setIdleTimeout(0))
            .requestHandler(api.router())
            .webSocketHandshakeHandler(api::handshake)
            .webSocketHandler(api::webSocket);
        http.listen().recover(e -> Future.failedFuture(new java.io.IOException(
            "HTTP " + cfg.bindHost + ":" + cfg.httpPort + ": " + e.getMessage(), e))).onComplete(listening);
        workerBusy = new boolean[Math.max(1, cfg.workers)];
        tick();
      });
      await(listening.future(), 30);
      log.info("READY " + cfg.id + " " + url());
    } catch (Exception e) {
      log.log(Level.SEVERE, "start failed", e);
      kill();
      throw e;
    }
  }

  /**
   * Creates the schema, retrying for up to a minute while the database is unreachable (a node
   * restarted during a database restart or partition waits for it instead of dying). Runs on the
   * starting thread, never on an event loop.
   */
  private void migrateWithRetry() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try {
        await(Database.migrate(pool), 30);
        return;
      } catch (Exception e) {
        if (System.nanoTime() > deadline) {
          throw new java.io.IOException("database " + db.url() + " unreachable for 60 s: " + e.getMessage(), e);
        }
        log.warning("database not ready (" + e.getMessage() + "), retrying in 1 s");
        Thread.sleep(1000);
      }
    }
  }

  static <T> T await(Future<T> f, long seconds) throws Exception {
    try {
      return f.toCompletionStage().toCompletableFuture().get(seconds, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw e.getCause() instanceof Exception ex ? ex : e;
    }
  }

  // ---------------------------------------------------------------- accept

  String newMsgId() {
    return idPrefix + (++msgSeq);
  }

  /**
   * Milliseconds from a push of attempt n until the next attempt is due: the current adaptive ack
   * timeout plus the jittered exponential backoff.
   */
  long retryDelayMs(int attempt) {
    if (cfg.bug(Bug.NO_BACKOFF)) {
      return 0;
    }
    double backoff = Math.min(cfg.backoffMaxMs, cfg.backoffBaseMs * Math.pow(2, Math.min(attempt - 1, 30)));
    return ackClock.timeoutMs() + Math.round(backoff * nextJitter());
  }

  /**
   * An ack committed: frees the push's slot and feeds the ack timeout. A push written once gives
   * its latency; for one written more than once (Karn's ambiguity: the ack may answer any copy) the
   * time since the first copy is taken, an upper bound: under overload every push is retried before
   * its ack arrives, and only such samples can raise the timeout to the latency actually seen.
   */
  private void acked(Gateway.Device d, String msg, boolean changed) {
    Gateway.Ack a = gateway.acked(d, msg);
    if (a == null) {
      return;
    }
    if (changed) {
      metrics.ackLatency.observeNanos(a.sinceLatestNs());
    }
    ackClock.observe((a.retried() ? a.sinceFirstNs() : a.sinceLatestNs()) / 1e6);
  }

  double nextJitter() {
    return 0.5 + 0.5 * jitter.nextDouble();
  }

  /**
   * Accepts a message: one transaction, then (after commit) accepted receipts and the first push to
   * each connected device's gateway. respond is called once with the result or failure; with the
   * ack-before-commit bug it is called before the commit.
   */
  void accept(String clientId, String key, String from, List<String> to, Consumer<Store.Accepted> respond,
      Consumer<Throwable> fail) {
    // a retry (same sender and key) is the same logical message in every mode (shared/HISTORY.md)
    String useKey = cfg.bug(Bug.NO_IDEMPOTENCY_KEY) ? null : key;
    List<String> users = new ArrayList<>();
    List<String> devs = new ArrayList<>();
    List<String> nodes = new ArrayList<>();
    List<String> recipients = new ArrayList<>(new LinkedHashSet<>(to));
    for (String r : recipients) {
      for (Map.Entry<String, String> e : dir.devicesOf(r).entrySet()) {
        users.add(r);
        devs.add(e.getKey());
        nodes.add(e.getValue());
      }
    }
    boolean early = cfg.bug(Bug.ACK_BEFORE_COMMIT);
    boolean[] answered = {false};
    Consumer<Store.Accepted> beforeCommit = early ? a -> {
      answered[0] = true;
      respond.accept(a);
    } : null;
    Store.AcceptReq q = new Store.AcceptReq(newMsgId(), clientId, from, useKey, recipients,
        users.toArray(new String[0]), devs.toArray(new String[0]), nodes.toArray(new String[0]), retryDelayMs(1));
    long acceptStart = System.nanoTime();
    (early ? store.accept(q, beforeCommit) : acceptGroup.submit(q))
        .onComplete(ar -> {
          metrics.acceptCommit.observeNanos(System.nanoTime() - acceptStart);
          if (ar.failed()) {
            if (!answered[0]) {
              fail.accept(ar.cause());
            } else {
              log.warning("commit failed after the client was told accepted (bug ack-before-commit): " + ar.cause());
            }
            return;
          }
          Store.Accepted a = ar.result();
          if (!answered[0]) {
            respond.accept(a);
          }
          if (a.created()) {
            metrics.accepted.increment();
            long now = System.currentTimeMillis();
            for (Store.Owed o : a.owed()) {
              publishReceipt(a.msg(), a.clientId(), from, o.recipient(), o.device(), "accepted", o.seq(), now);
            }
            for (Store.Owed o : a.owed()) {
              if (o.gateway() != null) {
                JsonObject p = new JsonObject().put("t", "push").put("msg", a.msg()).put("id", a.clientId())
                    .put("from", from).put("recipient", o.recipient()).put("device", o.device()).put("attempt", 1);
                if (o.gateway().equals(cfg.id)) {
                  pushLocal(p);
                } else {
                  cluster.send(o.gateway(), p);
                }
              }
            }
          }
        });
  }

  // ---------------------------------------------------------------- push, ack, read

  /** Pushes to a device connected here (p: msg, id, from, recipient, device, attempt). */
  void pushLocal(JsonObject p) {
    String msg = p.getString("msg");
    String user = p.getString("recipient");
    String device = p.getString("device");
    String from = p.getString("from");
    gateway.push(msg, p.getString("id"), from, user, device, p.getInteger("attempt")).onSuccess(x -> {
      if (cfg.bug(Bug.GATEWAY_WRITE_IS_DELIVERED)) {
        store.markDelivered(msg, user, device).onSuccess(o -> {
          if (o.change() != null) {
            Store.Change c = o.change();
            publishReceipt(c.msg(), c.clientId(), c.sender(), user, device, "delivered", c.seq(),
                System.currentTimeMillis());
          }
        });
      }
    });
  }

  void onClusterMessage(JsonObject j) {
    switch (j.getString("t")) {
      case "push" -> pushLocal(j);
      case "rcpt" -> receipts.deliver(j, j.getLong("at"));
      default -> log.fine("ignored cluster message " + j.getString("t"));
    }
  }

  /** Sends a committed state's receipt to wherever the sender's receipt sockets are. */
  void publishReceipt(String msg, String clientId, String sender, String recipient, String device, String state,
      long seq, long committedAtMs) {
    JsonObject r = new JsonObject().put("t", "rcpt").put("sender", sender).put("seq", seq).put("msg", msg).put("id", clientId)
        .put("recipient", recipient).put("device", device).put("state", state).put("at", committedAtMs);
    for (String n : dir.nodes(Directory.receiptKey(sender))) {
      if (n.equals(cfg.id)) {
        receipts.deliver(r, committedAtMs);
      } else {
        cluster.send(n, r);
      }
    }
  }

  void deviceConnected(ServerWebSocket ws, String user, String device) {
    Gateway.Device d = new Gateway.Device(user, device, cfg.id + "-c" + (++connSeq), ws);
    log.info("device " + user + "/" + device + " connected from " + ws.remoteAddress() + " (" + d.conn + ")");
    boolean first = gateway.get(user, device) == null;
    gateway.attach(d);
    String key = Directory.deviceKey(user, device);
    if (first && dir.addLocal(key)) {
      cluster.announce(key, true);
    }
    ws.textMessageHandler(t -> deviceMessage(d, t));
    ws.exceptionHandler(e -> log.fine("device socket " + user + "/" + device + ": " + e));
    ws.closeHandler(v -> {
      if (gateway.detach(d)) {
        if (dir.removeLocal(key)) {
          cluster.announce(key, false);
        }
      }
    });
    claimAndPush(user, device).timeout(STEP_TIMEOUT_S, TimeUnit.SECONDS)
        .onFailure(e -> log.warning("claim on connect of " + user + "/" + device + ": " + e));
  }

  private void deviceMessage(Gateway.Device d, String text) {
    JsonObject m;
    try {
      m = new JsonObject(text);
    } catch (RuntimeException e) {
      d.ws.writeTextMessage(new JsonObject().put("type", "error").put("error", "frame is not a JSON object").encode());
      return;
    }
    String type = m.getString("type", "");
    Object msgObj = m.getValue("msg");
    String msg = msgObj instanceof String s ? s : null;
    String id = m.getValue("id") instanceof String s ? s : null;
    if (!type.equals("ack") && !type.equals("read")) {
      d.ws.writeTextMessage(error(type, msg, id, "unknown type '" + type + "': use ack or read"));
      return;
    }
    if (msg == null) {
      d.ws.writeTextMessage(error(type, msg, id, "missing string field 'msg'"));
      return;
    }
    if (Api.hasNul(msg)) {
      d.ws.writeTextMessage(error(type, null, id, "field 'msg' must not contain a NUL character (\\u0000)"));
      return;
    }
    if (type.equals("ack")) {
      long ackStart = System.nanoTime();
      ackGroup.submit(new Store.AckReq(msg, d.user, d.device)).onComplete(ar -> {
        metrics.ackCommit.observeNanos(System.nanoTime() - ackStart);
        if (ar.failed()) {
          d.ws.writeTextMessage(storeError("ack", msg, id, ar.cause()));
          return;
        }
        Store.Outcome o = ar.result();
        switch (o.kind()) {
          case "CHANGED" -> {
            acked(d, msg, true);
            Store.Change c = o.change();
            publishReceipt(msg, c.clientId(), c.sender(), d.user, d.device, "delivered", c.seq(), System.currentTimeMillis());
            d.ws.writeTextMessage(new JsonObject().put("type", "acked").put("msg", msg).put("id", c.clientId()).encode());
          }
          case "ALREADY" -> {
            acked(d, msg, false);
            d.ws.writeTextMessage(new JsonObject().put("type", "acked").put("msg", msg).put("id", id).encode());
          }
          default -> d.ws.writeTextMessage(error("ack", msg, id, "unknown delivery for " + d.user + "/" + d.device));
        }
      });
    } else {
      readGroup.submit(new Store.AckReq(msg, d.user, d.device)).onComplete(ar -> {
        if (ar.failed()) {
          d.ws.writeTextMessage(storeError("read", msg, id, ar.cause()));
          return;
        }
        Store.Outcome o = ar.result();
        switch (o.kind()) {
          case "CHANGED" -> {
            Store.Change c = o.change();
            publishReceipt(msg, c.clientId(), c.sender(), d.user, d.device, "read", c.seq(), System.currentTimeMillis());
            d.ws.writeTextMessage(new JsonObject().put("type", "read-ok").put("msg", msg).put("id", c.clientId()).encode());
          }
          case "ALREADY" -> d.ws.writeTextMessage(new JsonObject().put("type", "read-ok").put("msg", msg).put("id", id).encode());
          case "REFUSED" -> d.ws.writeTextMessage(error("read", msg, id, "not delivered"));
          default -> d.ws.writeTextMessage(error("read", msg, id, "unknown delivery for " + d.user + "/" + d.device));
        }
      });
    }
  }

  private static String error(String op, String msg, String id, String text) {
    return errorFrame(op, msg, id, text).put("committed", false).encode();
  }

  private static JsonObject errorFrame(String op, String msg, String id, String text) {
    return new JsonObject().put("type", "error").put("op", op).put("msg", msg).put("id", id).put("error", text);
  }

  /** A store failure of an ack or read: says "committed": false only when it certainly did not commit. */
  private String storeError(String op, String msg, String id, Throwable e) {
    if (Store.notCommitted(e)) {
      return errorFrame(op, msg, id, "not committed: " + Api.describe(e)).put("committed", false).encode();
    }
    log.warning(op + " outcome unknown: " + e);
    return errorFrame(op, msg, id, "outcome unknown: " + Api.describe(e)).put("committed", "unknown").encode();
  }

  /** A receipt socket of sender {@code user} that saw its receipts up to {@code after} (null: none before now). */
  void receiptsConnected(ServerWebSocket ws, String user, Long after) {
    receipts.add(user, ws, after);
    String key = Directory.receiptKey(user);
    if (dir.addLocal(key)) {
      cluster.announce(key, true);
    }
    ws.textMessageHandler(t -> { });
    ws.exceptionHandler(e -> log.fine("receipt socket " + user + ": " + e));
    ws.closeHandler(v -> {
      receipts.remove(user, ws);
      if (dir.removeLocal(key)) {
        cluster.announce(key, false);
      }
    });
  }

  // ---------------------------------------------------------------- workers

  /**
   * The workers' clock: at every multiple of the poll period all idle worker loops of this node run
   * at once (and, clocks agreeing, those of the other nodes too), which is the contention that
   * FOR UPDATE SKIP LOCKED and leases resolve. After ticks that found nothing, up to 4 ticks are
   * skipped, so an idle cluster does not poll its database 10 times a second per loop.
   */
  private void tick() {
    if (closed) {
      return;
    }
    vertx.setTimer(Math.max(1, cfg.pollMs - (System.currentTimeMillis() % cfg.pollMs)), t -> {
      tick();
      gateway.pumpAll();
      metrics.ackTimeoutMs = ackClock.timeoutMs();
      metrics.pushesHeld = gateway.heldCount();
      if (skipTicks > 0) {
        skipTicks--;
        return;
      }
      int[] pending = {0};
      int[] found = {0};
      for (int i = 0; i < workerBusy.length; i++) {
        if (workerBusy[i]) {
          continue;
        }
        workerBusy[i] = true;
        pending[0]++;
        int loop = i;
        workerStep(loop).onComplete(ar -> {
          workerBusy[loop] = false;
          if (ar.failed()) {
            log.fine("worker " + loop + ": " + ar.cause());
          }
          found[0] += ar.succeeded() ? ar.result() : 1;
          if (--pending[0] == 0) {
            idleTicks = found[0] == 0 ? idleTicks + 1 : 0;
            skipTicks = Math.min(idleTicks, 4);
          }
        });
      }
    });
  }

  /** One step of worker loop i: dead letters (loop 0), then claim and push; rows handled. */
  private Future<Integer> workerStep(int i) {
    Future<Integer> f = Future.succeededFuture(0);
    boolean retries = cfg.guarantee != Guarantee.AT_MOST_ONCE;
    if (i == 0 && retries && !cfg.bug(Bug.NO_DEAD_LETTER)) {
      f = store.deadLetter(cfg.id, cfg.maxAttempts, cfg.claimBatch).map(list -> {
        long now = System.currentTimeMillis();
        for (Store.Change c : list) {
          log.info("dead letter " + c.msg() + " (" + c.clientId() + ") for " + c.recipient() + "/" + c.device());
          publishReceipt(c.msg(), c.clientId(), c.sender(), c.recipient(), c.device(), "failed", c.seq(), now);
        }
        return list.size();
      });
    }
    return f.compose(n -> claimAndPush(null, null).map(m -> n + m)).timeout(STEP_TIMEOUT_S, TimeUnit.SECONDS);
  }



  private Store.ClaimSpec spec(Gateway.Local local) {
    return new Store.ClaimSpec(cfg.id, cfg.claimBatch, cfg.leaseMs, cfg.bug(Bug.NO_BACKOFF) ? 0 : ackClock.timeoutMs(),
        cfg.backoffBaseMs, cfg.backoffMaxMs, nextJitter(), cfg.maxAttempts, cfg.guarantee == Guarantee.AT_MOST_ONCE,
        cfg.bug(Bug.NO_BACKOFF), cfg.bug(Bug.NO_DEAD_LETTER), local.users(), local.devices(), local.limits());
  }

  /** Claims due rows of devices connected here (all, or one device) and pushes them; how many. */
  Future<Integer> claimAndPush(String user, String device) {
    Gateway.Local local = gateway.connected(user, device);
    if (closed || local.users().length == 0) {
      return Future.succeededFuture(0);
    }
    Store.ClaimSpec s = spec(local);
    if (cfg.bug(Bug.NO_LEASE)) {
      return store.selectDueWithoutLease(s).compose(list -> {
        List<Future<Void>> writes = new ArrayList<>();
        for (Store.Claimed c : list) {
          pushClaimed(c);
          writes.add(store.recordAttemptWithoutLease(s, c));
        }
        return Future.all(writes).map(list.size());
      });
    }
    return store.claim(s).map(list -> {
      for (Store.Claimed c : list) {
        pushClaimed(c);
      }
      return list.size();
    });
  }

  private void pushClaimed(Store.Claimed c) {
    pushLocal(new JsonObject().put("msg", c.msg()).put("id", c.clientId()).put("from", c.sender())
        .put("recipient", c.recipient()).put("device", c.device()).put("attempt", c.attempt()));
  }

  // ---------------------------------------------------------------- lifecycle

  /** Graceful stop: HTTP, JGroups, pool, embedded PostgreSQL. Idempotent. */
  @Override
  public void close() {
    stop(true);
  }

  /** Abrupt stop for tests: sockets and cluster go away, nothing is released in the database. */
  public void kill() {
    stop(false);
  }

  private synchronized void stop(boolean graceful) {
    if (closed) {
      return;
    }
    closed = true;
    log.info((graceful ? "stopping" : "killing") + " node " + cfg.id);
    try {
      if (http != null) {
        await(http.close(), 5);
      }
    } catch (Exception e) {
      log.fine("http close: " + e);
    }
    if (cluster != null) {
      cluster.close();
    }
    try {
      if (pool != null) {
        await(pool.close(), 5);
      }
    } catch (Exception e) {
      log.fine("pool close: " + e);
    }
    try {
      if (vertx != null) {
        await(vertx.close(), 10);
      }
    } catch (Exception e) {
      log.fine("vertx close: " + e);
    }
    if (db != null) {
      db.close();
    }
    log.info("stopped node " + cfg.id);
    if (logHandler != null) {
      logHandler.close();
      log.removeHandler(logHandler);
      Logger.getLogger("").removeHandler(logHandler);
    }
  }
}
