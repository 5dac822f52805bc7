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
      "{\"index\":3,\"time\":9,\"process\":\"harness\",\"type\":\"info\",\"f\":\"drained\",\"value\":{}}\n";
  private static final String DRAINED_AT_4 = DRAINED_AT_3.replace("\"index\":3", "\"index\":4");

  @TempDir Path dir;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cl = new CommandLine(new CheckCommand());
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
