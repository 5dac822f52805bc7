package io.deliverycheck.node;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code deliverycheck node}: starts one node of the reference cluster (flags of Contract 2), prints
 * {@code READY <id> http://host:port} when serving and stops cleanly on SIGTERM.
 */
@Command(name = "node", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Start one node of the reference cluster (see docs/node.md).",
    footer = {"", "Example (3 nodes sharing one PostgreSQL):",
        "  deliverycheck node --id n1 --http-port 8081 --cluster-port 7801 \\",
        "      --peers 127.0.0.1:7802,127.0.0.1:7803 --pg-url postgresql://postgres@127.0.0.1:5433/postgres"})
public final class NodeCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--id", required = true, description = "Node id, unique in the cluster (e.g. n1).")
  String id;
  @Option(names = "--bind-host", defaultValue = "127.0.0.1", description = "Address for HTTP and JGroups (default ${DEFAULT-VALUE}).")
  String bindHost;
  @Option(names = "--http-port", defaultValue = "0", description = "HTTP port, 0 = any (default ${DEFAULT-VALUE}).")
  int httpPort;
  @Option(names = "--cluster-port", defaultValue = "0", description = "JGroups port, 0 = any (default ${DEFAULT-VALUE}).")
  int clusterPort;
  @Option(names = "--cluster-external-host", description = "Address advertised to peers (e.g. a proxy).")
  String externalHost;
  @Option(names = "--cluster-external-port", defaultValue = "0", description = "Port advertised to peers.")
  int externalPort;
  @Option(names = "--peers", defaultValue = "", description = "Initial members, host:port,host:port.")
  String peers;
  @Option(names = "--pg-url", description = "postgresql://user[:pw]@host:port/db; absent: embedded PostgreSQL under --data-dir.")
  String pgUrl;
  @Option(names = "--data-dir", description = "Embedded PostgreSQL data (default ./data/<id>).")
  Path dataDir;
  @Option(names = "--embedded-pg-port", defaultValue = "0", description = "Port of the embedded PostgreSQL, 0 = any; "
      + "other nodes can then use it through --pg-url (default ${DEFAULT-VALUE}).")
  int embeddedPgPort;
  @Option(names = "--log-dir", defaultValue = "logs", description = "Log file <log-dir>/<id>.log (default ${DEFAULT-VALUE}).")
  Path logDir;
  @Option(names = "--guarantee", defaultValue = "exactly-once", description = "at-most-once, at-least-once or exactly-once (default ${DEFAULT-VALUE}).")
  String guarantee;
  @Option(names = "--bug", description = "Known bug to switch on (repeatable): ack-before-commit, no-idempotency-key, "
      + "gateway-write-is-delivered, no-lease, no-dead-letter, no-backoff.")
  List<String> bugs = new ArrayList<>();
  @Option(names = "--max-attempts", defaultValue = "8", description = "Pushes before a row is dead-lettered (default ${DEFAULT-VALUE}).")
  int maxAttempts;
  @Option(names = "--ack-timeout-ms", defaultValue = "1000",
      description = "Least wait for a device ack before retrying; the wait adapts to observed ack latency (default ${DEFAULT-VALUE}).")
  long ackTimeoutMs;
  @Option(names = "--ack-timeout-max-ms", defaultValue = "4000",
      description = "Cap of the adaptive ack timeout, at least --ack-timeout-ms (default ${DEFAULT-VALUE}).")
  long ackTimeoutMaxMs;
  @Option(names = "--max-in-flight", defaultValue = "16",
      description = "Pushes awaiting an ack per device socket; more wait on the gateway node, 0: no limit (default ${DEFAULT-VALUE}).")
  int maxInFlight;
  @Option(names = "--lease-ms", defaultValue = "3000", description = "Lease of a claimed row (default ${DEFAULT-VALUE}).")
  long leaseMs;
  @Option(names = "--backoff-base-ms", defaultValue = "100", description = "First retry backoff, doubled per attempt (default ${DEFAULT-VALUE}).")
  long backoffBaseMs;
  @Option(names = "--backoff-max-ms", defaultValue = "5000", description = "Backoff cap (default ${DEFAULT-VALUE}).")
  long backoffMaxMs;
  @Option(names = "--token", description = "Shared token required on every request (or env DELIVERYCHECK_TOKEN).")
  String token;
  @Option(names = "--workers", defaultValue = "2", description = "Worker loops claiming due rows (default ${DEFAULT-VALUE}).")
  int workers;
  @Option(names = "--poll-ms", defaultValue = "100", description = "Retry/recovery poll period (default ${DEFAULT-VALUE}).")
  long pollMs;
  @Option(names = "--pool-size", defaultValue = "10", description = "PostgreSQL connections (default ${DEFAULT-VALUE}).")
  int poolSize;
  @Option(names = "--seed", description = "Seed of the backoff jitter (default: time-based, printed in the log).")
  Long seed;
  @Option(names = "--exit-on-stdin-eof", arity = "1", paramLabel = "true|false",
      description = "Stop when standard input closes (a supervising harness died); default: false.")
  boolean exitOnStdinEof;

  /** Builds the configuration, naming the bad flag when a value is invalid. */
  NodeConfig config() {
    NodeConfig c = new NodeConfig();
    c.id = id;
    c.bindHost = bindHost;
    c.httpPort = httpPort;
    c.clusterPort = clusterPort;
    c.clusterExternalHost = externalHost;
    c.clusterExternalPort = externalPort;
    c.peers = peers;
    c.pgUrl = pgUrl;
    c.dataDir = dataDir;
    c.embeddedPgPort = embeddedPgPort;
    c.logDir = logDir;
    try {
      c.guarantee = Guarantee.parse(guarantee);
      c.bugs = EnumSet.noneOf(Bug.class);
      for (String b : bugs) {
        c.bugs.add(Bug.parse(b));
      }
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    positive("--max-attempts", maxAttempts);
    positive("--ack-timeout-ms", ackTimeoutMs);
    positive("--ack-timeout-max-ms", ackTimeoutMaxMs);
    if (maxInFlight < 0) {
      throw new ParameterException(spec.commandLine(), "--max-in-flight must not be negative, got " + maxInFlight);
    }
    positive("--lease-ms", leaseMs);
    positive("--backoff-base-ms", backoffBaseMs);
    positive("--backoff-max-ms", backoffMaxMs);
    positive("--workers", workers);
    positive("--poll-ms", pollMs);
    positive("--pool-size", poolSize);
    c.maxAttempts = maxAttempts;
    c.ackTimeoutMs = ackTimeoutMs;
    c.ackTimeoutMaxMs = Math.max(ackTimeoutMs, ackTimeoutMaxMs);
    c.maxInFlight = maxInFlight;
    c.leaseMs = leaseMs;
    c.backoffBaseMs = backoffBaseMs;
    c.backoffMaxMs = backoffMaxMs;
    c.workers = workers;
    c.pollMs = pollMs;
    c.poolSize = poolSize;
    c.token = token != null ? token : System.getenv("DELIVERYCHECK_TOKEN");
    if (seed != null) {
      c.seed = seed;
    }
    c.logToRoot = true;
    return c;
  }

  private void positive(String flag, long v) {
    if (v <= 0) {
      throw new ParameterException(spec.commandLine(), flag + " must be positive, got " + v);
    }
  }

  @Override
  public Integer call() throws Exception {
    if (System.getProperty("java.util.logging.manager") == null) {
      // effective only if nothing used java.util.logging yet (true for NodeMain and the cli)
      System.setProperty("java.util.logging.manager", NodeLogManager.class.getName());
    }
    NodeConfig c = config();
    System.setProperty("jgroups.use.jdk_logger", "true");
    Node node = new Node(c);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      node.close();
      NodeLogManager.finish();
      stopped.countDown();
    }, "node-shutdown"));
    try {
      node.start();
    } catch (Exception e) {
      System.err.println("deliverycheck node " + c.id + ": could not start: " + e.getMessage()
          + " (see " + c.logDir.resolve(c.id + ".log") + ")");
      return 1;
    }
    System.out.println("READY " + c.id + " " + node.url());
    System.out.flush();
    if (exitOnStdinEof) {
      watchStdin(c.id);
    }
    stopped.await();
    return 0;
  }

  /** Exits (running the shutdown hook) when standard input reaches its end: the parent is gone. */
  private static void watchStdin(String id) {
    Thread t = new Thread(() -> {
      try {
        while (System.in.read() >= 0) {
          // the harness writes nothing; any byte is ignored
        }
      } catch (java.io.IOException e) {
        // a broken pipe means the same as an end of input
      }
      System.err.println("deliverycheck node " + id + ": standard input closed, stopping");
      System.exit(0);
    }, "stdin-watch");
    t.setDaemon(true);
    t.start();
  }
}
