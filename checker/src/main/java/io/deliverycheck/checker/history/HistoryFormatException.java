package io.deliverycheck.checker.history;

import java.nio.file.Path;

/**
 * A history that cannot be read: bad JSON, a missing or wrongly typed field, an index gap, a
 * completion without its invocation, a second open operation of one process, an unknown type, a
 * truncated last line, or a file that cannot be opened. {@link #getMessage()} is
 * {@code FILE:LINE: problem}, meant to be shown to the user as is (no stack trace).
 */
public final class HistoryFormatException extends Exception {
  private final transient Path file;
  private final long line;
  private final String problem;

  /**
   * @param file the history file
   * @param line the 1-based line number, or 0 when the problem concerns the whole file
   * @param problem what is wrong, in words a user can act on
   */
  public HistoryFormatException(Path file, long line, String problem) {
    super(file + ":" + line + ": " + problem, null, false, false);
    this.file = file;
    this.line = line;
    this.problem = problem;
  }

  public Path file() {
    return file;
  }

  /** The 1-based line number; 0 when the whole file is concerned (e.g. it does not exist). */
  public long line() {
    return line;
  }

  public String problem() {
    return problem;
  }
}
