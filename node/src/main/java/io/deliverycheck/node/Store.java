package io.deliverycheck.node;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Every SQL statement of the node. Each public method is one round trip (one statement, hence one
 * transaction) unless it says otherwise; its future completes only after PostgreSQL answered, so a
 * successful future of a write means the write is committed.
 */
public final class Store {
  /** One delivery row owed by an accepted message; gateway is the node leased for the first push, or null. */
  public record Owed(String recipient, String device, String gateway, long seq) {}

  /** The outcome of an accept: created=false when (sender, key) named an existing message. */
  public record Accepted(String msg, String clientId, boolean created, List<Owed> owed) {}

  /** A delivery row a worker claimed (attempt is the number of this push, 1-based). */
  public record Claimed(String msg, String clientId, String sender, String recipient, String device, int attempt) {}

  /** A state change of one delivery row, with what a receipt needs. */
  public record Change(String msg, String clientId, String sender, String recipient, String device, String state,
      long seq) {}

  /** A stored receipt: the sender's sequence number, the state and when it committed (epoch ms). */
  public record Receipt(long seq, String msg, String clientId, String recipient, String device, String state,
      long atMs) {}

  /**
   * SQL that numbers and stores a receipt for every row of CTE {@code src} (columns sender, msg_id,
   * client_id, recipient, device, state), in the same statement (hence transaction) as the state change.
   * A sender's counter row is locked (in sender order) until the commit, so the numbers of one sender are
   * gap-free and in commit order: once seq n is visible, so is every seq below it. Defines CTE {@code rc}
   * (sender, seq, msg_id, recipient, device).
   */
  static String receiptsOf(String src) {
    return " rn AS (SELECT x.*, row_number() OVER (PARTITION BY x.sender ORDER BY x.msg_id, x.recipient, x.device) AS k,"
        + "  count(*) OVER (PARTITION BY x.sender) AS cnt FROM " + src + " x),"
        + " sq AS (INSERT INTO receipt_seqs AS s (sender, last) SELECT sender, count(*) FROM " + src
        + "  GROUP BY sender ORDER BY sender ON CONFLICT (sender) DO UPDATE SET last = s.last + EXCLUDED.last"
        + "  RETURNING sender, last),"
        + " rc AS (INSERT INTO receipts (sender, seq, msg_id, client_id, recipient, device, state)"
        + "  SELECT rn.sender, sq.last - rn.cnt + rn.k, rn.msg_id, rn.client_id, rn.recipient, rn.device, rn.state"
        + "  FROM rn JOIN sq ON sq.sender = rn.sender RETURNING sender, seq, msg_id, recipient, device)";
  }

  /** A failure after the statement committed (a lookup that followed it): the outcome is unknown. */
  static final class AfterCommit extends RuntimeException {
    AfterCommit(Throwable cause) {
      super(cause.getMessage() == null ? "database lookup after the commit failed" : cause.getMessage(), cause);
    }
  }

  /** Outcome of an ack or read: CHANGED (with the change), ALREADY (idempotent), REFUSED, UNKNOWN. */
  public record Outcome(String kind, Change change, String state) {
    static Outcome of(String kind) {
      return new Outcome(kind, null, null);
    }
  }

  /** One message to accept; gw* list the devices whose gateway is known (first push leased to it). */
  public record AcceptReq(String msg, String clientId, String sender, String key, List<String> to, String[] gwUsers,
      String[] gwDevices, String[] gwNodes, long firstRetryMs) {}

  /** One device ack to record. */
  public record AckReq(String msg, String recipient, String device) {}

  private final Pool pool;
  private final String me;
  private final long leaseMs;

  public Store(Pool pool, String me, long leaseMs) {
    this.pool = pool;
    this.me = me;
    this.leaseMs = leaseMs;
  }

  /**
   * Whether a failure certainly means "not committed": no connection could be opened (refused, or
   * PostgreSQL refused it: 57P03 starting up, class 28 authentication, 3D000 no such database; the
   * statement was never sent), or PostgreSQL answered the statement with an ERROR (rolled back). FATAL/PANIC (connection terminated, e.g. a server shutdown),
   * connection classes 08 and 57, timeouts and lost connections may hide a commit: unknown.
   */
  public static boolean notCommitted(Throwable e) {
    if (e instanceof AfterCommit) {
      return false; // the write committed; only a lookup after it failed
    }
    if (e instanceof java.net.ConnectException) {
      return true; // no connection to the database: the statement was never sent
    }
    if (!(e instanceof io.vertx.pgclient.PgException pg)) {
      return false;
    }
    String state = pg.getSqlState() == null ? "" : pg.getSqlState();
    if (state.equals("57P03") || state.startsWith("28") || state.equals("3D000")) {
      return true; // refused while connecting (starting up, authentication, no database): never sent
    }
    return "ERROR".equals(pg.getSeverity()) && !state.startsWith("08") && !state.startsWith("57");
  }

