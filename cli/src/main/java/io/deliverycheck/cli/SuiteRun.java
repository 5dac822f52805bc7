package io.deliverycheck.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.deliverycheck.checker.report.Report;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * Runs one suite entry as a child {@code java -cp <this classpath> io.deliverycheck.cli.Main test
 * ... --json} process (isolated: its nodes, ports and memory die with it; JVM options from
 * {@code DELIVERYCHECK_JAVA_OPTS} as bin/deliverycheck), bounded by the entry's
 * timeout, and reads the verdict from the JSON it prints. The child's stdout and stderr are kept
 * in the suite's work folder.
 */
final class SuiteRun {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * What one entry gave. {@code verdict}: valid, invalid, unknown, or error (no verdict);
   * {@code harnessErrors}: the harness's failed steps (a fault not applied, a node not healthy).
   */
  record Result(Suite.Entry entry, String verdict, List<String> violations, Path runDir, String report,
      double seconds, int exitCode, String error, List<String> harnessErrors) {

    Result(Suite.Entry entry, String verdict, List<String> violations, Path runDir, String report,
        double seconds, int exitCode, String error) {
      this(entry, verdict, violations, runDir, report, seconds, exitCode, error, List.of());
    }

    /**
     * As the suite expects: the verdict, every expected outcome among the violations, and no
     * harness error unless the verdict is invalid (a run whose faults did not happen proves
     * nothing; a violation that was observed stands).
     */
    boolean asExpected() {
      return verdict.equals(entry.expect()) && violations.containsAll(entry.outcomes())
          && (harnessErrors.isEmpty() || verdict.equals("invalid"));
    }
  }

  private static volatile Process current; // for the Ctrl-C hook

  private SuiteRun() {}

  /** Stops the running child, if any (SIGTERM so it tears its cluster down, then SIGKILL). */
  static void stopCurrent() {
    Process p = current;
    if (p != null && p.isAlive()) {
      p.destroy();
      try {
        if (!p.waitFor(30, TimeUnit.SECONDS)) kill(p);
      } catch (InterruptedException e) {
        kill(p);
        Thread.currentThread().interrupt();
      }
    }
  }

  private static void kill(Process p) {
    p.descendants().forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
  }

  /** The child's command line. */
  static List<String> command(Suite.Entry e, Path results) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    String opts = System.getenv("DELIVERYCHECK_JAVA_OPTS"); // as bin/deliverycheck, e.g. -Xmx512m
    if (opts != null && !opts.isBlank()) cmd.addAll(List.of(opts.trim().split("\\s+")));
    String repo = System.getProperty("deliverycheck.repo");
    if (repo != null) cmd.add("-Ddeliverycheck.repo=" + repo);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Main.class.getName());
    cmd.add("test");
    cmd.addAll(e.args());
    cmd.addAll(List.of("--name", e.name(), "--results", results.toString(), "--json", "--quiet"));
    return cmd;
  }

  /**
   * Runs the entry; {@code tick} gets the elapsed seconds about once a second while it runs.
   */
  static Result run(Suite.Entry e, Path results, Path work, LongConsumer tick) throws InterruptedException {
    long start = System.nanoTime();
    Path out = work.resolve(e.name() + ".stdout.json");
    Path err = work.resolve(e.name() + ".stderr.log");
    Process p;
    try {
      p = new ProcessBuilder(command(e, results)).redirectOutput(out.toFile()).redirectError(err.toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    } catch (IOException x) {
      return error(e, start, -1, "cannot start java: " + x.getMessage());
    }
    current = p;
    try {
      long deadline = start + TimeUnit.SECONDS.toNanos(e.timeoutS());
      while (!p.waitFor(1, TimeUnit.SECONDS)) {
        if (tick != null) tick.accept((System.nanoTime() - start) / 1_000_000_000L);
        if (System.nanoTime() > deadline) {
          p.destroy();
          if (!p.waitFor(30, TimeUnit.SECONDS)) kill(p);
          p.waitFor(10, TimeUnit.SECONDS);
          return error(e, start, -1, "timed out after " + e.timeoutS() + " s (timeout_s), stopped; see " + err);
        }
      }
    } finally {
      current = null;
    }
    int code = p.exitValue();
    JsonNode json = null;
    try {
      if (Files.size(out) > 0) json = JSON.readTree(out.toFile());
    } catch (IOException x) {
      json = null;
    }
    JsonNode run = json == null ? null : json.path("runs").path(0);
    if (run == null || run.isMissingNode()) {
      return error(e, start, code, "exit " + code + " without a verdict: " + lastLine(err) + " (see " + err + ")");
    }
    JsonNode valid = run.path("valid");
    String verdict = valid.isBoolean() ? (valid.booleanValue() ? "valid" : "invalid") : "unknown";
    List<String> violations = new ArrayList<>();
    run.path("violations").forEach(v -> violations.add(v.asText().replace('-', '_')));
    Path runDir = run.hasNonNull("run_dir") ? Path.of(run.get("run_dir").asText()) : null;
    String report = null;
    if (runDir != null && Files.isDirectory(runDir)) {
      try {
        Path r = runDir.resolve(Report.FILE_NAME);
        report = (Files.isRegularFile(r) ? r : Report.write(runDir)).toString();
      } catch (IOException x) {
        report = runDir.toString();
      }
    }
    List<String> harness = new ArrayList<>();
    run.path("harness_error_steps").forEach(x -> harness.add(x.asText()));
    long count = run.path("harness_error_count").asLong(harness.size());
    if (harness.size() < count) {
      harness.add((count - harness.size()) + " more, see " + runDir);
    }
    return new Result(e, verdict, violations, runDir, report, seconds(start), code, null, harness);
  }

  private static Result error(Suite.Entry e, long start, int code, String why) {
    return new Result(e, "error", List.of(), null, null, seconds(start), code, why);
  }

  private static double seconds(long start) {
    return (System.nanoTime() - start) / 1e9;
  }

  private static String lastLine(Path file) {
    try {
      List<String> lines = Files.readAllLines(file);
      for (int i = lines.size() - 1; i >= 0; i--) {
        String l = lines.get(i).strip();
        if (!l.isEmpty() && !l.startsWith("SLF4J")) return l;
      }
    } catch (IOException ignored) {
      // fall through
    }
    return "(no output)";
  }
}
