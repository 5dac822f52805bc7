package io.deliverycheck.checker.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The report of one run: {@code report.html} in the run folder (Contract 3), a single
 * self-contained page that opens offline (Vega and Vega-Lite are inlined).
 *
 * <p>It is a pure function of the run folder's files: results.json (verdict, counts, examples),
 * test.json, faults.json, history.jsonl[.gz] (or a Jepsen-style history.edn[.gz]) and metrics.jsonl; any of them may be missing, and
 * the page then says so. The history is streamed once; memory is bounded whatever its length
 * (stories only for at most {@link Examples#MAX_STORIES} example ids, sampled latency points,
 * downsampled metrics).
 */
public final class Report {
  /** The report's file name inside a run folder. */
  public static final String FILE_NAME = "report.html";

  private Report() {}

  /**
   * Writes {@code runDir/report.html} (atomically: a temp file, then a move) and returns its path.
   *
   * @throws IOException when the run folder is not a directory or the history cannot be read at all
   */
  public static Path write(Path runDir) throws IOException {
    if (!Files.isDirectory(runDir)) throw new IOException(runDir + ": not a run folder (no such directory)");
    RunFolder run = new RunFolder(runDir);
    Examples examples = new Examples(run.results);
    HistoryScan h = run.history == null ? null
        : run.historyIsEdn() ? HistoryScan.scanEdn(run.history, examples.storyIds)
        : HistoryScan.scan(run.history, examples.storyIds);
    MetricsScan m = MetricsScan.scan(run.metrics);
    String html = new ReportPage(run, examples, h, m).render();
    Path target = runDir.resolve(FILE_NAME);
    Path tmp = Files.createTempFile(runDir, ".report", ".html.tmp");
    try {
      Files.writeString(tmp, html, StandardCharsets.UTF_8);
      readableByAll(tmp);
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
    return target;
  }

  /** Temp files are created owner-only; a report (and an index) is for everyone who can read the run. */
  static void readableByAll(Path file) throws IOException {
    try {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    } catch (UnsupportedOperationException e) {
      // not a POSIX file system: keep the defaults
    }
  }
}
