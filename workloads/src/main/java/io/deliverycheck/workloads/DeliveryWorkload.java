package io.deliverycheck.workloads;

import io.deliverycheck.checker.history.Recorder;
import io.deliverycheck.checker.runner.Environment;
import io.deliverycheck.checker.runner.Workload;
import io.deliverycheck.checker.runner.WorkloadStats;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The delivery workloads (chat, payments, poison) against any system, through that system's
 * {@link ClientAdapter}: the roster, the seeded {@link SendPlan}, the generator, the sender
 * processes, the delivery tracker and the statistics are the same for every system.
 *
 * <p>Set-up lets the adapter prepare the system (register devices, declare queues), records
 * {@code roster}, then lets it connect every device. {@link #start} starts one generator thread that
 * walks the {@link SendPlan} on the recorder's clock: slot {@code k} is offered at its due time to a
 * free sender process; when every process is busy the slot is missed (counted, never sent later),
 * so the plan is open loop.
 */
final class DeliveryWorkload implements Workload {
  private final WorkloadConfig config;
  private final Roster roster;
  private final SendPlan plan;
  private final DeliveryTracker tracker;
  private final ClientAdapter adapter;
  private final AtomicLong slots = new AtomicLong();
  private final AtomicLong missed = new AtomicLong();
  private final AtomicLong offered = new AtomicLong();
  private volatile long genStart = -1;
  private volatile long genEnd = -1;
  private volatile boolean stopping;
  private WorkloadContext ctx;
  private final List<Sender> senders = new ArrayList<>();
  private Thread generator;
  private volatile WorkloadStats finalStats;

  DeliveryWorkload(WorkloadConfig config, ClientAdapter adapter) {
    this.config = config;
    this.roster = Roster.of(config.users(), config.devicesPerUser());
    this.plan = new SendPlan(config, roster);
    this.tracker = new DeliveryTracker(roster);
    this.adapter = adapter;
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
    ctx = new WorkloadContext(rec, env, config, roster, tracker);
    adapter.prepare(ctx);
    rec.info("harness", "roster", roster.toJson());
    adapter.connect(ctx);
    List<SendLink> links = adapter.senders(ctx);
    for (int s = 0; s < links.size(); s++) {
      senders.add(new Sender(ctx, links.get(s), s));
    }
    if (senders.isEmpty()) {
      throw new IllegalStateException("the system's clients made no sender process");
    }
  }

  @Override
  public void start() {
    generator = new Thread(this::generate, "generator-" + config.kind());
    generator.setDaemon(true);
    generator.start();
  }

  private void generate() {
    Recorder rec = ctx.rec;
    long start = rec.now();
    genStart = start;
    for (long k = 0; !stopping; k++) {
      long due = start + plan.dueNanos(k);
      long left;
      while (!stopping && (left = due - rec.now()) > 0) {
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
    genEnd = rec.now();
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
    WorkloadContext c = ctx;
    if (c == null) {
      return finalStats == null ? WorkloadStats.EMPTY : finalStats;
    }
    long s = genStart;
    long e = genEnd >= 0 ? genEnd : c.rec.now();
    // slots sit at k/rate from 0: n slots span (n-1)/rate seconds plus one period
    double rate = s < 0 || e <= s ? 0 : offered.get() / ((e - s) / 1e9 + 1 / config.rate());
    return new WorkloadStats(slots.get(), missed.get(), rate, c.sendsOk.sum(), c.sendsInfo.sum(),
        c.sendsFail.sum(), c.receives.sum(), c.acks.sum(), c.receipts.sum(), tracker.owed(),
        tracker.delivered(), tracker.lastReceiveNanos(), tracker.resolved());
  }

  @Override
  public void close() {
    stopping = true;
    WorkloadContext c = ctx;
    if (c == null) {
      adapter.close();
      return;
    }
    try {
      adapter.disconnect();
    } finally {
      finalStats = stats();
      c.close();
      adapter.close();
      ctx = null;
    }
  }
}
