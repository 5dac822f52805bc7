package io.deliverycheck.node;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.logging.Logger;

/**
 * The node's PostgreSQL: either an external server ({@code --pg-url}) or an embedded one (zonky) the
 * node starts and owns, always with {@code fsync=on} and {@code synchronous_commit=on} so that
 * "accepted" survives a crash. {@link #startEmbedded} blocks: call it before Vert.x work starts, never
 * on an event loop.
 */
public final class Database implements AutoCloseable {
  private final EmbeddedPostgres embedded;
  private final String url;

  private Database(EmbeddedPostgres embedded, String url) {
    this.embedded = embedded;
    this.url = url;
  }

  /** An external database; nothing is started or stopped. */
  public static Database external(String url) {
    return new Database(null, url);
  }

  /** Starts (or restarts on existing data) a durable embedded PostgreSQL under dataDir. Blocking. */
  public static Database startEmbedded(Path dataDir, int port, Logger log) throws IOException {
    Path pgdata = dataDir.resolve("pg");
    Files.createDirectories(dataDir);
    EmbeddedPostgres pg;
    try {
      pg = EmbeddedPostgres.builder()
        .setDataDirectory(pgdata)
        .setCleanDataDirectory(false)
        .setRegisterShutdownHook(false)
        .setPort(port != 0 ? port : freePort())
        .setServerConfig("fsync", "on")
        .setServerConfig("synchronous_commit", "on")
        .setServerConfig("full_page_writes", "on")
        .setServerConfig("max_connections", "100")
        .start();
    } catch (IOException | RuntimeException e) {
      throw new IOException("embedded PostgreSQL under " + pgdata + (port != 0 ? " on port " + port : "") + ": "
          + e.getMessage(), e);
    }
    String url = "postgresql://postgres@127.0.0.1:" + pg.getPort() + "/postgres";
    log.info("embedded PostgreSQL up at " + url + " (data " + pgdata + ", fsync=on, synchronous_commit=on)");
    return new Database(pg, url);
  }

  /** postgresql://user[:pw]@host:port/db */
  public String url() {
    return url;
  }

  /**
   * A pool on the given Vert.x. Pipelining is off on purpose: pipelined autocommit statements on one
   * connection commit one after the other, one WAL flush each; separate connections let PostgreSQL
   * flush concurrent commits together (measured: docs/benchmarks.md).
   */
  public Pool pool(Vertx vertx, int size) {
    PgConnectOptions connect = PgConnectOptions.fromUri(url).setPipeliningLimit(1).setCachePreparedStatements(true)
        .setReconnectAttempts(0);
    PoolOptions pool = new PoolOptions().setMaxSize(size).setMaxWaitQueueSize(10_000)
        .setConnectionTimeout(5).setIdleTimeout(60);
    return PgBuilder.pool().with(pool).connectingTo(connect).using(vertx).build();
  }

  /** Creates the schema if missing; safe when several nodes start at once (advisory lock). */
  public static Future<Void> migrate(Pool pool) {
    return pool.withTransaction(c -> {
      Future<?> f = c.query("SET LOCAL client_min_messages = warning").execute()
          .compose(x -> c.query("SELECT pg_advisory_xact_lock(424242)").execute());
      for (String ddl : Schema.DDL) {
        f = f.compose(x -> c.query(ddl).execute());
      }
      return f.mapEmpty();
    });
  }

  /** Stops the embedded server if this object started it (fast shutdown). */
  @Override
  public void close() {
    if (embedded != null) {
      try {
        embedded.close();
      } catch (IOException e) {
        // best effort: the process is going away
      }
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
