package io.deliverycheck.checker.history;

import java.util.Locale;

/** The type of an operation, as in Jepsen: an invocation or one of its three completions. */
public enum OpType {
  /** Starts an operation of a process. */
  INVOKE,
  /** It happened. */
  OK,
  /** It certainly did not happen. */
  FAIL,
  /** Unknown: it may have happened, now or later. */
  INFO;

  private final String wire = name().toLowerCase(Locale.ROOT);

  /** The name used in the history file: {@code invoke}, {@code ok}, {@code fail} or {@code info}. */
  public String wire() {
    return wire;
  }

  /**
   * Parses a wire name.
   *
   * @throws IllegalArgumentException naming the bad value when it is not one of the four wire names
   */
  public static OpType parse(String s) {
    if (s != null) {
      switch (s) {
        case "invoke": return INVOKE;
        case "ok": return OK;
        case "fail": return FAIL;
        case "info": return INFO;
        default: break;
      }
    }
    throw new IllegalArgumentException("unknown type \"" + s + "\" (expected invoke, ok, fail or info)");
  }
}
