package io.deliverycheck.checker.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.deliverycheck.checker.CheckResult;
import io.deliverycheck.checker.DeliveryChecker;
import io.deliverycheck.checker.Guarantee;
import io.deliverycheck.checker.edn.EdnHistoryReader;
import io.deliverycheck.checker.history.HistoryFormatException;
import io.deliverycheck.checker.report.JUnitXml;
import io.deliverycheck.checker.report.Report;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * {@code deliverycheck check HISTORY --guarantee G [--out DIR] [--json] [--quiet]}: judges a stored
 * history, prints a summary, writes {@code results.json}. Exit codes: 0 valid, 1 invalid,
 * 2 unknown, 3 unreadable history (nothing is written then), 64 bad command line.
 */
@Command(
    name = "check",
    mixinStandardHelpOptions = true,
    exitCodeOnInvalidInput = 64,
    description = {
      "Check a history against a delivery guarantee (docs/history-format.md).",
      "Prints a summary and writes results.json into DIR (default: the history's folder)."
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:valid", "1:invalid (a forbidden outcome was found)",
      "2:unknown (no drained op, or no send was acknowledged)",
      "3:the history cannot be read (missing file, bad line; nothing written)",
      "64:bad command line"
    },
    footer = {
      "",
      "Examples:",
      "  deliverycheck check results/default/latest/history.jsonl \\",
      "      --guarantee exactly-once",
      "  deliverycheck check results/default/latest/history.jsonl   (guarantee from test.json)",
      "  deliverycheck check run/history.jsonl.gz --guarantee at-least-once \\",
      "      --out /tmp/r --quiet; echo $?"
    })
public final class CheckCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "HISTORY",
      description = "The history file: history.jsonl or .jsonl.gz, or a Jepsen-style .edn history.")
  Path history;

  @Option(names = "--guarantee", paramLabel = "G", converter = GuaranteeConverter.class,
      description = {"The guarantee the system claims: at-most-once, at-least-once or exactly-once.",
          "Default: the guarantee in the test.json next to HISTORY (a stored run)."})
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
    PrintWriter err = spec.commandLine().getErr();
    PrintWriter outw = spec.commandLine().getOut();
    if (guarantee == null) {
      guarantee = guaranteeOfRun(history);
      if (guarantee == null) {
        throw new ParameterException(spec.commandLine(),
            "Missing --guarantee: no test.json next to " + history + " names one");
      }
    }
    CheckResult r;
    long started = System.nanoTime();
    try {
      r = EdnHistoryReader.isEdn(history)
          ? EdnHistoryReader.check(history, guarantee)
          : DeliveryChecker.check(history, guarantee);
    } catch (HistoryFormatException e) {
      err.println("deliverycheck check: unreadable history: " + e.getMessage());
      err.flush();
      return 3;
    } catch (IOException e) {
      err.println("deliverycheck check: cannot read " + history + ": " + e.getMessage());
      err.flush();
      return 3;
    }
    Path dir = out != null ? out : history.toAbsolutePath().getParent();
    Path results = dir.resolve("results.json");
    try {
      r.writeJson(results);
    } catch (IOException e) {
      err.println("deliverycheck check: cannot write " + results + ": " + e);
      err.flush();
      return 3;
    }
    String reportPath = null;
    if (report) {
      try {
        reportPath = Report.write(dir).toString();
      } catch (IOException e) {
        err.println("deliverycheck check: cannot write the report in " + dir + ": " + e.getMessage());
      }
    }
    if (junitXml != null) {
      double secs = (System.nanoTime() - started) / 1e9;
      String name = history.toAbsolutePath().getParent().getFileName() + "/" + history.getFileName();
      try {
        JUnitXml.write(junitXml, "deliverycheck.check",
            List.of(JUnitXml.Case.fromResults(name, r.toJson(), reportPath, secs)));
      } catch (IOException e) {
        err.println("deliverycheck check: cannot write " + junitXml + ": " + e.getMessage());
        err.flush();
        return 3;
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
      outw.println("  results: " + results);
    }
    outw.flush();
    return r.exitCode();
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
