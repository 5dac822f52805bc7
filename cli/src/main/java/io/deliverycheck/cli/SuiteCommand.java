package io.deliverycheck.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.report.JUnitXml;
import io.deliverycheck.checker.report.ResultsIndex;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code deliverycheck suite FILE [--junit-xml FILE]}: runs every test of a suite file (docs/ci.md)
 * one after the other, each in its own JVM, compares each verdict with what the suite expects,
 * prints a summary table and writes one JUnit XML. Exit 0 when every result is as expected, 1
 * when any differs or could not run, 3 when the suite file is invalid.
 */
@Command(
    name = "suite",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Run a suite of tests from a JSON file and compare each verdict with the suite's.",
      "Each entry holds the flags of `deliverycheck test` and the verdict expected; the",
      "command fails when any result differs. Format: docs/ci.md."
    },
    footer = {
      "",
      "Exit codes: 0 all as expected, 1 some differ or could not run, 3 invalid suite file.",
      "",
      "Examples:",
      "  deliverycheck suite suites/nightly.json --junit-xml target/nightly.xml",
      "  deliverycheck suite suites/nightly.json --only 'bug-.*' --dry-run"
    })
public final class SuiteCommand implements Callable<Integer> {
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss");

  @Parameters(paramLabel = "FILE", description = "The suite file, e.g. suites/nightly.json.")
  Path file;

  @Option(names = "--junit-xml", paramLabel = "FILE", description = "Write one JUnit XML test case per entry here.")
  Path junitXml;

  @Option(names = "--results", paramLabel = "DIR", description = "Results folder (default: results/ of the repository, else ./results).")
  Path results;

  @Option(names = "--only", paramLabel = "REGEX", description = "Run only the entries whose name matches.")
  String only;

  @Option(names = "--dry-run", description = "Validate the file and list the test commands; run nothing.")
  boolean dryRun;

  @Option(names = "--quiet", description = "Print only the summary table.")
  boolean quiet;

  @Option(names = "--json", description = "Print the summary as JSON on stdout (human text goes to stderr).")
  boolean json;

