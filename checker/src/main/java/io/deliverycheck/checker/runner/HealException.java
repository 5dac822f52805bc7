package io.deliverycheck.checker.runner;

import java.util.List;

/**
 * {@link Nemesis#healAll} could not undo every fault. Each failure it names either is already in the
 * history (the fault's stop op carries an {@code error}) or is listed in {@link #unrecorded()}, which
 * the runner records as {@code error} ops, so every failure is counted once.
 */
public final class HealException extends Exception {
  private final List<String> unrecorded;

  /**
   * @param message every failure, one per {@code "; "}-separated part
   * @param unrecorded the failures no nemesis op records (e.g. a sweep that restarts a killed node)
   */
  public HealException(String message, List<String> unrecorded) {
    super(message);
    this.unrecorded = List.copyOf(unrecorded);
  }

  /** The failures the history does not show yet, one line each. */
  public List<String> unrecorded() {
    return unrecorded;
  }
}
