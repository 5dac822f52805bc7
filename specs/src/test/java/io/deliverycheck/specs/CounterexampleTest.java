package io.deliverycheck.specs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CounterexampleTest {

  @Test
  void functionsAreDiffedEntryByEntry() {
    assertEquals(List.of("row[<<<<m1, 1>>, d1>>] = [att |-> 1, st |-> \"due\"]"),
        Counterexample.changes("row",
            "( <<<<m1, 1>>, d1>> :> [att |-> 0, st |-> \"due\"] @@ <<<<m1, 2>>, d1>> :> [att |-> 0, st |-> \"none\"] )",
            "( <<<<m1, 1>>, d1>> :> [att |-> 1, st |-> \"due\"] @@ <<<<m1, 2>>, d1>> :> [att |-> 0, st |-> \"none\"] )"));
  }

  @Test
  void otherValuesArePrintedWhole() {
    assertEquals(List.of("reqs = {<<m1, 1>>}"), Counterexample.changes("reqs", "{}", "{<<m1, 1>>}"));
    assertEquals(List.of("cst = (m1 :> \"a\" @@ m2 :> \"b\")"),
        Counterexample.changes("cst", "(m1 :> \"a\")", "(m1 :> \"a\" @@ m2 :> \"b\")"));
  }

  @Test
  void stringsWithSeparatorsDoNotSplit() {
    Map<String, String> f = TlaValues.function("(a :> \"x @@ y\" @@ b :> {1, 2})");
    assertEquals(Map.of("a", "\"x @@ y\"", "b", "{1, 2}"), f);
  }

  @Test
  void numberedListShowsOnlyChanges() {
    List<TraceState> t = List.of(
        new TraceState(1, "Initial predicate", TraceState.Kind.STATE, Map.of("x", "0", "y", "0")),
        new TraceState(2, "Inc", TraceState.Kind.STATE, Map.of("x", "1", "y", "0")),
        new TraceState(3, "Stuttering", TraceState.Kind.STUTTERING, Map.of()));
    String s = Counterexample.format(t, "");
    assertTrue(s.contains("2. Inc\n   x = 1\n"), s);
    assertTrue(!s.contains("   y = 0\n3"), s);
    assertTrue(s.contains("3. (stuttering"), s);
  }
}
