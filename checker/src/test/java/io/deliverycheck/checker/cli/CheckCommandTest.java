package io.deliverycheck.checker.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code deliverycheck check} through picocli: exit codes, results.json, messages. */
class CheckCommandTest {
  private static final String ROSTER =
      "{\"index\":0,\"time\":0,\"process\":\"harness\",\"type\":\"info\",\"f\":\"roster\",\"value\":{\"u2\":[\"phone\"]}}\n";
  private static final String SEND =
      "{\"index\":1,\"time\":1,\"process\":\"c1\",\"type\":\"invoke\",\"f\":\"send\",\"value\":{\"id\":\"m1\",\"key\":\"k1\",\"from\":\"u1\",\"to\":[\"u2\"],\"attempt\":1}}\n"
      + "{\"index\":2,\"time\":2,\"process\":\"c1\",\"type\":\"ok\",\"f\":\"send\",\"value\":{\"id\":\"m1\"}}\n";
  private static final String RECEIVE =
      "{\"index\":3,\"time\":3,\"process\":\"d:u2/phone\",\"type\":\"ok\",\"f\":\"receive\",\"value\":{\"id\":\"m1\",\"recipient\":\"u2\",\"device\":\"phone\"}}\n";
  private static final String DRAINED_AT_3 =
      "{\"index\":3,\"time\":9,\"process\":\"harness\",\"type\":\"info\",\"f\":\"drained\",\"value\":{\"quiet_ms\":5000,\"healed\":true}}\n";
  private static final String DRAINED_AT_4 = DRAINED_AT_3.replace("\"index\":3", "\"index\":4");

