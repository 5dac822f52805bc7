package io.deliverycheck.checker.runner;

/**
 * One live progress sample of a run.
 *
 * @param phase {@code setup}, {@code running}, {@code healing}, {@code draining}, {@code checking}
 * @param elapsedMillis since the history's clock started
 * @param ops ops recorded so far
 * @param faultsActive faults started and not yet stopped, from the nemesis ops in the history
 */
public record Progress(String phase, long elapsedMillis, long ops, int faultsActive, WorkloadStats stats) {

  /** The human progress line: elapsed, ops, faults, sends ok/info/fail, receives. */
  public String line() {
    return String.format(
        "[%s] %5.1fs  ops %d  faults %d  sends ok/info/fail %d/%d/%d  receives %d  delivered %d/%d%s",
        phase, elapsedMillis / 1000.0, ops, faultsActive, stats.sendsOk(), stats.sendsInfo(), stats.sendsFail(),
        stats.receives(), stats.delivered(), stats.owed(),
        stats.missedSlots() > 0 ? "  missed " + stats.missedSlots() : "");
  }
}
