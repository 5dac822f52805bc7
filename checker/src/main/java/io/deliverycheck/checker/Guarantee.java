package io.deliverycheck.checker;

import java.util.Locale;

/** The delivery guarantee a system claims; it decides which outcomes are forbidden (HISTORY.md). */
public enum Guarantee {
  /** Loss allowed (counted); duplicated effects forbidden. */
  AT_MOST_ONCE,
  /** Duplicated effects allowed (counted); loss forbidden. */
  AT_LEAST_ONCE,
  /** Neither loss nor duplicated effects. */
  EXACTLY_ONCE;

  private final String wire = name().toLowerCase(Locale.ROOT).replace('_', '-');

  /** {@code at-most-once}, {@code at-least-once} or {@code exactly-once}. */
  public String wire() {
    return wire;
  }

  /** True when a triple owed but never received makes a drained run invalid. */
  public boolean forbidsLoss() {
    return this != AT_MOST_ONCE;
  }

  /** True when a triple received twice makes the run invalid. */
  public boolean forbidsDuplicates() {
    return this != AT_LEAST_ONCE;
  }

  /**
   * Parses {@code at-most-once}, {@code at-least-once} or {@code exactly-once} (also the enum
   * names, any case).
   *
   * @throws IllegalArgumentException naming the accepted values
   */
  public static Guarantee parse(String s) {
    if (s != null) {
      String k = s.trim().toLowerCase(Locale.ROOT).replace('_', '-');
      for (Guarantee g : values()) {
        if (g.wire.equals(k)) {
          return g;
        }
      }
    }
    throw new IllegalArgumentException("unknown guarantee \"" + s
        + "\" (expected at-most-once, at-least-once or exactly-once)");
  }

  @Override
  public String toString() {
    return wire;
  }
}