  @TempDir Path dir;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    return run(new CheckCommand(), args);
  }

  private int run(CheckCommand command, String... args) {
    CommandLine cl = new CommandLine(command);
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    return cl.execute(args);
  }

  private Path history(String text) throws Exception {
    Path f = dir.resolve("history.jsonl");
    Files.writeString(f, text);
    return f;
  }

  @Test
  void validExitsZeroAndWritesResultsNextToTheHistory() throws Exception {
    Path h = history(ROSTER + SEND + RECEIVE + DRAINED_AT_4);
    assertEquals(0, run(h.toString(), "--guarantee", "exactly-once"));
    assertTrue(out.toString().contains("exactly-once: VALID"), out.toString());
    var json = new ObjectMapper().readTree(dir.resolve("results.json").toFile());
    assertTrue(json.get("valid").asBoolean());
    assertEquals(1, json.get("counts").get("delivered").asLong());
  }

  @Test
  void invalidExitsOneAndNamesTheLostTriple() throws Exception {
    Path h = history(ROSTER + SEND + DRAINED_AT_3);
    Path outDir = dir.resolve("out");
    assertEquals(1, run(h.toString(), "--guarantee", "at-least-once", "--out", outDir.toString()));
    assertTrue(out.toString().contains("INVALID (lost)"), out.toString());
    assertTrue(out.toString().contains("m1 u2/phone"), out.toString());
    assertTrue(Files.exists(outDir.resolve("results.json")));
    assertFalse(Files.exists(dir.resolve("results.json")));
  }

  @Test
  void unknownExitsTwo() throws Exception {
    Path h = history(ROSTER + SEND + RECEIVE);
    assertEquals(2, run(h.toString(), "--guarantee", "exactly-once", "--quiet"));
    assertEquals("", out.toString());
    assertTrue(Files.exists(dir.resolve("results.json")));
  }

  @Test
  void jsonPrintsResultsJson() throws Exception {
    Path h = history(ROSTER + SEND + RECEIVE + DRAINED_AT_4);
    assertEquals(0, run(h.toString(), "--guarantee", "at-most-once", "--json"));
    var json = new ObjectMapper().readTree(out.toString());
    assertEquals("at-most-once", json.get("guarantee").asText());
  }

  @Test
  void anUnreadableHistoryExitsThreeWithFileAndLineAndWritesNothing() throws Exception {
    Path h = history(ROSTER + SEND + "{\"index\":3,\"ti");
    assertEquals(3, run(h.toString(), "--guarantee", "exactly-once"));
    assertTrue(err.toString().contains(h + ":4: truncated last line"), err.toString());
    assertFalse(err.toString().contains("\tat "), "no stack trace: " + err);
    assertFalse(Files.exists(dir.resolve("results.json")));
  }

  @Test
  void aMissingFileExitsThree() {
    Path h = dir.resolve("missing.jsonl");
    assertEquals(3, run(h.toString(), "--guarantee", "exactly-once"));
    assertTrue(err.toString().contains(h + ":0: no such file"), err.toString());
    assertFalse(Files.exists(dir.resolve("results.json")));
  }

  @Test
  void aBadGuaranteeIsAUsageErrorNotAVerdict() throws Exception {
    Path h = history(ROSTER);
    assertEquals(64, run(h.toString(), "--guarantee", "twice"));
    assertTrue(err.toString().contains("at-most-once, at-least-once or exactly-once"), err.toString());
  }

  private static final String SYSTEM =
      "{\"index\":1,\"time\":0,\"process\":\"harness\",\"type\":\"info\",\"f\":\"system\",\"value\":{\"name\":\"sut\",\"guarantee\":\"at-least-once\"}}\n";

  /** ROSTER, SYSTEM, then SEND and RECEIVE one index later, and a drained. */
  private static String withSystem() {
    return ROSTER + SYSTEM + (SEND + RECEIVE).replace("\"index\":3", "\"index\":4").replace("\"index\":2", "\"index\":3")
        .replace("\"index\":1", "\"index\":2") + DRAINED_AT_4.replace("\"index\":4", "\"index\":5");
  }

  @Test
  void anInternalFailureExitsFiveWithOneLineAndTheDetailsInAFile() throws Exception {
    Path h = history(ROSTER + SEND + RECEIVE + DRAINED_AT_4);
    CheckCommand broken = new CheckCommand();
    broken.judging = (file, choice) -> {
      throw new IllegalStateException("a bug\nwith a second line");
    };
    assertEquals(CheckCommand.CHECKER_FAILED, run(broken, h.toString(), "--guarantee", "exactly-once"));
    String e = err.toString();
    assertEquals(1, e.lines().count(), "one line: " + e);
    assertFalse(e.contains("\tat "), "no stack trace: " + e);
    assertTrue(e.startsWith("deliverycheck check: internal error (a bug in the checker, not a verdict on the history):"
        + " IllegalStateException: a bug; details in "), e);
    Path details = Path.of(e.substring(e.indexOf("details in ") + 11, e.indexOf(" (exit 5)")));
    try {
      String text = Files.readString(details);
      assertTrue(text.contains("java.lang.IllegalStateException: a bug") && text.contains("\tat "), text);
    } finally {
      Files.deleteIfExists(details);
    }
    assertFalse(Files.exists(dir.resolve("results.json")));
  }

  @Test
  void rewritingARunsResultsKeepsWhatTheRunnerPutThere() throws Exception {
    Path h = history(ROSTER + SEND + RECEIVE + DRAINED_AT_4);
    Files.writeString(dir.resolve("results.json"), "{\"valid\":false,\"lost\":[{\"id\":\"stale\"}],"
        + "\"run\":{\"seed\":7,\"drain\":\"quiet\"},\"suite\":\"nightly\"}");
    assertEquals(0, run(h.toString(), "--guarantee", "exactly-once"));
    var json = new ObjectMapper().readTree(dir.resolve("results.json").toFile());
    assertTrue(json.get("valid").asBoolean());
    assertEquals(7, json.get("run").get("seed").asInt(), json.toString());
    assertEquals("quiet", json.get("run").get("drain").asText());
    assertEquals("nightly", json.get("suite").asText());
    assertFalse(json.has("lost"), "the checker's own stale keys go: " + json);
  }

  @Test
  void anUnreadableOldResultsFileIsReplacedWithAWarning() throws Exception {
    Path h = history(ROSTER + SEND + RECEIVE + DRAINED_AT_4);
    Files.writeString(dir.resolve("results.json"), "{\"run\":");
    assertEquals(0, run(h.toString(), "--guarantee", "exactly-once"));
    assertTrue(err.toString().contains("is not readable JSON"), err.toString());
    assertTrue(new ObjectMapper().readTree(dir.resolve("results.json").toFile()).get("valid").asBoolean());
  }

  @Test
  void aFailureToWriteTheResultsIsExitFiveNotThree() throws Exception {
    Path h = history(ROSTER + SEND + DRAINED_AT_3);
    Path notADir = Files.writeString(dir.resolve("a-file"), "");
    assertEquals(CheckCommand.CHECKER_FAILED, run(h.toString(), "--guarantee", "exactly-once", "--out", notADir.toString()));
    assertTrue(out.toString().contains("INVALID (lost)"), "the verdict is still shown: " + out);
    assertTrue(err.toString().contains("cannot write " + notADir.resolve("results.json")), err.toString());
    assertFalse(err.toString().contains("\tat "), err.toString());
  }

  @Test
  void withoutGuaranteeTheSystemOpsClaimIsUsed() throws Exception {
    Path h = history(withSystem());
    Files.writeString(dir.resolve("test.json"), "{\"guarantee\":\"exactly-once\"}");
    assertEquals(0, run(h.toString()));
    assertTrue(out.toString().contains("at-least-once: VALID"), out.toString());
    assertTrue(out.toString().contains("guarantee from system op; system: sut, claims at-least-once"), out.toString());
    var json = new ObjectMapper().readTree(dir.resolve("results.json").toFile());
    assertEquals("system op", json.get("guarantee_source").asText());
    assertEquals("sut", json.get("system").get("name").asText());
  }

  @Test
  void elseTheRunsTestJsonAndAnExplicitGuaranteeWinsOverBoth() throws Exception {
    Path h = history(ROSTER + SEND + RECEIVE + DRAINED_AT_4);
    Files.writeString(dir.resolve("test.json"), "{\"guarantee\":\"at-most-once\"}");
    assertEquals(0, run(h.toString()));
    assertTrue(out.toString().contains("at-most-once: VALID") && out.toString().contains("guarantee from test.json"),
        out.toString());
    history(withSystem());
    out.getBuffer().setLength(0);
    assertEquals(0, run(h.toString(), "--guarantee", "exactly-once"));
    assertTrue(out.toString().contains("exactly-once: VALID") && out.toString().contains("guarantee from --guarantee"),
        out.toString());
    assertTrue(out.toString().contains("though the system op claims at-least-once"), out.toString());
  }

  @Test
  void noGuaranteeAnywhereIsAUsageError() throws Exception {
    Path h = history(ROSTER + SEND + RECEIVE + DRAINED_AT_4);
    assertEquals(64, run(h.toString()));
    assertTrue(err.toString().contains("Missing --guarantee: " + h + " has no system op naming a guarantee"),
        err.toString());
    assertFalse(Files.exists(dir.resolve("results.json")));
  }

  @Test
  void aHistoryBrokenByContractV2ExitsThreeNamingBothLines() throws Exception {
    String retry = SEND.lines().findFirst().orElseThrow().replace("\"index\":1", "\"index\":3")
        .replace("\"k1\"", "\"k2\"") + "\n";
    Path h = history(ROSTER + SEND + retry);
    assertEquals(3, run(h.toString(), "--guarantee", "exactly-once"));
    assertTrue(err.toString().contains(h + ":4: send of \"m1\" with key \"k2\", but the first send of \"m1\" (line 2)"),
        err.toString());
  }

  @Test
  void junitXmlNamesTheNewOutcomes() throws Exception {
    String sys = SYSTEM.replace("\"guarantee\":\"at-least-once\"", "\"guarantee\":\"exactly-once\",\"receipts\":true");
    Path h = history(ROSTER + sys + (SEND + RECEIVE).replace("\"index\":3", "\"index\":4").replace("\"index\":2", "\"index\":3")
        .replace("\"index\":1", "\"index\":2") + DRAINED_AT_4.replace("\"index\":4", "\"index\":5"));
    Path xml = dir.resolve("dc.xml");
    assertEquals(1, run(h.toString(), "--junit-xml", xml.toString(), "--quiet"));
    String x = Files.readString(xml);
    assertTrue(x.contains("INVALID: forbidden outcomes unresolved (1)"), x);
    assertTrue(x.contains("system: sut, claims exactly-once, receipts true"), x);
  }

  @Test
  void helpSaysWhichGuaranteeAndEveryExitCode() {
    assertEquals(0, run("--help"));
    String h = out.toString();
    assertTrue(h.contains("the history's system op claims"), h);
    assertTrue(h.matches("(?s).*\\n  5 +the checker itself failed.*"), h);
    assertTrue(h.matches("(?s).*\\n  3 +the history cannot be read.*"), h);
    assertTrue(h.lines().allMatch(l -> l.length() <= 80), "fits 80 columns: " + h);
  }

  @Test
  void helpHasAnExample() {
    assertEquals(0, run("--help"));
    assertTrue(out.toString().contains("Examples:"), out.toString());
    StringWriter b = new StringWriter();
    CommandLine bench = new CommandLine(new BenchCheckerCommand());
    bench.setOut(new PrintWriter(b, true));
    assertEquals(0, bench.execute("--help"));
    assertTrue(b.toString().contains("Example:"), b.toString());
  }

  @Test
  void theBenchmarkRunsSmall() {
    StringWriter b = new StringWriter();
    CommandLine bench = new CommandLine(new BenchCheckerCommand());
    bench.setOut(new PrintWriter(b, true));
    assertEquals(0, bench.execute("--ops", "20000"));
    assertTrue(b.toString().contains("counts agree with the generator"), b.toString());
    assertTrue(b.toString().contains("ops/s"), b.toString());
  }
}
