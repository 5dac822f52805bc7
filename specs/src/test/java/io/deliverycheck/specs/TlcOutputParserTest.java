package io.deliverycheck.specs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The -tool output parser on output captured from real TLC 2.18 runs of this spec. */
class TlcOutputParserTest {

  static TlcOutcome parse(String resource, int exitCode, String temporalName) throws IOException {
    TlcOutputParser p = new TlcOutputParser();
    try (InputStream in = TlcOutputParserTest.class.getResourceAsStream("/tlc/" + resource)) {
      new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().forEach(p::accept);
    }
    return p.finish(exitCode, temporalName);
  }

  @Test
  void passingRunGivesStatesAndDepth() throws IOException {
    TlcOutcome o = parse("pass.out", 0, "NoLoss");
    assertEquals(TlcOutcome.Kind.PASS, o.kind());
    assertEquals("pass", o.result());
    assertEquals(4231, o.distinctStates());
    assertEquals(15174, o.generatedStates());
    assertEquals(18, o.depth());
    assertTrue(o.trace().isEmpty());
    assertTrue(o.errors().isEmpty(), o.errors().toString());
    assertEquals("TLC2 Version 2.18 of 20 March 2023", o.version());
  }

  @Test
  void invariantViolationNamesThePropertyAndKeepsTheTrace() throws IOException {
    TlcOutcome o = parse("invariant-violated.out", 12, "NoLoss");
    assertEquals(TlcOutcome.Kind.INVARIANT, o.kind());
    assertEquals("AcceptedIsDurable", o.property());
    assertEquals(8, o.distinctStates());
    assertTrue(o.errors().isEmpty(), o.errors().toString());
    List<TraceState> t = o.trace();
    assertEquals(4, t.size());
    assertEquals("Initial predicate", t.get(0).action());
    assertEquals(List.of("Send", "HandleSend", "ClientReceive"),
        t.subList(1, 4).stream().map(TraceState::action).toList());
    assertEquals("(m1 :> \"accepted\")", t.get(3).vars().get("cst"));
    assertEquals(14, t.get(0).vars().size());
    // a value printed over two lines is joined
    assertTrue(t.get(0).vars().get("row").contains("@@ <<<<m1, 2>>, d1>>"), t.get(0).vars().get("row"));
  }

  @Test
  void actionPropertyViolation() throws IOException {
    TlcOutcome o = parse("action-property-violated.out", 13, "NoLoss");
    assertEquals(TlcOutcome.Kind.ACTION_PROPERTY, o.kind());
    assertEquals("ReceiptsMonotonic", o.result());
    assertEquals("Commit", o.trace().get(o.trace().size() - 1).action());
  }

  @Test
  void temporalViolationIsNamedByTheCallerAndEndsInStuttering() throws IOException {
    TlcOutcome o = parse("temporal-violated.out", 13, "NoLoss");
    assertEquals(TlcOutcome.Kind.TEMPORAL, o.kind());
    assertEquals("NoLoss", o.result());
    assertEquals(1767, o.distinctStates());
    TraceState last = o.trace().get(o.trace().size() - 1);
    assertEquals(TraceState.Kind.STUTTERING, last.kind());
    assertEquals(13, last.number());
    assertTrue(o.trace().stream().anyMatch(s -> s.action().equals("LosePush")));
    assertEquals("temporal", parse("temporal-violated.out", 13, null).result());
  }

  @Test
  void parseErrorIsAnErrorWithSanysDiagnostics() throws IOException {
    TlcOutcome o = parse("parse-error.out", 150, null);
    assertEquals(TlcOutcome.Kind.ERROR, o.kind());
    assertNull(o.property());
    assertTrue(o.errors().get(0).contains("Parsing or semantic analysis failed"), o.errors().toString());
    assertTrue(o.errors().stream().anyMatch(e -> e.contains("line 3, column 9")), o.errors().toString());
  }

  @Test
  void configErrorIsAnError() throws IOException {
    TlcOutcome o = parse("config-error.out", 151, null);
    assertEquals(TlcOutcome.Kind.ERROR, o.kind());
    assertTrue(o.errors().get(0).contains("The invariant Nope specified in the configuration file"), o.errors().toString());
  }

  @Test
  void violationMessageWithoutViolationExitIsAnError() throws IOException {
    TlcOutcome o = parse("invariant-violated.out", 255, null);
    assertEquals(TlcOutcome.Kind.ERROR, o.kind());
  }

  @Test
  void successMessageWithNonZeroExitIsAnError() throws IOException {
    assertEquals(TlcOutcome.Kind.ERROR, parse("pass.out", 153, null).kind());
  }

  @Test
  void stateWithoutConjunctionBullets() {
    TraceState s = TlcOutputParser.state("2: <Next line 4, col 9 to line 4, col 17 of module M>\nx = 1");
    assertEquals("Next", s.action());
    assertEquals("1", s.vars().get("x"));
  }
}
