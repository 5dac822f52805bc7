package io.deliverycheck.checker.runner;

import java.nio.file.Path;

/** The environment or the workload could not be set up; nothing was judged (exit code 4). */
public final class SetupException extends Exception {
  private final Path runDir;

  public SetupException(String what, Path runDir, Throwable cause) {
    super(what + ": " + (cause.getMessage() == null ? cause.toString() : cause.getMessage()), cause);
    this.runDir = runDir;
  }

  /** The run folder holding the logs (logs/, error.txt). */
  public Path runDir() {
    return runDir;
  }
}
