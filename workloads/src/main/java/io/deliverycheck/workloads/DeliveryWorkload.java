package io.deliverycheck.workloads;

import io.deliverycheck.checker.history.Recorder;
import io.deliverycheck.checker.runner.Environment;
import io.deliverycheck.checker.runner.Workload;
import io.deliverycheck.checker.runner.WorkloadStats;
import io.vertx.core.Context;
import io.vertx.core.Future;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The delivery workloads (chat, payments, poison) against any system speaking Contract 2.
 *
 * <p>Set-up registers every roster device ({@code PUT /users/u/devices/d}, retried across nodes for
 * up to 30 s), records {@code roster}, then connects every device and receipt listener (waits up
 * to 15 s). {@link #start} starts one generator thread that walks the {@link SendPlan} on the
 * recorder's clock: slot {@code k} is offered at its due time to a free sender process; when every
 * process is busy the slot is missed (counted, never sent later), so the plan is open loop.
 */
final class DeliveryWorkload implements Workload {
  private final WorkloadConfig config;
  private final Roster roster;
  private final SendPlan plan;
  private final DeliveryTracker tracker;
  private final AtomicLong slots = new AtomicLong();
  private final AtomicLong missed = new AtomicLong();
  private final AtomicLong offered = new AtomicLong();
  private volatile long genStart = -1;
  private volatile long genEnd = -1;
  private volatile boolean stopping;
  private Vertx vertx;
  private Clients clients;
  private final List<Sender> senders = new ArrayList<>();
  private final List<Device> devices = new ArrayList<>();
  private final List<ReceiptListener> listeners = new ArrayList<>();
  private Thread generator;
  private volatile WorkloadStats finalStats;

  DeliveryWorkload(WorkloadConfig config) {
    this.config = config;
    this.roster = Roster.of(config.users(), config.devicesPerUser());
    this.plan = new SendPlan(config, roster);
    this.tracker = new DeliveryTracker(roster);
  }

  @Override
  public String name() {
    return config.kind();
  }

  Roster roster() {
    return roster;
  }

  @Override
  public void setup(Environment env, Recorder rec) throws Exception {
    vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2).setWorkerPoolSize(2));
    var http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true)
        .setConnectTimeout((int) config.requestTimeout().toMillis()), new PoolOptions().setHttp1MaxSize(64));
    var ws = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(100_000)
        .setConnectTimeout((int) config.requestTimeout().toMillis()));
    clients = new Clients(vertx, http, ws, rec, env, config, tracker);
    register();
    rec.info("harness", "roster", roster.toJson());
    Context[] contexts = {vertx.getOrCreateContext(), vertx.getOrCreateContext()};
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
    for (int s = 0; s < config.senders(); s++) {
      senders.add(new Sender(clients, contexts[s % 2], s));
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

  /** PUTs every roster device, each at some node that answers 200; gives up after 30 s. */
  private void register() throws Exception {
    List<Future<Void>> all = new ArrayList<>();
    int i = 0;
    for (String user : roster.users()) {
      for (String d : roster.devicesOf(user)) {
        all.add(registerOne(user, d, i++, System.nanoTime() + TimeUnit.SECONDS.toNanos(30)));
      }
    }
    Future.all(all).toCompletionStage().toCompletableFuture().get(45, TimeUnit.SECONDS);
  }

  private Future<Void> registerOne(String user, String device, int attempt, long deadline) {
    String node = clients.nodes.get(attempt % clients.nodes.size());
    RequestOptions ro = new RequestOptions().setMethod(HttpMethod.PUT)
        .setAbsoluteURI(clients.url(node, "/users/" + user + "/devices/" + device))
        .setIdleTimeout(clients.timeoutMillis());
    if (config.token() != null) {
      ro.putHeader("Authorization", "Bearer " + config.token());
    }
    return clients.http.request(ro).compose(r -> r.send()).compose(resp -> resp.body().compose(b -> {
      if (resp.statusCode() == 200) {
        return Future.<Void>succeededFuture();
      }
      return Future.<Void>failedFuture("PUT /users/" + user + "/devices/" + device + " at " + node
          + ": HTTP " + resp.statusCode() + " " + b);
    })).recover(e -> {
      if (System.nanoTime() > deadline) {
        return Future.failedFuture(new IllegalStateException("registering device " + user + "/" + device
            + " failed for 30 s; last: " + e.getMessage(), e));
      }
      return Future.<Void>future(p -> vertx.setTimer(200, t -> p.complete()))
          .compose(v -> registerOne(user, device, attempt + 1, deadline));
    });
  }

  @Override
  public void start() {
    generator = new Thread(this::generate, "generator-" + config.kind());
    generator.setDaemon(true);
    generator.start();
  }

  private void generate() {
    long start = clients.rec.now();
    genStart = start;
    for (long k = 0; !stopping; k++) {
      long due = start + plan.dueNanos(k);
      long left;
      while (!stopping && (left = due - clients.rec.now()) > 0) {
        LockSupport.parkNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)));
      }
      if (stopping) {
        break;
      }
      slots.incrementAndGet();
      PlannedSend m = plan.slot(k);
      boolean taken = false;
      for (int i = 0; i < senders.size() && !taken; i++) {
        taken = senders.get((int) ((k + i) % senders.size())).offer(m);
      }
      if (taken) {
        offered.incrementAndGet();
      } else {
        missed.incrementAndGet();
      }
    }
    genEnd = clients.rec.now();
  }

  @Override
  public void stopGenerating() {
    stopping = true;
    Thread g = generator;
    if (g != null) {
      try {
        g.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public boolean awaitOpenSends(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (senders.stream().anyMatch(Sender::busy)) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(20);
    }
    return true;
  }

  @Override
  public WorkloadStats stats() {
    Clients c = clients;
    if (c == null) {
      return finalStats == null ? WorkloadStats.EMPTY : finalStats;
    }
    long s = genStart;
    long e = genEnd >= 0 ? genEnd : c.rec.now();
    // slots sit at k/rate from 0: n slots span (n-1)/rate seconds plus one period
    double rate = s < 0 || e <= s ? 0 : offered.get() / ((e - s) / 1e9 + 1 / config.rate());
    return new WorkloadStats(slots.get(), missed.get(), rate, c.sendsOk.sum(), c.sendsInfo.sum(),
        c.sendsFail.sum(), c.receives.sum(), c.acks.sum(), c.receipts.sum(), tracker.owed(),
        tracker.delivered(), tracker.lastReceiveNanos());
  }

  @Override
  public void close() {
    stopping = true;
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
    finalStats = stats();
    clients.closed = true;
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      // event loops are daemon threads; nothing external outlives this
    }
    clients = null;
  }
}
