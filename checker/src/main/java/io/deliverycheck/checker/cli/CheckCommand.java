package io.deliverycheck.checker.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.deliverycheck.checker.CheckResult;
import io.deliverycheck.checker.DeliveryChecker;
import io.deliverycheck.checker.Guarantee;
import io.deliverycheck.checker.GuaranteeChoice;
import io.deliverycheck.checker.MissingGuaranteeException;
import io.deliverycheck.checker.edn.EdnHistoryReader;
import io.deliverycheck.checker.history.HistoryFormatException;
import io.deliverycheck.checker.report.JUnitXml;
import io.deliverycheck.checker.report.Report;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code deliverycheck check HISTORY [--guarantee G] [--out DIR] [--json] [--quiet]}: judges a
 * stored history, prints a summary, writes {@code results.json} (keeping what else a run's
 * results.json held, such as the runner's {@code run} block). Exit codes: 0 valid, 1 invalid,
 * 2 unknown, 3 unreadable history (nothing is written then), 5 the checker itself failed (an
 * internal error, its details in a file it names; or results it could not write), 64 bad command
 * line. Never a stack trace on the terminal.
 */
@Command(
    name = "check",
    mixinStandardHelpOptions = true,
    exitCodeOnInvalidInput = 64,
    description = {
      "Check a history against a delivery guarantee (docs/history-format.md).",
      "Prints a summary and writes results.json into DIR (default: the history's",
      "folder), keeping what else a run's results.json holds. The guarantee:",
      "--guarantee if given, else the one the history's system op claims, else the",
      "one in the test.json next to HISTORY; the summary says which was used."
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:valid",
      "1:invalid (a forbidden outcome was found)",
      "2:unknown (not drained and healed, or nothing acknowledged or owed)",
      "3:the history cannot be read (missing file, bad line; nothing written)",
      "5:the checker itself failed: an internal error (one line, details in the file it names), or it could"
          + " not write results.json, the report or the JUnit XML",
      "64:bad command line, or no guarantee to judge against"
    },
    footer = {
      "",
      "Examples:",
      "  deliverycheck check results/default/latest/history.jsonl \\",
      "      --guarantee exactly-once",
      "  deliverycheck check results/default/latest/history.jsonl   (guarantee from",
      "      the history's system op, else from test.json)",
      "  deliverycheck check run/history.jsonl.gz --guarantee at-least-once \\",
      "      --out /tmp/r --quiet; echo $?"
    })
public final class CheckCommand implements Callable<Integer> {
  /** Exit code when the checker itself fails: never 1 (invalid) nor 3 (unreadable history). */
  public static final int CHECKER_FAILED = 5;

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** How a history is judged; tests replace it to make the checker fail. */
  interface Judging {
    CheckResult check(Path history, GuaranteeChoice choice) throws IOException, HistoryFormatException;
  }

  Judging judging = (h, c) -> EdnHistoryReader.isEdn(h) ? EdnHistoryReader.check(h, c) : DeliveryChecker.check(h, c);

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "HISTORY",
      description = "The history file: history.jsonl or .jsonl.gz, or a Jepsen-style .edn history.")
  Path history;

  @Option(names = "--guarantee", paramLabel = "G", converter = GuaranteeConverter.class,
      description = "The guarantee to judge against: at-most-once, at-least-once or exactly-once."
          + " Default: the one the history's system op claims, else the one in the test.json next to"
          + " HISTORY (a stored run).")
  Guarantee guarantee;

  @Option(names = "--out", paramLabel = "DIR", description = "Where to write results.json (default: the history's folder).")
  Path out;

  @Option(names = "--json", description = "Print results.json to stdout instead of the summary.")
  boolean json;

  @Option(names = {"-q", "--quiet"}, description = "Print nothing but errors; the exit code is the verdict.")
  boolean quiet;

  @Option(names = "--junit-xml", paramLabel = "FILE",
      description = "Also write the verdict as a JUnit XML test case (for CI systems).")
  Path junitXml;

  @Option(names = "--report",
      description = "Also write report.html next to results.json (the history must be in DIR).")
  boolean report;

  @Override
  public Integer call() {
    try {
      return run();
    } catch (ParameterException e) {
      throw e; // a usage error: picocli prints it with the usage, exit 64
    } catch (Throwable t) { // a bug of the checker: one line here, the details in a file
      return crashed(t);
    }
  }

  private int run() {
    PrintWriter err = spec.commandLine().getErr();
    PrintWriter outw = spec.commandLine().getOut();
    GuaranteeChoice choice = guarantee != null
        ? GuaranteeChoice.explicit(guarantee, "--guarantee")
        : GuaranteeChoice.fromHistory(guaranteeOfRun(history), "test.json");
    CheckResult r;
    long started = System.nanoTime();
    try {
      r = judging.check(history, choice);
    } catch (HistoryFormatException e) {
      err.println("deliverycheck check: unreadable history: " + e.getMessage());
      err.flush();
      return 3;
    } catch (IOException e) {
      err.println("deliverycheck check: cannot read " + history + ": " + e.getMessage());
      err.flush();
      return 3;
    } catch (MissingGuaranteeException e) {
      throw new ParameterException(spec.commandLine(), "Missing --guarantee: " + history
          + " has no system op naming a guarantee, and no test.json next to it names one");
    }
    List<String> failures = new ArrayList<>();
    Path dir = out != null ? out : history.toAbsolutePath().getParent();
    Path results = dir.resolve("results.json");
    try {
      CheckResult.writeJson(results, r.toJson(previousResults(results, err)));
    } catch (IOException e) {
      failures.add("cannot write " + results + ": " + e);
    }
    String reportPath = null;
    if (report && failures.isEmpty()) {
      try {
        reportPath = Report.write(dir).toString();
      } catch (IOException e) {
        failures.add("cannot write the report in " + dir + ": " + e.getMessage());
      }
    }
    if (junitXml != null) {
      double secs = (System.nanoTime() - started) / 1e9;
      Path parent = history.toAbsolutePath().getParent();
      String name = (parent.getFileName() == null ? "" : parent.getFileName() + "/") + history.getFileName();
      try {
        JUnitXml.write(junitXml, "deliverycheck.check",
            List.of(JUnitXml.Case.fromResults(name, r.toJson(), reportPath, secs)));
      } catch (IOException e) {
        failures.add("cannot write " + junitXml + ": " + e.getMessage());
      }
    }
    if (json) {
      try {
        outw.println(JSON.writeValueAsString(r.toJson()));
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    } else if (!quiet) {
      outw.print(r.summary());
      if (failures.isEmpty()) {
        outw.println("  results: " + results);
      }
    }
    outw.flush();
    if (!failures.isEmpty()) {
      for (String f : failures) {
        err.println("deliverycheck check: " + f + " (exit " + CHECKER_FAILED + ": the verdict above stands, its files"
            + " are missing)");
      }
      err.flush();
      return CHECKER_FAILED;
    }
    return r.exitCode();
  }

  /** The results.json being replaced, to keep what the checker does not write; null when none. */
  private static JsonNode previousResults(Path results, PrintWriter err) {
    if (!Files.isRegularFile(results)) {
      return null;
    }
    try {
      return JSON.readTree(results.toFile());
    } catch (IOException e) {
      err.println("deliverycheck check: the existing " + results + " is not readable JSON ("
          + e.getMessage().lines().findFirst().orElse("") + "): replaced, without its other fields");
      return null;
    }
  }

  private int crashed(Throwable t) {
    PrintWriter err = spec.commandLine().getErr();
    String what = t instanceof OutOfMemoryError
        ? "ran out of memory (raise the heap, e.g. DELIVERYCHECK_JAVA_OPTS=-Xmx2g)"
        : "internal error (a bug in the checker, not a verdict on the history): " + t.getClass().getSimpleName()
            + (t.getMessage() == null ? "" : ": " + t.getMessage().lines().findFirst().orElse(""));
    String where;
    try {
      Path f = Files.createTempFile("deliverycheck-check-crash-", ".txt");
      StringWriter trace = new StringWriter();
      try (PrintWriter w = new PrintWriter(trace)) {
        w.println("deliverycheck check " + history + (guarantee == null ? "" : " --guarantee " + guarantee.wire()));
        w.println("java " + System.getProperty("java.version") + " on " + System.getProperty("os.name"));
        t.printStackTrace(w);
      }
      Files.writeString(f, trace.toString());
      where = "details in " + f;
    } catch (IOException | RuntimeException e) {
      where = "and its details could not be written (" + e.getMessage() + ")";
    }
    err.println("deliverycheck check: " + what + "; " + where + " (exit " + CHECKER_FAILED + ")");
    err.flush();
    return CHECKER_FAILED;
  }

  /** The guarantee recorded in the run's test.json beside the history, or null. */
  static Guarantee guaranteeOfRun(Path history) {
    Path parent = history.toAbsolutePath().getParent();
    Path testJson = parent == null ? null : parent.resolve("test.json");
    if (testJson == null || !Files.isRegularFile(testJson)) {
      return null;
    }
    try {
      String g = JSON.readTree(testJson.toFile()).path("guarantee").asText("");
      return g.isEmpty() ? null : Guarantee.parse(g);
    } catch (IOException | IllegalArgumentException e) {
      return null;
    }
  }

  /** Parses a guarantee with a message listing the accepted values. */
  static final class GuaranteeConverter implements ITypeConverter<Guarantee> {
    @Override
    public Guarantee convert(String value) {
      return Guarantee.parse(value);
    }
  }
}
