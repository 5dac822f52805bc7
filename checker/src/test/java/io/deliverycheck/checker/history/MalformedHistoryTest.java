package io.deliverycheck.checker.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deliverycheck.checker.DeliveryChecker;
import io.deliverycheck.checker.Guarantee;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every validation error, through both readers (HistoryReader and the checker's fast path): each
 * is reported as FILE:LINE: problem with the right line, and never skipped.
 */
class MalformedHistoryTest {
  private static final String ROSTER =
      "{\"index\":0,\"time\":0,\"process\":\"harness\",\"type\":\"info\",\"f\":\"roster\",\"value\":{\"u2\":[\"phone\"]}}\n";
  private static final String INVOKE =
      "{\"index\":1,\"time\":5,\"process\":\"c1\",\"type\":\"invoke\",\"f\":\"send\",\"value\":{\"id\":\"m1\",\"key\":\"k1\",\"from\":\"u1\",\"to\":[\"u2\"],\"attempt\":1}}\n";
  private static final String OK =
      "{\"index\":2,\"time\":9,\"process\":\"c1\",\"type\":\"ok\",\"f\":\"send\",\"value\":{\"id\":\"m1\"},\"node\":\"n1\"}\n";

  @TempDir Path dir;

  static Stream<Arguments> formatErrors() {
    return Stream.of(
        Arguments.of("bad JSON", ROSTER + INVOKE + "{\"index\":2,\"time\":9 \"process\":\"c1\"}\n", 3, "bad JSON"),
        Arguments.of("not an object", ROSTER + "[1,2]\n", 2, "expected an operation"),
        Arguments.of("missing field", ROSTER
            + "{\"index\":1,\"time\":5,\"type\":\"info\",\"f\":\"start-partition\",\"value\":{}}\n", 2,
            "missing field \"process\""),
        Arguments.of("wrongly typed index", ROSTER
            + "{\"index\":\"1\",\"time\":5,\"process\":\"nemesis\",\"type\":\"info\",\"f\":\"kill\",\"value\":{}}\n",
            2, "field \"index\" must be a non-negative integer, found a string"),
        Arguments.of("wrongly typed value", ROSTER
            + "{\"index\":1,\"time\":5,\"process\":\"nemesis\",\"type\":\"info\",\"f\":\"kill\",\"value\":[]}\n",
            2, "field \"value\" must be an object"),
        Arguments.of("wrongly typed process", ROSTER
            + "{\"index\":1,\"time\":5,\"process\":7,\"type\":\"info\",\"f\":\"kill\",\"value\":{}}\n",
            2, "field \"process\" must be a string, found an integer"),
        Arguments.of("field twice", ROSTER
            + "{\"index\":1,\"time\":5,\"time\":6,\"process\":\"n\",\"type\":\"info\",\"f\":\"kill\",\"value\":{}}\n",
            2, "field \"time\" given twice"),
        Arguments.of("index gap", ROSTER + INVOKE + OK.replace("\"index\":2", "\"index\":3"), 3,
            "index gap: expected index 2, found 3"),
        Arguments.of("index repeated", ROSTER + INVOKE + OK.replace("\"index\":2", "\"index\":1"), 3,
            "index out of order"),
        Arguments.of("completion without invocation", ROSTER + OK.replace("\"index\":2", "\"index\":1"), 2,
            "completion without invocation: process c1 has no open send"),
        Arguments.of("second open operation", ROSTER + INVOKE + INVOKE.replace("\"index\":1", "\"index\":2"), 3,
            "process c1 invokes send while its send invoked on line 2 is still open"),
        Arguments.of("unknown type", ROSTER + INVOKE + OK.replace("\"ok\"", "\"done\""), 3,
            "unknown type \"done\""),
        Arguments.of("op not closed on its line", ROSTER + INVOKE.replace("}}\n", "}\n") + OK, 2,
            "does not end on its line"),
        Arguments.of("empty line", ROSTER + "\n" + INVOKE, 2, "empty line"),
        Arguments.of("two ops on a line", ROSTER.trim() + INVOKE, 1, "two operations on one line"),
        Arguments.of("op over two lines", ROSTER + INVOKE.replace(",\"f\"", ",\n\"f\""), 2, "several lines"),
        Arguments.of("torn last line of a killed run", ROSTER + INVOKE + OK.substring(0, 40), 3,
            "truncated last line"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("formatErrors")
  void theReaderReportsFileLineAndProblem(String name, String text, long line, String problem) throws Exception {
    Path f = write(text);
    HistoryFormatException e = assertThrows(HistoryFormatException.class, () -> readAll(f));
    assertError(e, f, line, problem);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("formatErrors")
  void theCheckerReportsTheSameLine(String name, String text, long line, String problem) throws Exception {
    Path f = write(text);
    HistoryFormatException e = assertThrows(HistoryFormatException.class,
        () -> DeliveryChecker.check(f, Guarantee.EXACTLY_ONCE));
    assertError(e, f, line, problem);
  }

  static Stream<Arguments> deliveryErrors() {
    return Stream.of(
        Arguments.of("send without id", ROSTER + INVOKE.replace("\"id\":\"m1\",", ""), 2,
            "missing field \"value.id\""),
        Arguments.of("send with a string to", ROSTER + INVOKE.replace("[\"u2\"]", "\"u2\""), 2,
            "field \"value.to\" must be an array of strings, found a string"),
        Arguments.of("send with a string attempt", ROSTER + INVOKE.replace("\"attempt\":1", "\"attempt\":\"1\""), 2,
            "field \"value.attempt\" must be an integer"),
        Arguments.of("send before the roster", INVOKE.replace("\"index\":1", "\"index\":0"), 1,
            "send before the roster"),
        Arguments.of("receive without device", ROSTER
            + "{\"index\":1,\"time\":5,\"process\":\"d\",\"type\":\"ok\",\"f\":\"receive\",\"value\":{\"id\":\"m1\",\"recipient\":\"u2\"}}\n",
            2, "missing field \"value.device\""),
        Arguments.of("receive as invoke", ROSTER
            + "{\"index\":1,\"time\":5,\"process\":\"d\",\"type\":\"invoke\",\"f\":\"receive\",\"value\":{\"id\":\"m1\",\"recipient\":\"u2\",\"device\":\"phone\"}}\n",
            2, "receive must be recorded as a standalone ok"),
        Arguments.of("receipt with an unknown state", ROSTER
            + "{\"index\":1,\"time\":5,\"process\":\"c1\",\"type\":\"ok\",\"f\":\"receipt\",\"value\":{\"id\":\"m1\",\"recipient\":\"u2\",\"state\":\"gone\"}}\n",
            2, "must be accepted, delivered, read or failed"),
        Arguments.of("roster with a string", ROSTER.replace("[\"phone\"]", "\"phone\""), 1,
            "field \"value.u2\" must be an array of device names"),
        Arguments.of("second roster", ROSTER + ROSTER.replace("\"index\":0", "\"index\":1"), 2,
            "a second roster (the first is on line 1"),
        // contract v2
        Arguments.of("retry with another key", ROSTER + INVOKE + OK + retry("\"key\":\"k1\"", "\"key\":\"k2\""), 4,
            "send of \"m1\" with key \"k2\", but the first send of \"m1\" (line 2) has key \"k1\""),
        Arguments.of("retry without a key", ROSTER + INVOKE + OK + retry("\"key\":\"k1\",", ""), 4,
            "send of \"m1\" with no key, but the first send of \"m1\" (line 2) has key \"k1\""),
        Arguments.of("retry from another user", ROSTER + INVOKE + OK + retry("\"from\":\"u1\"", "\"from\":\"u9\""), 4,
            "send of \"m1\" from \"u9\", but the first send of \"m1\" (line 2) is from \"u1\""),
        Arguments.of("retry to other users", ROSTER_2 + INVOKE + OK + retry("[\"u2\"]", "[\"u2\",\"u3\"]"), 4,
            "send of \"m1\" to [u2, u3], but the first send of \"m1\" (line 2) is to [u2]"),
        Arguments.of("send to a user the roster does not name", ROSTER + INVOKE.replace("[\"u2\"]", "[\"u2\",\"u9\"]"),
            2, "send of \"m1\" to \"u9\", a user the roster (line 1) does not name"),
        Arguments.of("an op after drained", ROSTER + DRAINED + NEMESIS.replace("\"index\":1", "\"index\":2"), 3,
            "an op after drained (line 2): drained is the last op"),
        Arguments.of("a send after drained", ROSTER + DRAINED + INVOKE.replace("\"index\":1", "\"index\":2"), 3,
            "an op after drained (line 2)"),
        Arguments.of("second drained", ROSTER + DRAINED + DRAINED.replace("\"index\":1", "\"index\":2"), 3,
            "a second drained (the first is on line 2"),
        Arguments.of("second system op", ROSTER + SYSTEM + SYSTEM.replace("\"index\":1", "\"index\":2"), 3,
            "a second system op (the first is on line 2"),
        Arguments.of("system op after a send", ROSTER + INVOKE + OK + SYSTEM.replace("\"index\":1", "\"index\":3"), 4,
            "a system op after the first send (line 2)"),
        Arguments.of("drained without healed", ROSTER + DRAINED.replace(",\"healed\":true", ""), 2,
            "missing field \"value.healed\""),
        Arguments.of("drained with a string healed", ROSTER + DRAINED.replace("\"healed\":true", "\"healed\":\"yes\""), 2,
            "field \"value.healed\" must be a boolean, found a string"),
        Arguments.of("system with an unknown guarantee", ROSTER + SYSTEM.replace("exactly-once", "twice"), 2,
            "field \"value.guarantee\" must be at-most-once, at-least-once or exactly-once, found \"twice\""),
        Arguments.of("system with an unknown order", ROSTER + SYSTEM.replace("per-sender", "global"), 2,
            "field \"value.order\" must be none or per-sender, found \"global\""),
        Arguments.of("system with a string receipts", ROSTER + SYSTEM.replace("\"receipts\":true", "\"receipts\":\"yes\""),
            2, "field \"value.receipts\" must be a boolean"),
        Arguments.of("error op as ok", ROSTER + ERROR.replace("\"info\"", "\"ok\""), 2,
            "error must be recorded as a standalone info"),
        Arguments.of("send with a numeric key", ROSTER + INVOKE.replace("\"k1\"", "1"), 2,
            "field \"value.key\" must be a string"));
  }

  private static final String ROSTER_2 = ROSTER.replace("{\"u2\":[\"phone\"]}", "{\"u2\":[\"phone\"],\"u3\":[\"phone\"]}");
  private static final String DRAINED =
      "{\"index\":1,\"time\":9,\"process\":\"harness\",\"type\":\"info\",\"f\":\"drained\",\"value\":{\"quiet_ms\":5000,\"healed\":true}}\n";
  private static final String NEMESIS =
      "{\"index\":1,\"time\":9,\"process\":\"nemesis\",\"type\":\"info\",\"f\":\"kill\",\"value\":{\"node\":\"n1\"}}\n";
  private static final String SYSTEM =
      "{\"index\":1,\"time\":1,\"process\":\"harness\",\"type\":\"info\",\"f\":\"system\",\"value\":{\"name\":\"x\",\"guarantee\":\"exactly-once\",\"receipts\":true,\"order\":\"per-sender\"}}\n";
  private static final String ERROR =
      "{\"index\":1,\"time\":1,\"process\":\"harness\",\"type\":\"info\",\"f\":\"error\",\"value\":{\"what\":\"nemesis\",\"message\":\"no tc\"}}\n";

  /** A second attempt of m1 (index 3, attempt 2) with {@code from} replaced by {@code to} in its value. */
  private static String retry(String from, String to) {
    return INVOKE.replace("\"index\":1", "\"index\":3").replace("\"attempt\":1", "\"attempt\":2").replace(from, to);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("deliveryErrors")
  void theCheckerRejectsBadDeliveryOps(String name, String text, long line, String problem) throws Exception {
    Path f = write(text);
    HistoryFormatException e = assertThrows(HistoryFormatException.class,
        () -> DeliveryChecker.check(f, Guarantee.EXACTLY_ONCE));
    assertError(e, f, line, problem);
    // the same through HistoryReader + accept: "index N: problem"
    DeliveryChecker c = new DeliveryChecker(Guarantee.EXACTLY_ONCE);
    IllegalArgumentException a = assertThrows(IllegalArgumentException.class, () -> {
      try (HistoryReader r = HistoryReader.open(f)) {
        for (Op op; (op = r.next()) != null; ) {
          c.accept(op);
        }
      }
    });
    assertTrue(a.getMessage().startsWith("index " + (line - 1) + ": ") && a.getMessage().contains(problem),
        a.getMessage());
  }

  @Test
  void aMissingFileIsReportedAtLineZero() {
    Path f = dir.resolve("nope.jsonl");
    HistoryFormatException e = assertThrows(HistoryFormatException.class, () -> HistoryReader.open(f));
    assertEquals(0, e.line());
    assertEquals(f + ":0: no such file", e.getMessage());
  }

  @Test
  void aTornLastLineStillLetsEveryFullLineBeRead() throws Exception {
    Path f = write(ROSTER + INVOKE + OK.substring(0, OK.length() - 5));
    try (HistoryReader r = HistoryReader.open(f)) {
      assertEquals(0, r.next().index());
      assertEquals(1, r.next().index());
      HistoryFormatException e = assertThrows(HistoryFormatException.class, r::next);
      assertEquals(3, e.line());
    }
  }

  @Test
  void aLastLineWithoutNewlineButCompleteIsRead() throws Exception {
    Path f = write(ROSTER + INVOKE + OK.trim());
    assertEquals(3, readAll(f));
  }

  private static void assertError(HistoryFormatException e, Path f, long line, String problem) {
    assertEquals(line, e.line(), e.getMessage());
    assertEquals(f, e.file());
    assertTrue(e.problem().contains(problem), e.getMessage());
    assertTrue(e.getMessage().startsWith(f + ":" + line + ": "), e.getMessage());
  }

  private Path write(String text) throws Exception {
    Path f = dir.resolve("history.jsonl");
    Files.writeString(f, text, StandardCharsets.UTF_8);
    return f;
  }

  private static long readAll(Path f) throws Exception {
    long n = 0;
    try (HistoryReader r = HistoryReader.open(f)) {
      while (r.next() != null) {
        n++;
      }
    }
    return n;
  }
}
