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
        Arguments.of("second roster", ROSTER + ROSTER.replace("\"index\":0", "\"index\":1"), 2, "second roster"));
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
