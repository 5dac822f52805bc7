package io.deliverycheck.node;

import io.vertx.core.MultiMap;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.ServerWebSocketHandshake;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The HTTP and WebSocket API of Contract 2. Every request needs the token when one is set; bad
 * requests get a 4xx with {@code {"error": ...}}, never a stack trace.
 */
final class Api {
  private final Node node;

  Api(Node node) {
    this.node = node;
  }

  Router router() {
    Router r = Router.router(node.vertx());
    r.route().handler(this::auth);
    r.route().handler(BodyHandler.create().setBodyLimit(64 * 1024).setHandleFileUploads(false));
    r.get("/health").handler(this::health);
    r.get("/metrics").handler(this::metrics);
    r.put("/users/:user/devices/:device").handler(this::register);
    r.post("/messages").handler(this::post);
    r.get("/messages/:id").handler(this::status);
    r.route().last().handler(rc -> json(rc, 404, err("no such endpoint: " + rc.request().method() + " " + rc.request().path())));
    r.errorHandler(405, rc -> json(rc, 405, err("method not allowed: " + rc.request().method() + " " + rc.request().path())));
    r.errorHandler(413, rc -> json(rc, 413, err("request body larger than 64 KiB")));
    r.errorHandler(400, rc -> json(rc, 400, err("bad request")));
    r.errorHandler(500, rc -> {
      node.log.warning("internal error on " + rc.request().path() + ": " + rc.failure());
      json(rc, 500, err("internal error: " + (rc.failure() == null ? "unknown" : describe(rc.failure()))));
    });
    return r;
  }

  private static JsonObject err(String text) {
    return new JsonObject().put("error", text);
  }

  private static void json(RoutingContext rc, int status, JsonObject body) {
    if (rc.response().ended()) {
      return;
    }
    rc.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
  }

