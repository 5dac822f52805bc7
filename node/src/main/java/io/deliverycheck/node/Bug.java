package io.deliverycheck.node;

import java.util.Locale;

/**
 * Known bugs a node can be started with ({@code --bug NAME}), off by default. Each is a small, real
 * deviation in one code path; docs/node.md says what outcome the checker should find for each.
 */
public enum Bug {
  /** POST /messages answers {@code accepted} before the transaction commits. */
  ACK_BEFORE_COMMIT,
  /** Sends ignore the idempotency key: a retried key creates a second message. */
  NO_IDEMPOTENCY_KEY,
  /** A successful WebSocket write marks the delivery delivered, without the device's ack. */
  GATEWAY_WRITE_IS_DELIVERED,
  /** Workers claim due rows with a plain SELECT (no lease, no SKIP LOCKED): two workers push the same row. */
  NO_LEASE,
  /** Rows are never dead-lettered: poison rows retry forever. */
  NO_DEAD_LETTER,
  /** Retries are due immediately (no ack wait, no backoff). */
  NO_BACKOFF;

  /** {@code "ack-before-commit"} and so on. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** Parses the wire form; throws IllegalArgumentException naming the valid values. */
  public static Bug parse(String s) {
    for (Bug b : values()) {
      if (b.wire().equals(s)) {
        return b;
      }
    }
    StringBuilder names = new StringBuilder();
    for (Bug b : values()) {
      names.append(names.length() == 0 ? "" : ", ").append(b.wire());
    }
    throw new IllegalArgumentException("unknown bug '" + s + "': use one of " + names);
  }
}
