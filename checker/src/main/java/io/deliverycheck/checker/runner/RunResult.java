package io.deliverycheck.checker.runner;

import io.deliverycheck.checker.CheckResult;
import io.deliverycheck.checker.Validity;
import java.nio.file.Path;
import java.util.List;

/**
 * What a finished run left: its folder, its history, the checker's verdict, the workload's counters,
 * why the drain ended and the harness's own failures.
 *
 * @param drainReason {@code all-delivered}, {@code quiet}, {@code cap} or {@code interrupted}
 *     (docs/running.md, "The drain")
 * @param harnessErrors the steps of the harness that failed, one line each, in the order they
 *     happened: those in the history ({@code error} ops and nemesis ops with an {@code error}),
 *     then those after it was closed (tearing down, collecting logs)
 * @param afterHistory how many of {@code harnessErrors} happened after the history was closed
 */
public record RunResult(long seed, Path runDir, Path history, CheckResult result, WorkloadStats stats,
    String drainReason, List<String> harnessErrors, int afterHistory) {

  public RunResult {
    harnessErrors = List.copyOf(harnessErrors);
  }

  /**
   * The number of harness errors: the checker's {@code harness_errors} count of the history when it
   * reports one (else the runner's own count of the same ops), plus the failures after the history
   * was closed.
   */
  public long harnessErrorCount() {
    Long counted = result.counts().get("harness_errors");
    long inHistory = counted != null ? counted : harnessErrors.size() - afterHistory;
    return inHistory + afterHistory;
  }

  /**
   * 1 when the verdict is invalid (a harness error does not make a violation less real); else 4
   * when the harness failed at something (a fault not applied, a node not healthy again: the run
   * did not test what it claims); else as {@code deliverycheck check}: 0 valid, 2 unknown.
   */
  public int exitCode() {
    if (result.valid() == Validity.INVALID) {
      return 1;
    }
    if (harnessErrorCount() > 0) {
      return 4;
    }
    return result.exitCode();
  }
}
