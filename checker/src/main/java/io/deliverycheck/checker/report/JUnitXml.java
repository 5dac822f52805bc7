package io.deliverycheck.checker.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;

/**
 * JUnit XML (the Ant/Surefire schema every CI system reads) for deliverycheck runs: one
 * {@code <testcase>} per run (or per model), failures carrying the violated outcomes, a few
 * examples and the path of the report.
 *
 * <pre>{@code
 * JUnitXml.write(Path.of("target/deliverycheck.xml"), "deliverycheck",
 *     List.of(JUnitXml.Case.fromRun("exactly-once-partition", runDir, 62.4)));
 * }</pre>
 */
public final class JUnitXml {
  private JUnitXml() {}

  /** How a case ended. {@code ERROR}: it could not run or be judged; {@code SKIPPED}: not run. */
  public enum Status { PASSED, FAILED, ERROR, SKIPPED }

  /**
   * One test case.
   *
   * @param name the case's name (e.g. the test or suite entry name)
   * @param className the group CI shows it under (e.g. "deliverycheck.exactly-once")
   * @param seconds how long it took
   * @param message one line: why it failed (null when passed)
   * @param details the failure's body: outcomes, examples, how to reproduce (nullable)
   * @param report path of report.html (or the run folder), shown in system-out (nullable)
   */
  public record Case(String name, String className, double seconds, Status status, String message,
      String details, String report) {
    public Case {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(className, "className");
      Objects.requireNonNull(status, "status");
    }

    /**
     * A case from a run folder's results.json: valid passes; invalid fails naming the violated
     * outcomes with their counts and examples; unknown fails too (a run that proves nothing is not
     * a pass in CI); a missing or unreadable results.json is an error.
     */
    public static Case fromRun(String name, Path runDir, double seconds) {
      RunFolder f = new RunFolder(runDir);
      Path report = runDir.resolve(Report.FILE_NAME);
      String where = Files.isRegularFile(report) ? report.toString() : runDir.toString();
      if (f.results.isMissingNode()) {
        return new Case(name, className(f.guarantee()), seconds, Status.ERROR,
            "no readable results.json in " + runDir, String.join("\n", f.warnings), where);
      }
      return fromResults(name, f.results, where, seconds);
    }

    /**
     * A case from a results.json document (see {@link #fromRun}). A failure's details also name
     * the guarantee's source and the system op's claims, the new outcomes counted but allowed
     * ({@code unresolved}, {@code reordered} where their claim is absent), and the harness errors
     * with the step that failed.
     */
    public static Case fromResults(String name, JsonNode results, String report, double seconds) {
      String verdict = RunFolder.verdictOf(results);
      String g = results.path("guarantee").asText(null);
      String cls = className(g);
      if (verdict.equals("valid")) return new Case(name, cls, seconds, Status.PASSED, null, null, report);
      StringBuilder details = new StringBuilder();
      String message;
      if (verdict.equals("invalid")) {
        List<String> parts = new ArrayList<>();
        for (JsonNode v : results.path("violations")) {
          String key = v.asText().replace('-', '_');
          JsonNode c = results.path("counts").path(key);
          parts.add(v.asText() + (c.isNumber() ? " (" + c.asLong() + ")" : ""));
          JsonNode ex = results.path(key).isArray() ? results.path(key) : results.path(v.asText());
          if (ex.isArray() && ex.size() > 0) {
            details.append(v.asText()).append(" e.g.:");
            for (int i = 0; i < Math.min(5, ex.size()); i++) details.append(' ').append(ex.get(i).toString());
            details.append('\n');
          }
        }
        message = (g == null ? "" : g + ": ") + "INVALID: forbidden outcomes " + String.join(", ", parts);
      } else {
        message = (g == null ? "" : g + ": ") + "UNKNOWN: the run proves nothing about the guarantee";
      }
      if (results.hasNonNull("guarantee_source")) {
        details.append("guarantee from ").append(results.get("guarantee_source").asText()).append('\n');
      }
      if (results.path("system").isObject()) {
        details.append("system: ").append(io.deliverycheck.checker.CheckResult.describeSystem(results.get("system")))
            .append('\n');
      }
      List<String> violated = new ArrayList<>();
      results.path("violations").forEach(v -> violated.add(v.asText().replace('-', '_')));
      for (String k : List.of("unresolved", "reordered")) {
        long n = results.path("counts").path(k).asLong(0);
        if (n > 0 && !violated.contains(k)) {
          details.append(k).append(": ").append(n)
              .append(" (counted; not forbidden by this guarantee and the system op's claims)\n");
        }
      }
      long harness = results.path("counts").path("harness_errors").asLong(0);
      if (harness > 0) {
        details.append("harness errors: ").append(harness).append(" (the harness failed at something; the verdict is"
            + " on what was observed)");
        JsonNode first = results.path("harness_errors").path(0);
        if (first.isObject()) {
          details.append(", first: ").append(first.toString());
        }
        details.append('\n');
      }
      for (JsonNode n : results.path("notes")) details.append("note: ").append(n.asText()).append('\n');
      if (report != null) details.append("report: ").append(report).append('\n');
      return new Case(name, cls, seconds, Status.FAILED, message, details.toString(), report);
    }

    private static String className(String guarantee) {
      return "deliverycheck" + (guarantee == null ? "" : "." + guarantee);
    }
  }

