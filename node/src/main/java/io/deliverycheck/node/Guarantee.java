package io.deliverycheck.node;

import java.util.Locale;

/** The delivery guarantee a node implements (the node's own copy: it knows nothing of the harness). */
public enum Guarantee {
  /** Push once, never retry; idempotency keys honoured. */
  AT_MOST_ONCE,
  /** Retry until acked or dead-lettered; keys honoured (a retried send is the same message), no device dedup. */
  AT_LEAST_ONCE,
  /** Retry, idempotency keys, and the push carries the server id {@code msg} so devices can dedup. */
  EXACTLY_ONCE;

  /** {@code "at-most-once"} and so on. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** Parses the wire form; throws IllegalArgumentException naming the valid values. */
  public static Guarantee parse(String s) {
    for (Guarantee g : values()) {
      if (g.wire().equals(s)) {
        return g;
      }
    }
    throw new IllegalArgumentException(
        "unknown guarantee '" + s + "': use at-most-once, at-least-once or exactly-once");
  }
}