  private boolean authorized(MultiMap headers, String query) {
    String token = node.cfg.token;
    if (token == null || token.isEmpty()) {
      return true;
    }
    String auth = headers.get("Authorization");
    if (auth != null && auth.equals("Bearer " + token)) {
      return true;
    }
    if (query != null) {
      for (String kv : query.split("&")) {
        int eq = kv.indexOf('=');
        if (eq > 0 && kv.substring(0, eq).equals("token")
            && URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8).equals(token)) {
          return true;
        }
      }
    }
    return false;
  }

  private void auth(RoutingContext rc) {
    if (authorized(rc.request().headers(), rc.request().query())) {
      rc.next();
    } else {
      json(rc, 401, err("missing or wrong token: send 'Authorization: Bearer <token>' or ?token=<token>"));
    }
  }

  private void health(RoutingContext rc) {
    JsonArray view = new JsonArray(node.view());
    node.store().ping().timeout(2, java.util.concurrent.TimeUnit.SECONDS).onComplete(ar -> json(rc,
        ar.succeeded() ? 200 : 503,
        new JsonObject().put("id", node.id()).put("view", view).put("db", ar.succeeded() ? "up" : "down")));
  }

  private void metrics(RoutingContext rc) {
    node.store().gauges().timeout(2, java.util.concurrent.TimeUnit.SECONDS).onComplete(ar -> {
      double[] g = ar.succeeded() ? ar.result() : new double[] {Double.NaN, Double.NaN, Double.NaN, Double.NaN};
      rc.response().putHeader("Content-Type", "text/plain; version=0.0.4").end(node.metrics.render(g));
    });
  }

  private void register(RoutingContext rc) {
    String user = rc.pathParam("user");
    String device = rc.pathParam("device");
    if (hasNul(user) || hasNul(device)) {
      json(rc, 400, err("path segments 'user' and 'device' must not contain a NUL character (%00)"));
      return;
    }
    node.store().registerDevice(user, device).onComplete(ar -> {
      if (ar.succeeded()) {
        json(rc, 200, new JsonObject().put("user", user).put("device", device).put("registered", true));
      } else {
        storeError(rc, ar.cause());
      }
    });
  }

  private void post(RoutingContext rc) {
    JsonObject b;
    try {
      b = rc.body().asJsonObject();
    } catch (RuntimeException e) {
      json(rc, 400, err(notAnObject(rc.body().asString())));
      return;
    }
    if (b == null) {
      json(rc, 400, err("missing JSON body: {\"id\":..,\"key\":..,\"from\":..,\"to\":[..]}"));
      return;
    }
    for (String f : List.of("id", "key", "from")) {
      if (b.getValue(f) instanceof String s && hasNul(s)) {
        json(rc, 400, err("field '" + f + "' must not contain a NUL character (\\u0000)"));
        return;
      }
    }
    String id = b.getValue("id") instanceof String s && !s.isEmpty() ? s : null;
    String from = b.getValue("from") instanceof String s && !s.isEmpty() ? s : null;
    Object keyObj = b.getValue("key");
    if (id == null || from == null) {
      json(rc, 400, err("fields 'id' and 'from' must be non-empty strings"));
      return;
    }
    if (keyObj != null && !(keyObj instanceof String)) {
      json(rc, 400, err("field 'key' must be a string"));
      return;
    }
    List<String> to = new ArrayList<>();
    if (!(b.getValue("to") instanceof JsonArray arr) || arr.isEmpty()) {
      json(rc, 400, err("field 'to' must be a non-empty array of user names"));
      return;
    } else {
      for (Object o : arr) {
        if (!(o instanceof String s) || s.isEmpty()) {
          json(rc, 400, err("field 'to' must contain only non-empty strings"));
          return;
        }
        if (hasNul(s)) {
          json(rc, 400, err("field 'to' must not contain a NUL character (\\u0000)"));
          return;
        }
        to.add(s);
      }
    }
    node.accept(id, (String) keyObj, from, to, a -> {
      if (!a.clientId().equals(id)) {
        json(rc, 409, err("key '" + keyObj + "' of sender '" + from + "' already names message '" + a.clientId() + "'"));
        return;
      }
      JsonArray owed = new JsonArray();
      for (Store.Owed o : a.owed()) {
        owed.add(new JsonObject().put("recipient", o.recipient()).put("device", o.device()));
      }
      json(rc, 200, new JsonObject().put("msg", a.msg()).put("id", id).put("state", "accepted").put("owed", owed));
    }, e -> storeError(rc, e));
  }

  /** A PostgreSQL error answer means the statement (hence its transaction) did not commit. */
  private void storeError(RoutingContext rc, Throwable e) {
    if (Store.notCommitted(e)) {
      json(rc, 503, err("not committed: " + describe(e)).put("committed", false));
    } else {
      node.log.warning("store outcome unknown: " + e);
      json(rc, 500, err("outcome unknown: " + describe(e)).put("committed", "unknown"));
    }
  }

  /** A failure in words for a client: its message, never a Java class name. */
  static String describe(Throwable e) {
    String m = e.getMessage();
    if (m == null || m.isBlank()) {
      return e instanceof java.util.concurrent.TimeoutException || e.getClass().getSimpleName().contains("Timeout")
          ? "no answer from the database in time" : "the database connection failed";
    }
    return m.lines().findFirst().orElse(m);
  }

  /** NUL is the one character PostgreSQL text refuses: a client error, never a retryable 503. */
  static boolean hasNul(String s) {
    return s != null && s.indexOf('\u0000') >= 0;
  }

  /** Why a body that did not parse as a JSON object was refused, without parser class names. */
  static String notAnObject(String body) {
    String t = body == null ? "" : body.strip();
    String shape = "{\"id\":..,\"key\":..,\"from\":..,\"to\":[..]}";
    if (t.isEmpty()) {
      return "missing JSON body: " + shape;
    }
    if (!t.startsWith("{")) {
      return "body is not a JSON object (" + (t.startsWith("[") ? "an array" : "starts with '" + t.charAt(0) + "'")
          + "): " + shape;
    }
    return "body is not a JSON object (not valid JSON): " + shape;
  }


  private void status(RoutingContext rc) {
    String id = rc.pathParam("id");
    if (hasNul(id)) {
      json(rc, 400, err("path segment 'id' must not contain a NUL character (%00)"));
      return;
    }
    node.store().status(id).onComplete(ar -> {
      if (ar.failed()) {
        json(rc, 503, err("database: " + describe(ar.cause())));
      } else if (ar.result() == null) {
        json(rc, 404, err("no message with id '" + id + "'"));
      } else {
        json(rc, 200, ar.result());
      }
    });
  }

  // ---------------------------------------------------------------- WebSockets

  private static String[] segments(String path) {
    String[] raw = path.split("/");
    List<String> out = new ArrayList<>();
    for (String s : raw) {
      if (!s.isEmpty()) {
        out.add(URLDecoder.decode(s, StandardCharsets.UTF_8));
      }
    }
    return out.toArray(new String[0]);
  }

  private static boolean known(String[] s) {
    return (s.length == 3 && s[0].equals("devices")) || (s.length == 2 && s[0].equals("receipts"));
  }

  void handshake(ServerWebSocketHandshake hs) {
    String[] s = segments(hs.path());
    if (!authorized(hs.headers(), hs.query())) {
      hs.reject(401);
    } else if (!known(s)) {
      hs.reject(404);
    } else if (Arrays.stream(s).anyMatch(Api::hasNul) || (s[0].equals("receipts") && Long.valueOf(BAD).equals(after(hs.query())))) {
      hs.reject(400); // a NUL in a name, or 'after' not a non-negative integer
    } else {
      hs.accept();
    }
  }

  private static final long BAD = -2;

  /** The receipts socket's {@code after=N} (N >= 0), null when absent, {@link #BAD} when malformed. */
  static Long after(String query) {
    if (query == null) {
      return null;
    }
    for (String kv : query.split("&")) {
      if (kv.startsWith("after=")) {
        try {
          long v = Long.parseLong(kv.substring(6));
          return v >= 0 ? v : BAD;
        } catch (NumberFormatException e) {
          return BAD;
        }
      }
    }
    return null;
  }

  void webSocket(ServerWebSocket ws) {
    String[] s = segments(ws.path());
    if (s.length == 3 && s[0].equals("devices")) {
      node.deviceConnected(ws, s[1], s[2]);
    } else if (s.length == 2 && s[0].equals("receipts")) {
      node.receiptsConnected(ws, s[1], after(ws.query()));
    } else {
      ws.close((short) 1008, "no such endpoint");
    }
  }
}