  /** Writes one {@code <testsuite>} with the cases to {@code file} (atomically; parent folders created). */
  public static void write(Path file, String suiteName, List<Case> cases) throws IOException {
    Path abs = file.toAbsolutePath();
    Files.createDirectories(abs.getParent());
    Path tmp = Files.createTempFile(abs.getParent(), "." + abs.getFileName(), ".tmp");
    try {
      try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
        write(w, suiteName, cases);
      }
      Report.readableByAll(tmp);
      Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** Writes the XML document to {@code out}. */
  public static void write(Writer out, String suiteName, List<Case> cases) throws IOException {
    long failures = cases.stream().filter(c -> c.status() == Status.FAILED).count();
    long errors = cases.stream().filter(c -> c.status() == Status.ERROR).count();
    long skipped = cases.stream().filter(c -> c.status() == Status.SKIPPED).count();
    double total = cases.stream().mapToDouble(Case::seconds).sum();
    try {
      XMLStreamWriter x = XMLOutputFactory.newFactory().createXMLStreamWriter(out);
      x.writeStartDocument("UTF-8", "1.0");
      x.writeCharacters("\n");
      String[][] totals = {
        {"name", suiteName}, {"tests", Integer.toString(cases.size())},
        {"failures", Long.toString(failures)}, {"errors", Long.toString(errors)},
        {"skipped", Long.toString(skipped)}, {"time", seconds(total)}};
      x.writeStartElement("testsuites");
      for (String[] a : totals) {
        attr(x, a[0], a[1]);
      }
      x.writeCharacters("\n  ");
      x.writeStartElement("testsuite");
      for (String[] a : totals) {
        attr(x, a[0], a[1]);
      }
      attr(x, "timestamp", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString().replace("Z", ""));
      for (Case c : cases) {
        x.writeCharacters("\n    ");
        x.writeStartElement("testcase");
        attr(x, "name", c.name());
        attr(x, "classname", c.className());
        attr(x, "time", seconds(c.seconds()));
        switch (c.status()) {
          case FAILED -> body(x, "failure", c);
          case ERROR -> body(x, "error", c);
          case SKIPPED -> {
            x.writeStartElement("skipped");
            if (c.message() != null) attr(x, "message", c.message());
            x.writeEndElement();
          }
          case PASSED -> {}
        }
        if (c.report() != null) {
          x.writeStartElement("system-out");
          x.writeCharacters(clean("report: " + c.report()));
          x.writeEndElement();
        }
        x.writeEndElement();
      }
      x.writeCharacters("\n  ");
      x.writeEndElement();
      x.writeCharacters("\n");
      x.writeEndElement();
      x.writeCharacters("\n");
      x.writeEndDocument();
      x.flush();
      x.close();
    } catch (XMLStreamException e) {
      throw new IOException("cannot write JUnit XML: " + e.getMessage(), e);
    }
  }

  private static void body(XMLStreamWriter x, String element, Case c) throws XMLStreamException {
    x.writeStartElement(element);
    attr(x, "message", c.message() == null ? c.status().name().toLowerCase(Locale.ROOT) : c.message());
    attr(x, "type", element.equals("failure") ? "deliverycheck.Violation" : "deliverycheck.Error");
    if (c.details() != null) x.writeCharacters(clean(c.details()));
    x.writeEndElement();
  }

  private static void attr(XMLStreamWriter x, String name, String value) throws XMLStreamException {
    x.writeAttribute(name, clean(value));
  }

  private static String seconds(double s) {
    return String.format(Locale.ROOT, "%.3f", s);
  }

  /** Drops characters XML 1.0 cannot hold (control characters other than tab, newline, return). */
  static String clean(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= 0x20 || c == '\t' || c == '\n' || c == '\r') {
        if (c != 0xFFFE && c != 0xFFFF) b.append(c);
      }
    }
    return b.toString();
  }
}
