package io.deliverycheck.checker;

import io.deliverycheck.checker.history.HistoryFormatException;
import io.deliverycheck.checker.history.HistoryReader;
import io.deliverycheck.checker.history.Op;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Judges a history against a guarantee (HISTORY.md, "Verdicts"): a pure function of the history.
 * Streaming: feed ops in index order with {@link #accept}, then {@link #finish}. (Work in progress:
 * this first commit fixes the API only.)
 */
public final class DeliveryChecker {
  /** Example lists in results.json hold at most this many entries; counts are always exact. */
  public static final int EXAMPLE_CAP = 100;

  /** The outcome counts, in results.json order. */
  public static final List<String> OUTCOMES = List.of("lost", "undelivered", "duplicated",
      "unexpected", "recovered", "resurrected", "misrouted", "false_delivered",
      "read_before_delivered", "regressed");

  private final Guarantee guarantee;

  public DeliveryChecker(Guarantee guarantee) {
    this.guarantee = guarantee;
  }

  /**
   * Applies the next op (in index order).
   *
   * @throws IllegalArgumentException when the op breaks the history format (e.g. a send without
   *     an id); the message names the index
   */
  public void accept(Op op) {
    throw new UnsupportedOperationException("not implemented yet");
  }

  /** The verdict on the ops accepted so far, the history being complete. */
  public CheckResult finish() {
    throw new UnsupportedOperationException("not implemented yet");
  }

  /**
   * Reads and judges a whole history file (plain or .gz).
   *
   * @throws HistoryFormatException when the file is missing or malformed: FILE:LINE: problem
   */
  public static CheckResult check(Path history, Guarantee g) throws IOException, HistoryFormatException {
    DeliveryChecker c = new DeliveryChecker(g);
    try (HistoryReader r = HistoryReader.open(history)) {
      Op op;
      while ((op = r.next()) != null) {
        c.accept(op);
      }
    }
    return c.finish();
  }
}
