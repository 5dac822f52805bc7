package io.deliverycheck.workloads;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocketClientOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The reference node's clients (Contract 2), the {@link ClientAdapter} of any system speaking its
 * HTTP/WebSocket protocol: {@link #prepare} registers every roster device ({@code PUT
 * /users/u/devices/d}, retried across nodes for up to {@link #registerDeadline}); {@link #connect} connects every device
 * ({@link Device}) and receipt listener ({@link ReceiptListener}) and waits up to 15 s; the sender
 * processes POST through {@link HttpSendLink}s. Everything runs on two Vert.x event loops.
 */
final class HttpClients implements ClientAdapter {
  private Vertx vertx;
  private Clients clients;
  private Context[] contexts;
  private final List<Device> devices = new ArrayList<>();
  private final List<ReceiptListener> listeners = new ArrayList<>();

  @Override
  public void prepare(WorkloadContext ctx) throws Exception {
    WorkloadConfig config = ctx.config;
    vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2).setWorkerPoolSize(2));
    var http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true)
        .setConnectTimeout((int) config.requestTimeout().toMillis()), new PoolOptions().setHttp1MaxSize(64));
    var ws = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(100_000)
        .setConnectTimeout((int) config.requestTimeout().toMillis()));
    clients = new Clients(vertx, http, ws, ctx);
    contexts = new Context[] {vertx.getOrCreateContext(), vertx.getOrCreateContext()};
    register(ctx.roster);
  }

  @Override
  public void connect(WorkloadContext ctx) throws Exception {
    Roster roster = ctx.roster;
    int i = 0;
    for (String user : roster.users()) {
      for (String d : roster.devicesOf(user)) {
        devices.add(new Device(clients, contexts[i % 2], user, d, i));
        i++;
      }
    }
    int u = 0;
    for (String user : roster.users()) {
      listeners.add(new ReceiptListener(clients, contexts[u % 2], user, u));
      u++;
    }
    devices.forEach(Device::start);
    listeners.forEach(ReceiptListener::start);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (!(devices.stream().allMatch(Device::connected) && listeners.stream().allMatch(ReceiptListener::connected))) {
      if (System.nanoTime() > deadline) {
        long down = devices.stream().filter(d -> !d.connected()).count();
        throw new IllegalStateException(down + " of " + devices.size()
            + " devices could not open their WebSocket (/devices/{user}/{device}) within 15 s");
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
  }

  @Override
  public List<SendLink> senders(WorkloadContext ctx) {
    List<SendLink> links = new ArrayList<>();
    for (int s = 0; s < ctx.config.senders(); s++) {
      links.add(new HttpSendLink(clients, contexts[s % 2]));
    }
    return links;
  }

  /**
   * PUTs every roster device, each at some node that answers 200, moving to the next node after a
   * failure; gives up after {@link #registerDeadline}. Every attempt is bounded: the request's own
   * timeout covers getting a pooled connection as well as waiting for the answer (Vert.x bounds only
   * the answer unless told: an idle timeout alone let one stuck attempt hold a device's registration
   * past every deadline), and a timer ends an attempt that still has not completed a second later.
   * A failure names the devices that could not be registered and why.
   */
  private void register(Roster roster) throws Exception {
    WorkloadConfig config = clients.config;
    Duration limit = registerDeadline(config);
    long deadline = System.nanoTime() + limit.toNanos();
    List<Future<Void>> all = new ArrayList<>();
    Map<String, String> pending = new ConcurrentHashMap<>();
    int i = 0;
    for (String user : roster.users()) {
      for (String d : roster.devicesOf(user)) {
        pending.put(user + "/" + d, "not tried yet");
        all.add(registerOne(user, d, i++, 1, deadline, pending));
      }
    }
    long wait = limit.toMillis() + 2 * (config.requestTimeout().toMillis() + 1000) + 1000;
    try {
      Future.all(all).toCompletionStage().toCompletableFuture().get(wait, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException(pending.size() + " of " + all.size() + " devices could not be registered"
          + " (PUT /users/{user}/devices/{device}) within " + limit.toSeconds() + " s; " + describe(pending), e);
    }
  }

  /** How long registration may take: 15 attempts' worth of the request timeout, at least 5 s. */
  static Duration registerDeadline(WorkloadConfig config) {
    Duration d = config.requestTimeout().multipliedBy(15);
    return d.compareTo(Duration.ofSeconds(5)) < 0 ? Duration.ofSeconds(5) : d;
  }

  private static String describe(Map<String, String> pending) {
    List<String> few = new ArrayList<>();
    pending.entrySet().stream().sorted(Map.Entry.comparingByKey()).limit(3)
        .forEach(e -> few.add(e.getKey() + ": " + e.getValue()));
    return "e.g. " + String.join("; ", few);
  }

  private Future<Void> registerOne(String user, String device, int nodeIndex, int attempt, long deadline,
      Map<String, String> pending) {
    String node = clients.nodes.get(nodeIndex % clients.nodes.size());
    long timeout = clients.timeoutMillis();
    RequestOptions ro = new RequestOptions().setMethod(HttpMethod.PUT)
        .setAbsoluteURI(clients.url(node, "/users/" + user + "/devices/" + device))
        .setTimeout(timeout);
    if (clients.config.token() != null) {
      ro.putHeader("Authorization", "Bearer " + clients.config.token());
    }
    Promise<Void> attemptDone = Promise.promise();
    long guard = vertx.setTimer(timeout + 1000, t -> attemptDone.tryFail(
        "no answer from " + node + " within " + (timeout + 1000) + " ms"));
    clients.http.request(ro).compose(r -> r.send()).compose(resp -> resp.body().compose(b -> {
      if (resp.statusCode() == 200) {
        return Future.<Void>succeededFuture();
      }
      return Future.<Void>failedFuture("HTTP " + resp.statusCode() + " " + b + " at " + node);
    })).onComplete(ar -> {
      vertx.cancelTimer(guard);
      if (ar.succeeded()) {
        attemptDone.tryComplete();
      } else {
        attemptDone.tryFail(ar.cause().getMessage() + " (at " + node + ")");
      }
    });
    String key = user + "/" + device;
    return attemptDone.future().onSuccess(v -> pending.remove(key)).recover(e -> {
      pending.put(key, "attempt " + attempt + ": " + e.getMessage());
      if (System.nanoTime() > deadline) {
        return Future.failedFuture(new IllegalStateException("registering device " + key + " failed; last: "
            + e.getMessage(), e));
      }
      return Future.<Void>future(p -> vertx.setTimer(200, t -> p.complete()))
          .compose(v -> registerOne(user, device, nodeIndex + 1, attempt + 1, deadline, pending));
    });
  }

  @Override
  public void disconnect() {
    if (clients == null) {
      return;
    }
    devices.forEach(Device::close);
    listeners.forEach(ReceiptListener::close);
    try {
      clients.http.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      // closing anyway below
    }
  }

  @Override
  public void close() {
    if (vertx == null) {
      return;
    }
    if (clients != null) {
      clients.closed = true;
    }
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      // event loops are daemon threads; nothing external outlives this
    }
    clients = null;
    vertx = null;
  }
}