  public Pool pool() {
    return pool;
  }

  /** Registers a device (idempotent). */
  public Future<Void> registerDevice(String user, String device) {
    return pool.preparedQuery("INSERT INTO devices (user_id, device) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .execute(Tuple.of(user, device)).mapEmpty();
  }

  private static final String ACCEPT =
      "WITH m AS ("
          + " INSERT INTO messages (msg_id, client_id, sender, key, recipients, accepted_by)"
          + " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (sender, key) DO NOTHING RETURNING msg_id),"
          + " d AS ("
          + " INSERT INTO deliveries (msg_id, recipient, device, attempts, next_attempt_at, lease_owner, lease_until)"
          + " SELECT m.msg_id, dv.user_id, dv.device,"
          + "  CASE WHEN g.node IS NULL THEN 0 ELSE 1 END,"
          + "  CASE WHEN g.node IS NULL THEN now() ELSE now() + $10::bigint * interval '1 millisecond' END,"
          + "  g.node,"
          + "  CASE WHEN g.node IS NULL THEN NULL ELSE now() + $11::bigint * interval '1 millisecond' END"
          + " FROM m JOIN devices dv ON dv.user_id = ANY($5)"
          + " LEFT JOIN unnest($7::text[], $8::text[], $9::text[]) AS g(u, dev, node)"
          + "   ON g.u = dv.user_id AND g.dev = dv.device"
          + " RETURNING msg_id, recipient, device, lease_owner),"
          + " src AS (SELECT $3::text AS sender, d.msg_id, $2::text AS client_id, d.recipient, d.device,"
          + "  'accepted'::text AS state FROM d),"
          + receiptsOf("src")
          + " SELECT m.msg_id, d.recipient, d.device, d.lease_owner, rc.seq FROM m LEFT JOIN d ON true"
          + " LEFT JOIN rc ON rc.msg_id = d.msg_id AND rc.recipient = d.recipient AND rc.device = d.device";

  /**
   * Inserts a message and one delivery row per registered device of its recipients, in one
   * transaction. Devices present in the gateway arrays get their first attempt leased to that node
   * (the caller pushes right after); the others wait for a worker. key null: never deduplicated.
   * When beforeCommit is non-null the insert runs in an explicit transaction and beforeCommit sees
   * the result before COMMIT is sent (the ack-before-commit bug); the future still completes after
   * the commit. A conflicting (sender, key) yields created=false and the existing message.
   */
  public Future<Accepted> accept(AcceptReq q, Consumer<Accepted> beforeCommit) {
    String clientId = q.clientId();
    Tuple args = Tuple.of(q.msg(), clientId, q.sender(), q.key(), q.to().toArray(new String[0]), me)
        .addArrayOfString(q.gwUsers()).addArrayOfString(q.gwDevices()).addArrayOfString(q.gwNodes())
        .addLong(q.firstRetryMs()).addLong(leaseMs);
    Future<Accepted> inserted;
    if (beforeCommit == null) {
      inserted = pool.preparedQuery(ACCEPT).execute(args).map(rs -> accepted(rs, clientId));
    } else {
      // the bug changes only the order of answer and COMMIT: a key conflict is looked up inside the
      // transaction, then answered (before COMMIT) like any accept
      return pool.getConnection().compose(conn -> conn.begin().compose(tx ->
          conn.preparedQuery(ACCEPT).execute(args).map(rs -> accepted(rs, clientId))
              .compose(a -> a != null ? Future.succeededFuture(a) : existing(conn, q.sender(), q.key()))
              .compose(a -> {
                beforeCommit.accept(a);
                return tx.commit().map(a);
              }))
          .eventually(conn::close));
    }
    return inserted.compose(a -> a != null ? Future.succeededFuture(a) : afterCommit(existing(pool, q.sender(), q.key())));
  }

  private static final String ACCEPT_BATCH =
      "WITH i AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[])"
          + "  AS i(msg_id, client_id, sender, key, first_ms)),"
          + " r AS (SELECT * FROM unnest($6::text[], $7::text[]) AS r(msg_id, user_id)),"
          + " m AS (INSERT INTO messages (msg_id, client_id, sender, key, recipients, accepted_by)"
          + "  SELECT i.msg_id, i.client_id, i.sender, i.key, ARRAY(SELECT r.user_id FROM r WHERE r.msg_id = i.msg_id), $8"
          + "  FROM i ORDER BY i.sender, i.key ON CONFLICT (sender, key) DO NOTHING RETURNING msg_id),"
          + " d AS (INSERT INTO deliveries (msg_id, recipient, device, attempts, next_attempt_at, lease_owner, lease_until)"
          + "  SELECT m.msg_id, dv.user_id, dv.device,"
          + "   CASE WHEN g.node IS NULL THEN 0 ELSE 1 END,"
          + "   CASE WHEN g.node IS NULL THEN now() ELSE now() + i.first_ms * interval '1 millisecond' END,"
          + "   g.node,"
          + "   CASE WHEN g.node IS NULL THEN NULL ELSE now() + $9::bigint * interval '1 millisecond' END"
          + "  FROM m JOIN i ON i.msg_id = m.msg_id JOIN r ON r.msg_id = m.msg_id JOIN devices dv ON dv.user_id = r.user_id"
          + "  LEFT JOIN unnest($10::text[], $11::text[], $12::text[]) AS g(u, dev, node)"
          + "   ON g.u = dv.user_id AND g.dev = dv.device"
          + "  RETURNING msg_id, recipient, device, lease_owner),"
          + " src AS (SELECT i.sender, d.msg_id, i.client_id, d.recipient, d.device, 'accepted'::text AS state"
          + "  FROM d JOIN i ON i.msg_id = d.msg_id),"
          + receiptsOf("src")
          + " SELECT m.msg_id, d.recipient, d.device, d.lease_owner, rc.seq FROM m LEFT JOIN d ON d.msg_id = m.msg_id"
          + " LEFT JOIN rc ON rc.msg_id = d.msg_id AND rc.recipient = d.recipient AND rc.device = d.device";

  /**
   * Accepts several messages in one statement (group commit). Returns, in order, the created message
   * or the existing one when (sender, key) was taken (looked up after the commit).
   */
  public Future<List<Accepted>> acceptBatch(List<AcceptReq> qs) {
    int n = qs.size();
    String[] msgs = new String[n];
    String[] clients = new String[n];
    String[] senders = new String[n];
    String[] keys = new String[n];
    Long[] first = new Long[n];
    List<String> rMsg = new ArrayList<>();
    List<String> rUser = new ArrayList<>();
    Map<String, String[]> gw = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      AcceptReq q = qs.get(i);
      msgs[i] = q.msg();
      clients[i] = q.clientId();
      senders[i] = q.sender();
      keys[i] = q.key();
      first[i] = q.firstRetryMs();
      for (String u : q.to()) {
        rMsg.add(q.msg());
        rUser.add(u);
      }
      for (int k = 0; k < q.gwUsers().length; k++) {
        gw.putIfAbsent(q.gwUsers()[k] + "\u0000" + q.gwDevices()[k],
            new String[] {q.gwUsers()[k], q.gwDevices()[k], q.gwNodes()[k]});
      }
    }
    String[] gu = new String[gw.size()];
    String[] gd = new String[gw.size()];
    String[] gn = new String[gw.size()];
    int k = 0;
    for (String[] g : gw.values()) {
      gu[k] = g[0];
      gd[k] = g[1];
      gn[k++] = g[2];
    }
    Tuple args = Tuple.tuple().addArrayOfString(msgs).addArrayOfString(clients).addArrayOfString(senders)
        .addArrayOfString(keys).addArrayOfLong(first).addArrayOfString(rMsg.toArray(new String[0]))
        .addArrayOfString(rUser.toArray(new String[0])).addString(me).addLong(leaseMs)
        .addArrayOfString(gu).addArrayOfString(gd).addArrayOfString(gn);
    return pool.preparedQuery(ACCEPT_BATCH).execute(args).compose(rs -> {
      Map<String, List<Owed>> created = new LinkedHashMap<>();
      for (Row r : rs) {
        List<Owed> owed = created.computeIfAbsent(r.getString(0), x -> new ArrayList<>());
        if (r.getString(1) != null) {
          owed.add(new Owed(r.getString(1), r.getString(2), r.getString(3), seqOf(r, 4)));
        }
      }
      List<Future<Accepted>> out = new ArrayList<>(n);
      for (AcceptReq q : qs) {
        List<Owed> owed = created.get(q.msg());
        out.add(owed != null ? Future.succeededFuture(new Accepted(q.msg(), q.clientId(), true, owed))
            : existing(pool, q.sender(), q.key()));
      }
      // the batch committed: a failed lookup of an existing message must not read as "not committed"
      return afterCommit(Future.all(out)).map(cf -> {
        List<Accepted> l = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          l.add(cf.resultAt(i));
        }
        return l;
      });
    });
  }

  private static final String DELIVERED_BATCH =
      "WITH i AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS i(msg_id, recipient, device, n)),"
          + " u AS (UPDATE deliveries d SET state = 'delivered', delivered_at = now(), lease_owner = NULL, lease_until = NULL"
          + "  FROM i WHERE d.msg_id = i.msg_id AND d.recipient = i.recipient AND d.device = i.device"
          + "  AND d.state IN ('pending', 'failed') RETURNING d.msg_id, d.recipient, d.device),"
          + " src AS (SELECT m.sender, u.msg_id, m.client_id, u.recipient, u.device, 'delivered'::text AS state"
          + "  FROM u JOIN messages m ON m.msg_id = u.msg_id),"
          + receiptsOf("src")
          + " SELECT i.n, CASE WHEN u.msg_id IS NOT NULL THEN 'changed' ELSE d.state END, m.client_id, m.sender,"
          + " rc.seq FROM i"
          + " LEFT JOIN u ON u.msg_id = i.msg_id AND u.recipient = i.recipient AND u.device = i.device"
          + " LEFT JOIN rc ON rc.msg_id = i.msg_id AND rc.recipient = i.recipient AND rc.device = i.device"
          + " LEFT JOIN deliveries d ON d.msg_id = i.msg_id AND d.recipient = i.recipient AND d.device = i.device"
          + " LEFT JOIN messages m ON m.msg_id = i.msg_id ORDER BY i.n";

  /** Marks several deliveries delivered in one statement; outcomes in order (callers dedup rows). */
  public Future<List<Outcome>> markDeliveredBatch(List<AckReq> qs) {
    return changeBatch(DELIVERED_BATCH, qs, "delivered", st -> "ALREADY");
  }

  /**
   * Runs a batch statement of one state change (columns: ordinal, 'changed' or the row's state,
   * client id, sender, receipt seq); {@code unchanged} names the outcome of a row that did not change.
   */
  private Future<List<Outcome>> changeBatch(String sql, List<AckReq> qs, String state,
      java.util.function.UnaryOperator<String> unchanged) {
    String[] m = new String[qs.size()];
    String[] r = new String[qs.size()];
    String[] d = new String[qs.size()];
    for (int i = 0; i < qs.size(); i++) {
      m[i] = qs.get(i).msg();
      r[i] = qs.get(i).recipient();
      d[i] = qs.get(i).device();
    }
    return pool.preparedQuery(sql)
        .execute(Tuple.tuple().addArrayOfString(m).addArrayOfString(r).addArrayOfString(d)).map(rs -> {
          List<Outcome> out = new ArrayList<>(qs.size());
          for (Row row : rs) {
            AckReq q = qs.get((int) (row.getLong(0) - 1));
            String st = row.getString(1);
            if (st == null) {
              out.add(Outcome.of("UNKNOWN"));
            } else if (st.equals("changed")) {
              out.add(new Outcome("CHANGED",
                  new Change(q.msg(), row.getString(2), row.getString(3), q.recipient(), q.device(), state,
                      seqOf(row, 4)), state));
            } else {
              out.add(new Outcome(unchanged.apply(st), null, st));
            }
          }
          return out;
        });
  }


  private static Accepted accepted(RowSet<Row> rs, String clientId) {
    if (rs.size() == 0) {
      return null;
    }
    String msg = null;
    List<Owed> owed = new ArrayList<>();
    for (Row r : rs) {
      msg = r.getString(0);
      if (r.getString(1) != null) {
        owed.add(new Owed(r.getString(1), r.getString(2), r.getString(3), seqOf(r, 4)));
      }
    }
    return new Accepted(msg, clientId, true, owed);
  }

  /** The message already stored under (sender, key), with its delivery rows. */
  public static Future<Accepted> existing(io.vertx.sqlclient.SqlClient db, String sender, String key) {
    return db.preparedQuery("SELECT m.msg_id, m.client_id, d.recipient, d.device FROM messages m"
            + " LEFT JOIN deliveries d ON d.msg_id = m.msg_id WHERE m.sender = $1 AND m.key = $2"
            + " ORDER BY d.recipient, d.device")
        .execute(Tuple.of(sender, key)).map(rs -> {
          String msg = null;
          String client = null;
          List<Owed> owed = new ArrayList<>();
          for (Row r : rs) {
            msg = r.getString(0);
            client = r.getString(1);
            if (r.getString(2) != null) {
              owed.add(new Owed(r.getString(2), r.getString(3), null, 0));
            }
          }
          if (msg == null) {
            throw new IllegalStateException("message of (" + sender + ", " + key + ") vanished");
          }
          return new Accepted(msg, client, false, owed);
        });
  }

  private static final String DELIVERED =
      "WITH u AS (UPDATE deliveries SET state = 'delivered', delivered_at = now(), lease_owner = NULL,"
          + " lease_until = NULL WHERE msg_id = $1 AND recipient = $2 AND device = $3"
          + " AND state IN ('pending', 'failed') RETURNING msg_id, recipient, device),"
          + " src AS (SELECT m.sender, u.msg_id, m.client_id, u.recipient, u.device, 'delivered'::text AS state"
          + "  FROM u JOIN messages m ON m.msg_id = u.msg_id),"
          + receiptsOf("src")
          + " SELECT 'changed', m.client_id, m.sender, rc.seq FROM u JOIN messages m ON m.msg_id = u.msg_id JOIN rc ON true"
          + " UNION ALL SELECT d.state, m.client_id, m.sender, NULL::bigint FROM deliveries d"
          + " JOIN messages m ON m.msg_id = d.msg_id"
          + " WHERE d.msg_id = $1 AND d.recipient = $2 AND d.device = $3 AND NOT EXISTS (SELECT 1 FROM u)";

  /** Marks a delivery delivered (idempotent): CHANGED once, ALREADY after, UNKNOWN for no such row. */
  public Future<Outcome> markDelivered(String msg, String recipient, String device) {
    return pool.preparedQuery(DELIVERED).execute(Tuple.of(msg, recipient, device)).map(rs -> {
      if (rs.size() == 0) {
        return Outcome.of("UNKNOWN");
      }
      Row r = rs.iterator().next();
      if ("changed".equals(r.getString(0))) {
        return new Outcome("CHANGED",
            new Change(msg, r.getString(1), r.getString(2), recipient, device, "delivered", seqOf(r, 3)), "delivered");
      }
      return new Outcome("ALREADY", null, r.getString(0));
    });
  }

  private static final String READ_BATCH =
      "WITH i AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS i(msg_id, recipient, device, n)),"
          + " u AS (UPDATE deliveries d SET state = 'read', read_at = now()"
          + "  FROM i WHERE d.msg_id = i.msg_id AND d.recipient = i.recipient AND d.device = i.device"
          + "  AND d.state = 'delivered' RETURNING d.msg_id, d.recipient, d.device),"
          + " src AS (SELECT m.sender, u.msg_id, m.client_id, u.recipient, u.device, 'read'::text AS state"
          + "  FROM u JOIN messages m ON m.msg_id = u.msg_id),"
          + receiptsOf("src")
          + " SELECT i.n, CASE WHEN u.msg_id IS NOT NULL THEN 'changed' ELSE d.state END, m.client_id, m.sender,"
          + " rc.seq FROM i"
          + " LEFT JOIN u ON u.msg_id = i.msg_id AND u.recipient = i.recipient AND u.device = i.device"
          + " LEFT JOIN rc ON rc.msg_id = i.msg_id AND rc.recipient = i.recipient AND rc.device = i.device"
          + " LEFT JOIN deliveries d ON d.msg_id = i.msg_id AND d.recipient = i.recipient AND d.device = i.device"
          + " LEFT JOIN messages m ON m.msg_id = i.msg_id ORDER BY i.n";

  /**
   * Marks several delivered rows read in one statement (group commit, like acks); outcomes in order:
   * CHANGED, ALREADY (was read), REFUSED (not delivered), UNKNOWN (no such row).
   */
  public Future<List<Outcome>> markReadBatch(List<AckReq> qs) {
    return changeBatch(READ_BATCH, qs, "read", st -> "read".equals(st) ? "ALREADY" : "REFUSED");
  }


  private static final String READ =
      "WITH u AS (UPDATE deliveries SET state = 'read', read_at = now()"
          + " WHERE msg_id = $1 AND recipient = $2 AND device = $3 AND state = 'delivered'"
          + " RETURNING msg_id, recipient, device),"
          + " src AS (SELECT m.sender, u.msg_id, m.client_id, u.recipient, u.device, 'read'::text AS state"
          + "  FROM u JOIN messages m ON m.msg_id = u.msg_id),"
          + receiptsOf("src")
          + " SELECT 'changed', m.client_id, m.sender, rc.seq FROM u JOIN messages m ON m.msg_id = u.msg_id JOIN rc ON true"
          + " UNION ALL SELECT d.state, m.client_id, m.sender, NULL::bigint FROM deliveries d"
          + " JOIN messages m ON m.msg_id = d.msg_id"
          + " WHERE d.msg_id = $1 AND d.recipient = $2 AND d.device = $3 AND NOT EXISTS (SELECT 1 FROM u)";

  /** Marks a delivered row read: CHANGED, ALREADY (was read), REFUSED (not delivered), UNKNOWN. */
  public Future<Outcome> markRead(String msg, String recipient, String device) {
    return pool.preparedQuery(READ).execute(Tuple.of(msg, recipient, device)).map(rs -> {
      if (rs.size() == 0) {
        return Outcome.of("UNKNOWN");
      }
      Row r = rs.iterator().next();
      String s = r.getString(0);
      if ("changed".equals(s)) {
        return new Outcome("CHANGED",
            new Change(msg, r.getString(1), r.getString(2), recipient, device, "read", seqOf(r, 3)), "read");
      }
      return new Outcome("read".equals(s) ? "ALREADY" : "REFUSED", null, s);
    });
  }

  /** What a claim needs besides the node. */
  /**
   * users/devices: the devices connected to this node (only their rows are claimed); limits: at
   * most that many rows of each (the free slots of its window), or null for no per-device limit.
   */
  public record ClaimSpec(String me, int batch, long leaseMs, long ackTimeoutMs, long backoffBaseMs,
      long backoffMaxMs, double jitter, int maxAttempts, boolean firstAttemptOnly, boolean noBackoff,
      boolean noDeadLetter, String[] users, String[] devices, Integer[] limits) {}

  private static String nextAttempt(ClaimSpec s) {
    return s.noBackoff() ? "now()"
        : "now() + ($3 + LEAST($5, ($4 * power(2, LEAST(d.attempts, 30)))::bigint) * $6) * interval '1 millisecond'";
  }

  /** Types every claim parameter, so statements that do not use one still prepare. */
  private static final String GUARD = " AND $1::text IS NOT NULL AND $2::bigint IS NOT NULL AND $3::bigint IS NOT NULL"
      + " AND $4::bigint IS NOT NULL AND $5::bigint IS NOT NULL AND $6::float8 IS NOT NULL AND $7::int IS NOT NULL"
      + " AND $8::int IS NOT NULL";

  private static String dueFilter(ClaimSpec s, boolean lease) {
    return " d.state = 'pending' AND d.next_attempt_at <= now()"
        + (lease ? " AND (d.lease_until IS NULL OR d.lease_until <= now() OR d.lease_owner = $1)" : "")
        + (s.firstAttemptOnly() ? " AND d.attempts = 0" : s.noDeadLetter() ? "" : " AND d.attempts < $7")
        + GUARD;
  }

  private static Tuple claimArgs(ClaimSpec s) {
    return Tuple.of(s.me(), s.leaseMs(), s.ackTimeoutMs(), s.backoffBaseMs(), s.backoffMaxMs(), s.jitter(),
        s.maxAttempts(), s.batch()).addArrayOfString(s.users()).addArrayOfString(s.devices());
  }

  /**
   * Claims due rows of the devices connected here: FOR UPDATE SKIP LOCKED, a lease, one more
   * attempt and the next attempt time (ack timeout + exponential backoff with the given jitter).
   */
  public Future<List<Claimed>> claim(ClaimSpec s) {
    if (s.limits() != null) {
      // at most limits[i] due rows of device i, the earliest due first (a device's free window)
      String sql = "UPDATE deliveries d SET attempts = d.attempts + 1, lease_owner = $1,"
          + " lease_until = now() + $2::bigint * interval '1 millisecond', next_attempt_at = " + nextAttempt(s)
          + " FROM (SELECT x.msg_id, x.recipient, x.device FROM unnest($9::text[], $10::text[], $11::int[]) AS l(u, dev, lim)"
          + "   CROSS JOIN LATERAL (SELECT d.msg_id, d.recipient, d.device, d.next_attempt_at FROM deliveries d"
          + "     WHERE d.recipient = l.u AND d.device = l.dev AND" + dueFilter(s, true)
          + "     ORDER BY d.next_attempt_at LIMIT l.lim FOR UPDATE OF d SKIP LOCKED) x"
          + "   ORDER BY x.next_attempt_at LIMIT $8) c,"
          + " messages m WHERE d.msg_id = c.msg_id AND d.recipient = c.recipient AND d.device = c.device"
          + " AND m.msg_id = d.msg_id RETURNING d.msg_id, m.client_id, m.sender, d.recipient, d.device, d.attempts";
      return pool.preparedQuery(sql).execute(claimArgs(s).addArrayOfInteger(s.limits())).map(Store::claimed);
    }
    String sql = "UPDATE deliveries d SET attempts = d.attempts + 1, lease_owner = $1,"
        + " lease_until = now() + $2::bigint * interval '1 millisecond', next_attempt_at = " + nextAttempt(s)
        + " FROM (SELECT d.msg_id, d.recipient, d.device FROM unnest($9::text[], $10::text[]) AS l(u, dev)"
        + "   JOIN deliveries d ON d.recipient = l.u AND d.device = l.dev"
        + "   WHERE" + dueFilter(s, true) + " ORDER BY d.next_attempt_at LIMIT $8 FOR UPDATE OF d SKIP LOCKED) c,"
        + " messages m WHERE d.msg_id = c.msg_id AND d.recipient = c.recipient AND d.device = c.device"
        + " AND m.msg_id = d.msg_id RETURNING d.msg_id, m.client_id, m.sender, d.recipient, d.device, d.attempts";
    return pool.preparedQuery(sql).execute(claimArgs(s)).map(Store::claimed);
  }

  /**
   * The no-lease bug's claim: a plain SELECT of due rows (no lock, no lease check), then, after the
   * caller pushed, {@link #recordAttemptWithoutLease} writes the attempt number it computed.
   */
  public Future<List<Claimed>> selectDueWithoutLease(ClaimSpec s) {
    String sql = "SELECT d.msg_id, m.client_id, m.sender, d.recipient, d.device, d.attempts + 1"
        + " FROM unnest($9::text[], $10::text[]) AS l(u, dev)"
        + " JOIN deliveries d ON d.recipient = l.u AND d.device = l.dev"
        + " JOIN messages m ON m.msg_id = d.msg_id"
        + " WHERE" + dueFilter(s, false) + " ORDER BY d.next_attempt_at LIMIT $8";
    return pool.preparedQuery(sql).execute(claimArgs(s)).map(Store::claimed);
  }

  /** The no-lease bug's write: sets (not increments) the attempt count and the next attempt time. */
  public Future<Void> recordAttemptWithoutLease(ClaimSpec s, Claimed c) {
    String sql = "UPDATE deliveries d SET attempts = $9::int, lease_owner = $1, next_attempt_at = "
        + nextAttempt(s).replace("d.attempts", "($9 - 1)")
        + " WHERE d.msg_id = $10 AND d.recipient = $11 AND d.device = $12 AND d.state = 'pending'"
        + GUARD.replace("$1::text IS NOT NULL AND ", "");
    Tuple t = Tuple.of(s.me(), s.leaseMs(), s.ackTimeoutMs(), s.backoffBaseMs(), s.backoffMaxMs(), s.jitter(),
        s.maxAttempts(), s.batch()).addInteger(c.attempt()).addString(c.msg()).addString(c.recipient())
        .addString(c.device());
    return pool.preparedQuery(sql).execute(t).mapEmpty();
  }

  private static List<Claimed> claimed(RowSet<Row> rs) {
    List<Claimed> out = new ArrayList<>(rs.size());
    for (Row r : rs) {
      out.add(new Claimed(r.getString(0), r.getString(1), r.getString(2), r.getString(3), r.getString(4),
          r.getInteger(5)));
    }
    return out;
  }

  /**
   * Moves rows whose last allowed attempt timed out to the dead letters (state failed), in one
   * statement; returns them for the failed receipts. Any node may do this; row locks make it once.
   */
  public Future<List<Change>> deadLetter(String me, int maxAttempts, int batch) {
    String sql = "WITH f AS (UPDATE deliveries d SET state = 'failed', lease_owner = NULL, lease_until = NULL"
        + " WHERE (d.msg_id, d.recipient, d.device) IN (SELECT msg_id, recipient, device FROM deliveries"
        + "   WHERE state = 'pending' AND attempts >= $2 AND next_attempt_at <= now()"
        + "   AND (lease_until IS NULL OR lease_until <= now() OR lease_owner = $1) LIMIT $3 FOR UPDATE SKIP LOCKED)"
        + " RETURNING d.msg_id, d.recipient, d.device, d.attempts),"
        + " i AS (INSERT INTO dead_letters (msg_id, recipient, device, attempts, failed_by)"
        + "  SELECT msg_id, recipient, device, attempts, $1 FROM f ON CONFLICT DO NOTHING),"
        + " src AS (SELECT m.sender, f.msg_id, m.client_id, f.recipient, f.device, 'failed'::text AS state"
        + "  FROM f JOIN messages m ON m.msg_id = f.msg_id),"
        + receiptsOf("src")
        + " SELECT f.msg_id, m.client_id, m.sender, f.recipient, f.device, rc.seq FROM f JOIN messages m ON m.msg_id = f.msg_id"
        + " JOIN rc ON rc.msg_id = f.msg_id AND rc.recipient = f.recipient AND rc.device = f.device";
    return pool.preparedQuery(sql).execute(Tuple.of(me, maxAttempts, batch)).map(rs -> {
      List<Change> out = new ArrayList<>();
      for (Row r : rs) {
        out.add(new Change(r.getString(0), r.getString(1), r.getString(2), r.getString(3), r.getString(4), "failed",
            seqOf(r, 5)));
      }
      return out;
    });
  }

  /** Per-device states of the messages with that client id (or server id), or null when none. */
  public Future<JsonObject> status(String id) {
    return pool.preparedQuery("SELECT m.msg_id, m.client_id, m.sender, d.recipient, d.device, d.state, d.attempts"
            + " FROM messages m LEFT JOIN deliveries d ON d.msg_id = m.msg_id"
            + " WHERE m.client_id = $1 OR m.msg_id = $1 ORDER BY m.accepted_at, m.msg_id, d.recipient, d.device")
        .execute(Tuple.of(id)).map(rs -> {
          if (rs.size() == 0) {
            return null;
          }
          Map<String, JsonObject> msgs = new LinkedHashMap<>();
          JsonArray flat = new JsonArray();
          for (Row r : rs) {
            JsonObject m = msgs.computeIfAbsent(r.getString(0), k -> new JsonObject().put("msg", k)
                .put("id", r.getString(1)).put("from", r.getString(2)).put("deliveries", new JsonArray()));
            if (r.getString(3) != null) {
              JsonObject d = new JsonObject().put("msg", r.getString(0)).put("recipient", r.getString(3))
                  .put("device", r.getString(4)).put("state", r.getString(5)).put("attempts", r.getInteger(6));
              m.getJsonArray("deliveries").add(d);
              flat.add(d);
            }
          }
          return new JsonObject().put("id", id).put("messages", new JsonArray(new ArrayList<>(msgs.values())))
              .put("deliveries", flat);
        });
  }

  /** Gauges for /metrics: backlog, oldest undelivered age (s), dead-letter depth, uncertain. */
  public Future<double[]> gauges() {
    return pool.query("SELECT (SELECT count(*) FROM deliveries WHERE state = 'pending'),"
            + " (SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0) FROM deliveries WHERE state = 'pending'),"
            + " (SELECT count(*) FROM dead_letters),"
            + " (SELECT count(*) FROM deliveries WHERE state = 'pending' AND attempts > 0)")
        .execute().map(rs -> {
          Row r = rs.iterator().next();
          return new double[] {r.getLong(0), r.getNumeric(1).doubleValue(), r.getLong(2), r.getLong(3)};
        });
  }

  private static long seqOf(Row r, int col) {
    Long v = r.getLong(col);
    return v == null ? 0 : v;
  }

  private static <T> Future<T> afterCommit(Future<T> f) {
    return f.recover(e -> Future.failedFuture(e instanceof AfterCommit ? e : new AfterCommit(e)));
  }

  /** The sender's receipts numbered above {@code after}, in order, at most {@code limit}. */
  public Future<List<Receipt>> receiptsAfter(String sender, long after, int limit) {
    return pool.preparedQuery("SELECT seq, msg_id, client_id, recipient, device, state,"
            + " (EXTRACT(EPOCH FROM at) * 1000)::bigint FROM receipts WHERE sender = $1 AND seq > $2 ORDER BY seq LIMIT $3")
        .execute(Tuple.of(sender, after, limit)).map(rs -> {
          List<Receipt> out = new ArrayList<>(rs.size());
          for (Row r : rs) {
            out.add(new Receipt(r.getLong(0), r.getString(1), r.getString(2), r.getString(3), r.getString(4),
                r.getString(5), r.getLong(6)));
          }
          return out;
        });
  }

  /** The sender's highest receipt number so far (0 when none). */
  public Future<Long> lastReceiptSeq(String sender) {
    return pool.preparedQuery("SELECT last FROM receipt_seqs WHERE sender = $1").execute(Tuple.of(sender))
        .map(rs -> rs.size() == 0 ? 0L : rs.iterator().next().getLong(0));
  }

  /** A cheap liveness query. */
  public Future<Void> ping() {
    return pool.query("SELECT 1").execute().mapEmpty();
  }
}
