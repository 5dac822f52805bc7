package io.deliverycheck.node;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;

/**
 * Everything a {@link Node} needs, with the defaults of Contract 2. Mutable on purpose (a builder for
 * tests and the command line); a node copies nothing, so do not change it after {@link Node#start}.
 */
public final class NodeConfig {
  public String id = "n1";
  public String bindHost = "127.0.0.1";
  /** 0 = any free port. */
  public int httpPort = 0;
  /** 0 = any free port. */
  public int clusterPort = 0;
  public String clusterExternalHost;
  public int clusterExternalPort;
  /** TCPPING initial hosts, "h:p,h:p"; empty: this node alone (plus whoever finds it). */
  public String peers = "";
  /** postgresql://user[:pw]@host:port/db; null: embedded PostgreSQL under {@link #dataDir}. */
  public String pgUrl;
  public Path dataDir;
  /** Port of the embedded PostgreSQL; 0 = any free port. */
  public int embeddedPgPort;
  public Path logDir = Path.of("logs");
  public Guarantee guarantee = Guarantee.EXACTLY_ONCE;
  public Set<Bug> bugs = EnumSet.noneOf(Bug.class);
  public int maxAttempts = 8;
  /** The least ack timeout: the adaptive timeout (SRTT + 4 RTTVAR of observed acks) never goes below it. */
  public long ackTimeoutMs = 1000;
  /** The cap of the adaptive ack timeout (at least {@link #ackTimeoutMs}). */
  public long ackTimeoutMaxMs = 4000;
  /** Pushes awaiting an ack per device socket; more wait on the gateway node (0: no limit). */
  public int maxInFlight = 16;
  public long leaseMs = 3000;
  public long backoffBaseMs = 100;
  public long backoffMaxMs = 5000;
  /** Shared secret required on every request when non-null. */
  public String token;
  /** Worker loops per node, each claiming due rows (two loops show what leases are for). */
  public int workers = 2;
  /** Retry/recovery poll period; polls are aligned to multiples of it. */
  public long pollMs = 100;
  /** Max rows per claim. */
  public int claimBatch = 200;
  /** Group-commit batches in flight per kind (accepts, acks); fewer means bigger batches. */
  public int groupCommitInFlight = 2;
  /** PostgreSQL connections in the pool. */
  public int poolSize = 10;
  /** Seed of this node's backoff jitter; printed in the log. */
  public long seed = System.nanoTime();
  /** Log through the root logger (process mode: JGroups and Vert.x logs land in the same file). */
  public boolean logToRoot;

  public boolean bug(Bug b) {
    return bugs.contains(b);
  }

  /** The data directory, defaulting to ./data/&lt;id&gt;. */
  public Path dataDirOrDefault() {
    return dataDir != null ? dataDir : Path.of("data", id);
  }
}
