package io.deliverycheck.checker.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

class JUnitXmlTest {
  @TempDir Path tmp;

  @Test
  void oneCasePerRunWithFailuresNamingTheViolations() throws Exception {
    Path bad = TestRuns.write(tmp.resolve("results/bad/20261122T050000"), 100, 1);
    Report.write(bad);
    Path missing = Files.createDirectories(tmp.resolve("results/broken/20261122T050001"));
    Path xml = tmp.resolve("out/junit.xml");
    JUnitXml.write(xml, "nightly", List.of(
        JUnitXml.Case.fromRun("bad", bad, 12.5),
        JUnitXml.Case.fromRun("broken", missing, 0),
        new JUnitXml.Case("ok", "deliverycheck.exactly-once", 3, JUnitXml.Status.PASSED, null, null, null),
        new JUnitXml.Case("later", "deliverycheck", 0, JUnitXml.Status.SKIPPED, "not run\u0001", null, null)));

    Document d = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(xml.toFile());
    Element suite = (Element) d.getElementsByTagName("testsuite").item(0);
    assertEquals("4", suite.getAttribute("tests"));
    assertEquals("1", suite.getAttribute("failures"));
    assertEquals("1", suite.getAttribute("errors"));
    assertEquals("1", suite.getAttribute("skipped"));
    Element failure = (Element) d.getElementsByTagName("failure").item(0);
    assertEquals("exactly-once: INVALID: forbidden outcomes lost (1), duplicated (1)", failure.getAttribute("message"));
    assertTrue(failure.getTextContent().contains("lost e.g.: {\"id\":\"m7\""), failure.getTextContent());
    assertTrue(failure.getTextContent().contains("report: " + bad.resolve("report.html")));
    Element error = (Element) d.getElementsByTagName("error").item(0);
    assertTrue(error.getAttribute("message").startsWith("no readable results.json"));
  }
}
