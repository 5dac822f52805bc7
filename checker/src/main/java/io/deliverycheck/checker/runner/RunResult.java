package io.deliverycheck.checker.runner;

import io.deliverycheck.checker.CheckResult;
import java.nio.file.Path;

/**
 * What a finished run left: its folder, its history, the checker's verdict and the workload's
 * counters.
 */
public record RunResult(long seed, Path runDir, Path history, CheckResult result, WorkloadStats stats,
    String drainReason) {

  /** As {@code deliverycheck check}: 0 valid, 1 invalid, 2 unknown. */
  public int exitCode() {
    return result.exitCode();
  }
}
