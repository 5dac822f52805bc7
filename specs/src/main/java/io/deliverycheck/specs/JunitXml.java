package io.deliverycheck.specs;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;

/**
 * Writes model results as a JUnit XML report: one test case per model, a failure when its
 * result differs from the manifest. The file is written to a temporary sibling and then
 * moved into place, so a reader never sees half a report.
 */
final class JunitXml {
  private JunitXml() {}

  static void write(Path file, List<ModelResult> results) throws IOException {
    Path abs = file.toAbsolutePath();
    Path dir = abs.getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, "." + abs.getFileName(), ".tmp");
    try {
      try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
        XMLStreamWriter x = XMLOutputFactory.newFactory().createXMLStreamWriter(w);
        x.writeStartDocument("UTF-8", "1.0");
        x.writeCharacters("\n");
        x.writeStartElement("testsuite");
        x.writeAttribute("name", "deliverycheck.spec");
        x.writeAttribute("tests", Integer.toString(results.size()));
        x.writeAttribute("failures", Long.toString(results.stream().filter(r -> !r.asExpected()).count()));
        x.writeAttribute("errors", "0");
        x.writeAttribute("time", seconds(results.stream().mapToLong(r -> r.time().toMillis()).sum()));
        for (ModelResult r : results) {
          x.writeCharacters("\n  ");
          x.writeStartElement("testcase");
          x.writeAttribute("classname", "deliverycheck.spec." + r.model().tier());
          x.writeAttribute("name", r.model().name());
          x.writeAttribute("time", seconds(r.time().toMillis()));
          if (!r.asExpected()) {
            x.writeStartElement("failure");
            x.writeAttribute("message", "expected " + r.model().expect() + ", TLC found " + r.actual());
            x.writeCharacters(details(r));
            x.writeEndElement();
          }
          x.writeStartElement("system-out");
          x.writeCharacters(Report.line(r) + "\n" + details(r));
          x.writeEndElement();
          x.writeEndElement();
        }
        x.writeCharacters("\n");
        x.writeEndElement();
        x.writeEndDocument();
        x.close();
      } catch (XMLStreamException e) {
        throw new IOException("cannot write " + file + ": " + e.getMessage(), e);
      }
      Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static String details(ModelResult r) {
    StringBuilder b = new StringBuilder();
    r.outcome().errors().forEach(e -> b.append(e).append('\n'));
    b.append(Counterexample.format(r.outcome().trace(), ""));
    return b.toString();
  }

  private static String seconds(long millis) {
    return String.format(Locale.ROOT, "%.3f", millis / 1000.0);
  }
}