  @Override
  public Integer call() throws InterruptedException {
    PrintStream human = json ? System.err : System.out;
    Suite suite;
    try {
      suite = Suite.load(file);
    } catch (Suite.SuiteException e) {
      System.err.println("deliverycheck suite: " + e.getMessage());
      return 3;
    }
    List<Suite.Entry> entries = new ArrayList<>(suite.entries());
    if (only != null) {
      try {
        Pattern p = Pattern.compile(only);
        entries.removeIf(e -> !p.matcher(e.name()).matches());
      } catch (PatternSyntaxException e) {
        System.err.println("deliverycheck suite: --only " + only + ": not a regular expression: " + e.getDescription());
        return 3;
      }
      if (entries.isEmpty()) {
        System.err.println("deliverycheck suite: --only " + only + " matches no entry of " + file);
        return 3;
      }
    }
    Path dir = (results != null ? results : DeliveryTest.ResultsDir.find()).toAbsolutePath().normalize();
    if (dryRun) {
      for (Suite.Entry e : entries) {
        List<String> cmd = SuiteRun.command(e, dir);
        human.println(e.name() + "  expect " + e.expect() + (e.outcomes().isEmpty() ? "" : " " + e.outcomes())
            + "\n    deliverycheck " + String.join(" ", cmd.subList(cmd.indexOf(Main.class.getName()) + 1, cmd.size())));
      }
      human.println(entries.size() + " entries valid in " + file);
      return 0;
    }
    Path work;
    try {
      work = Files.createDirectories(dir.resolve(".suites").resolve(suite.name()).resolve(STAMP.format(LocalDateTime.now())));
    } catch (IOException e) {
      System.err.println("deliverycheck suite: --results " + dir + ": cannot create the suite's work folder: " + e.getMessage());
      return 3;
    }
    Thread hook = new Thread(SuiteRun::stopCurrent, "deliverycheck-suite-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    boolean tty = System.console() != null && !quiet;
    if (!quiet) human.printf("deliverycheck suite %s: %d tests, results in %s%n", suite.name(), entries.size(), dir);
    List<SuiteRun.Result> done = new ArrayList<>();
    for (int i = 0; i < entries.size(); i++) {
      Suite.Entry e = entries.get(i);
      String head = String.format("[%d/%d] %s", i + 1, entries.size(), e.name());
      if (!quiet && !tty) human.println(head + ": running");
      SuiteRun.Result r = SuiteRun.run(e, dir, work, tty ? s -> {
        human.print("\r" + head + ": running " + s + " s   ");
        human.flush();
      } : null);
      done.add(r);
      if (tty) human.print("\r");
      if (!quiet) human.println(head + ": " + line(r));
    }
    Runtime.getRuntime().removeShutdownHook(hook);
    human.print(table(suite, done));
    int exit = done.stream().allMatch(SuiteRun.Result::asExpected) ? 0 : 1;
    try {
      ResultsIndex.write(dir);
    } catch (IOException e) {
      System.err.println("deliverycheck suite: could not update " + dir.resolve(ResultsIndex.FILE_NAME) + ": " + e.getMessage());
    }
    if (junitXml != null) {
      try {
        JUnitXml.write(junitXml, "deliverycheck." + suite.name(), cases(done));
        human.println("JUnit XML: " + junitXml.toAbsolutePath());
      } catch (IOException e) {
        System.err.println("deliverycheck suite: --junit-xml " + junitXml + ": cannot write: " + e.getMessage());
        exit = 1;
      }
    }
    if (json) System.out.println(json(suite, done, exit).toPrettyString());
    return exit;
  }

  private static String line(SuiteRun.Result r) {
    String got = r.verdict() + (r.violations().isEmpty() ? "" : " " + r.violations());
    if (r.error() != null) return "ERROR " + r.error();
    return (r.asExpected() ? "as expected (" : "DIFFERS: expected " + r.entry().expect() + ", got ") + got
        + (r.asExpected() ? ")" : "") + String.format(Locale.ROOT, " in %.0f s", r.seconds())
        + (r.harnessErrors().isEmpty() ? "" : "; harness errors: " + String.join("; ", r.harnessErrors()));
  }

  static String table(Suite suite, List<SuiteRun.Result> rs) {
    long ok = rs.stream().filter(SuiteRun.Result::asExpected).count();
    StringBuilder b = new StringBuilder();
    b.append(String.format("%nsuite %s: %d of %d as expected%s%n", suite.name(), ok, rs.size(),
        ok == rs.size() ? "" : ", " + (rs.size() - ok) + " DIFFER"));
    int w = Math.max(5, rs.stream().mapToInt(r -> r.entry().name().length()).max().orElse(5));
    b.append(String.format("     %-" + w + "s  %-8s %-8s %-28s %7s  %s%n", "test", "expect", "got", "violations", "time", "report"));
    for (SuiteRun.Result r : rs) {
      b.append(String.format(Locale.ROOT, "  %s  %-" + w + "s  %-8s %-8s %-28s %6.0fs  %s%n", r.asExpected() ? "ok" : "XX",
          r.entry().name(), r.entry().expect() + (r.entry().outcomes().isEmpty() ? "" : "*"), r.verdict(),
          r.violations().isEmpty() ? "-" : String.join(",", r.violations()), r.seconds(),
          (r.harnessErrors().isEmpty() ? "" : "harness errors: " + r.harnessErrors().size() + "; ")
              + (r.error() != null ? r.error() : r.report() == null ? "" : r.report())));
    }
    if (rs.stream().anyMatch(r -> !r.entry().outcomes().isEmpty())) {
      b.append("  * expects named outcomes among the violations\n");
    }
    return b.toString();
  }

  static List<JUnitXml.Case> cases(List<SuiteRun.Result> rs) {
    List<JUnitXml.Case> cases = new ArrayList<>();
    for (SuiteRun.Result r : rs) {
      Suite.Entry e = r.entry();
      String cls = "deliverycheck.suite";
      String repro = "reproduce: deliverycheck test " + String.join(" ", e.args()) + " --name " + e.name() + "\n";
      if (r.error() != null) {
        cases.add(new JUnitXml.Case(e.name(), cls, r.seconds(), JUnitXml.Status.ERROR, r.error(), repro, null));
      } else if (r.asExpected()) {
        cases.add(new JUnitXml.Case(e.name(), cls, r.seconds(), JUnitXml.Status.PASSED, null, null, r.report()));
      } else {
        String msg = "expected " + e.expect() + (e.outcomes().isEmpty() ? "" : " with " + e.outcomes()) + ", got "
            + r.verdict() + (r.violations().isEmpty() ? "" : " " + r.violations())
            + (r.harnessErrors().isEmpty() ? "" : " with harness errors: " + String.join("; ", r.harnessErrors()));
        String details = (r.report() == null ? "" : "report: " + r.report() + "\n") + repro
            + (e.description() == null ? "" : "about: " + e.description() + "\n");
        cases.add(new JUnitXml.Case(e.name(), cls, r.seconds(), JUnitXml.Status.FAILED, msg, details, r.report()));
      }
    }
    return cases;
  }

  private static ObjectNode json(Suite suite, List<SuiteRun.Result> rs, int exit) {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("suite", suite.name());
    o.put("exit_code", exit);
    ArrayNode a = o.putArray("tests");
    for (SuiteRun.Result r : rs) {
      ObjectNode t = a.addObject();
      t.put("name", r.entry().name());
      t.put("expect", r.entry().expect());
      t.put("got", r.verdict());
      t.put("as_expected", r.asExpected());
      ArrayNode v = t.putArray("violations");
      r.violations().forEach(v::add);
      t.put("seconds", Math.round(r.seconds() * 10) / 10.0);
      if (r.runDir() != null) t.put("run_dir", r.runDir().toString());
      if (r.report() != null) t.put("report", r.report());
      if (r.error() != null) t.put("error", r.error());
      ArrayNode h = t.putArray("harness_errors");
      r.harnessErrors().forEach(h::add);
    }
    return o;
  }
}
