package io.deliverycheck.node;

import java.util.List;

/** The node's tables; every statement is idempotent (created on start). */
final class Schema {
  private Schema() {}

  static final List<String> DDL = List.of(
      // one row per logical message; key is NULL when the mode (or a bug) ignores keys
      "CREATE TABLE IF NOT EXISTS messages ("
          + " msg_id text PRIMARY KEY, client_id text NOT NULL, sender text NOT NULL, key text,"
          + " recipients text[] NOT NULL, accepted_by text NOT NULL,"
          + " accepted_at timestamptz NOT NULL DEFAULT now(), UNIQUE (sender, key))",
      "CREATE INDEX IF NOT EXISTS messages_client_id ON messages (client_id)",
      "CREATE TABLE IF NOT EXISTS devices ("
          + " user_id text NOT NULL, device text NOT NULL, registered_at timestamptz NOT NULL DEFAULT now(),"
          + " PRIMARY KEY (user_id, device))",
      // one row per message and recipient device: state, attempts, next attempt, lease
      "CREATE TABLE IF NOT EXISTS deliveries ("
          + " msg_id text NOT NULL REFERENCES messages (msg_id), recipient text NOT NULL, device text NOT NULL,"
          + " state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','delivered','read','failed')),"
          + " attempts int NOT NULL DEFAULT 0, next_attempt_at timestamptz NOT NULL DEFAULT now(),"
          + " lease_owner text, lease_until timestamptz, created_at timestamptz NOT NULL DEFAULT now(),"
          + " delivered_at timestamptz, read_at timestamptz, PRIMARY KEY (msg_id, recipient, device))",
      "CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (recipient, device, next_attempt_at)"
          + " WHERE state = 'pending'",
      "CREATE INDEX IF NOT EXISTS deliveries_pending_age ON deliveries (created_at) WHERE state = 'pending'",
      "CREATE TABLE IF NOT EXISTS dead_letters ("
          + " msg_id text NOT NULL, recipient text NOT NULL, device text NOT NULL, attempts int NOT NULL,"
          + " failed_by text NOT NULL, failed_at timestamptz NOT NULL DEFAULT now(),"
          + " PRIMARY KEY (msg_id, recipient, device))",
      // receipts: one row per committed state, numbered per sender 1, 2, 3, ... in commit order
      // (the counter row of a sender is locked by the transaction that takes numbers until it commits)
      "CREATE TABLE IF NOT EXISTS receipt_seqs (sender text PRIMARY KEY, last bigint NOT NULL)",
      "CREATE TABLE IF NOT EXISTS receipts ("
          + " sender text NOT NULL, seq bigint NOT NULL, msg_id text NOT NULL, client_id text NOT NULL,"
          + " recipient text NOT NULL, device text NOT NULL, state text NOT NULL,"
          + " at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (sender, seq))");
}
