package io.deliverycheck.node;

import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.logging.Logger;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code deliverycheck bench node}: accepted-and-delivered messages/s at saturation and send-to-receive
 * latency at a fixed rate, for 1 and 3 in-process nodes on one durable embedded PostgreSQL, at-least-once
 * and exactly-once. RabbitMQ and the other brokers are measured by {@code bench systems} (module
 * systems). Results: docs/benchmarks.md, "Reference cluster".
 */
@Command(name = "node", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Benchmark the reference cluster.")
public final class BenchNodeCommand implements Callable<Integer> {
  @Option(names = "--nodes", split = ",", defaultValue = "1,3", description = "Cluster sizes (default ${DEFAULT-VALUE}).")
  List<Integer> sizes;
  @Option(names = "--guarantees", split = ",", defaultValue = "at-least-once,exactly-once",
      description = "Modes (default ${DEFAULT-VALUE}).")
  List<String> guarantees;
  @Option(names = "--duration-s", defaultValue = "10", description = "Measured seconds per phase (default ${DEFAULT-VALUE}).")
  int durationS;
  @Option(names = "--warmup-s", defaultValue = "3", description = "Warm-up seconds per scenario (default ${DEFAULT-VALUE}).")
  int warmupS;
  @Option(names = "--rate", defaultValue = "1000", description = "Fixed rate of the latency phase, msg/s (default ${DEFAULT-VALUE}).")
  int rate;
  @Option(names = "--window", defaultValue = "256", description = "Sends in flight at saturation (default ${DEFAULT-VALUE}).")
  int window;
  @Option(names = "--devices", defaultValue = "200", description = "Recipient devices, one per user (default ${DEFAULT-VALUE}).")
  int devices;
  @Option(names = "--pool-size", defaultValue = "10", description = "PostgreSQL connections per node (default ${DEFAULT-VALUE}).")
  int poolSize;
  @Option(names = "--accept-only", description = "Diagnostic: no devices, measure accepts only.")
  boolean acceptOnly;

  /** One scenario's result. */
  record Result(String system, int nodes, String guarantee, double acceptedPerS, double deliveredPerS,
      double p50Ms, double p99Ms, double maxMs, long errors) {}

  /** Runs the benchmark without the cli module: {@code java -cp ... io.deliverycheck.node.BenchNodeCommand}. */
  public static void main(String[] args) {
    System.exit(new picocli.CommandLine(new BenchNodeCommand()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    System.setProperty("jgroups.use.jdk_logger", "true");
    Logger.getLogger("").setLevel(java.util.logging.Level.WARNING);
    Logger.getLogger("org.jgroups").setLevel(java.util.logging.Level.OFF); // shutdown noise between scenarios
    Path work = Files.createTempDirectory("dc-bench-node");
    Logger log = Logger.getLogger("io.deliverycheck.bench");
    List<Result> results = new ArrayList<>();
    try (Database db = Database.startEmbedded(work.resolve("pg-owner"), 0, log)) {
      System.out.println("bench node: PostgreSQL " + db.url() + " (fsync=on, synchronous_commit=on), "
          + Runtime.getRuntime().availableProcessors() + " cores, " + uptime() + ", work dir " + work);
      for (int n : sizes) {
        for (String g : guarantees) {
          results.add(scenario(db, work, n, Guarantee.parse(g)));
        }
      }
    }
    print(results);
    deleteTree(work);
    return 0;
  }

  private void truncate(Database db) throws Exception {
    Vertx vx = Vertx.vertx();
    try {
      Pool p = db.pool(vx, 1);
      Node.await(Database.migrate(p).compose(x -> p.query(
          "TRUNCATE deliveries, dead_letters, messages, devices").execute()), 60);
      Node.await(p.close(), 10);
    } finally {
      Node.await(vx.close(), 10);
    }
  }

  private Result scenario(Database db, Path work, int size, Guarantee g) throws Exception {
    truncate(db);
    List<Node> nodes = new ArrayList<>();
    List<Integer> ports = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      ports.add(Database.freePort());
    }
    String tag = "b" + size + g.wire().charAt(0) + g.wire().charAt(3);
    try {
      for (int i = 0; i < size; i++) {
        NodeConfig c = new NodeConfig();
        c.id = "n" + (i + 1);
        c.pgUrl = db.url();
        c.guarantee = g;
        c.logDir = work.resolve("logs-" + tag);
        c.clusterPort = ports.get(i);
        c.poolSize = poolSize;
        c.seed = 1000 + i;
        List<String> peers = new ArrayList<>();
        for (int p : ports) {
          if (p != c.clusterPort) {
            peers.add("127.0.0.1:" + p);
          }
        }
        c.peers = String.join(",", peers);
        Node node = new Node(c);
        node.start();
        nodes.add(node);
      }
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (nodes.stream().anyMatch(x -> x.view().size() != size)) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("cluster of " + size + " did not form in 30 s");
        }
        Thread.onSpinWait();
        Thread.sleep(50); // polling a view from a plain main thread (no test framework here)
      }
      List<URI> uris = new ArrayList<>();
      for (Node x : nodes) {
        uris.add(URI.create(x.url()));
      }
      try (BenchLoad load = new BenchLoad(uris, devices, tag)) {
        if (!acceptOnly) {
          load.connectDevices();
        }
        // warm-up at saturation, then drain
        load.saturate(window, System.nanoTime() + warmupS * 1_000_000_000L);
        drain(load, warmupS);
        // saturation
        long a0 = load.accepted.get();
        long d0 = load.delivered.get();
        long t0 = System.nanoTime();
        load.saturate(window, t0 + durationS * 1_000_000_000L);
        Thread.sleep(durationS * 1000L);
        double secs = (System.nanoTime() - t0) / 1e9;
        double acc = (load.accepted.get() - a0) / secs;
        double del = (load.delivered.get() - d0) / secs;
        drain(load, durationS);
        // fixed rate latency
        load.latency.getIntervalHistogram();
        load.acceptLatency.getIntervalHistogram();
        load.recordLatency = true;
        load.fixedRate(rate, System.nanoTime() + durationS * 1_000_000_000L);
        Thread.sleep(durationS * 1000L);
        drain(load, 10);
        Histogram h = load.latency.getIntervalHistogram();
        Histogram ha = load.acceptLatency.getIntervalHistogram();
        System.out.printf(Locale.ROOT, "bench node: %d node(s) %s: accept round trip at %d/s p50 %.2f ms p99 %.2f ms%n",
            size, g.wire(), rate, ha.getValueAtPercentile(50) / 1000.0, ha.getValueAtPercentile(99) / 1000.0);
        Result r = new Result("deliverycheck", size, g.wire(), acc, del, h.getValueAtPercentile(50) / 1000.0,
            h.getValueAtPercentile(99) / 1000.0, h.getMaxValue() / 1000.0, load.errors.get());
        System.out.printf(Locale.ROOT, "bench node: %d node(s) %s: %.0f accepted/s, %.0f delivered/s at saturation;"
            + " at %d/s p50 %.2f ms p99 %.2f ms max %.1f ms (%d latency samples, %d errors)%n", size, g.wire(),
            acc, del, rate, r.p50Ms(), r.p99Ms(), r.maxMs(), h.getTotalCount(), load.errors.get());
        for (Node x : nodes) {
          System.out.println("bench node: " + x.id() + " group commit (batches/requests): " + x.groupCommitStats());
        }
        return r;
      }
    } finally {
      for (Node x : nodes) {
        x.close();
      }
    }
  }

  /** Waits (bounded) until every accepted message was acked. */
  private static void drain(BenchLoad load, int maxS) throws InterruptedException {
    long deadline = System.nanoTime() + maxS * 1_000_000_000L + 2_000_000_000L;
    while (System.nanoTime() < deadline && load.delivered.get() < load.accepted.get() && !load.sockets().isEmpty()) {
      Thread.sleep(20);
    }
    Thread.sleep(200);
  }

  /** The load average, so a result can be judged against what else ran on the machine. */
  private static String uptime() {
    try {
      return "load average " + Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (java.io.IOException e) {
      return "load average unknown";
    }
  }

  private static void deleteTree(Path dir) {
    try (java.util.stream.Stream<Path> s = Files.walk(dir)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (java.io.IOException e) {
      System.out.println("bench node: could not delete " + dir + ": " + e.getMessage());
    }
  }

  private static void print(List<Result> rs) {
    System.out.println();
    System.out.println("(" + uptime() + ")");
    System.out.println("| system | nodes | guarantee | accepted/s (saturation) | delivered/s (saturation) | p50 ms | p99 ms | max ms | errors |");
    System.out.println("|---|---|---|---|---|---|---|---|---|");
    for (Result r : rs) {
      System.out.printf(Locale.ROOT, "| %s | %d | %s | %.0f | %.0f | %.2f | %.2f | %.1f | %d |%n", r.system(), r.nodes(),
          r.guarantee(), r.acceptedPerS(), r.deliveredPerS(), r.p50Ms(), r.p99Ms(), r.maxMs(), r.errors());
    }
  }
}
