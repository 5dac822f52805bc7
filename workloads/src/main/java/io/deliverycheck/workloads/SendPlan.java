package io.deliverycheck.workloads;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The seeded plan of sends: slot {@code k} is a pure function of (seed, k, settings), so a run's
 * messages can be replayed from its seed and no generator state is shared between threads.
 */
public final class SendPlan {
  private final WorkloadConfig config;
  private final List<String> users;

  public SendPlan(WorkloadConfig config, Roster roster) {
    this.config = config;
    this.users = roster.users();
  }

  /** Nanoseconds after the workload's start at which slot {@code k} is due. */
  public long dueNanos(long k) {
    return (long) (k * 1e9 / config.rate());
  }

  public PlannedSend slot(long k) {
    SplittableRandom r = random(config.seed(), k);
    double share = config.poisonShare();
    boolean poison = share > 0 && r.nextDouble() < share;
    String id = (poison ? (r.nextBoolean() ? "p" : "x") : "m") + k;
    int fromIdx = r.nextInt(users.size());
    int fanout = config.kind().equals("payments") ? 1 : 1 + r.nextInt(Math.min(3, users.size() - 1));
    List<String> to = new ArrayList<>(fanout);
    while (to.size() < fanout) {
      String u = users.get(r.nextInt(users.size()));
      if (!u.equals(users.get(fromIdx)) && !to.contains(u)) {
        to.add(u);
      }
    }
    return new PlannedSend(k, id, "k" + k, users.get(fromIdx), List.copyOf(to), r.nextInt(1 << 20));
  }

  /** A generator for (seed, stream): independent, reproducible streams. */
  static SplittableRandom random(long seed, long stream) {
    return new SplittableRandom(mix(seed * 0x9E3779B97F4A7C15L + stream));
  }

  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
