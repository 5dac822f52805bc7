package io.deliverycheck.specs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SpecVariablesTest {

  @Test
  void declarationOrderOfTheSpecAndOfModulesItExtends() {
    List<String> spec = SpecVariables.of(Specs.dir(), "DeliveryGuarantees.tla");
    assertEquals(List.of("sent", "cst", "reqs", "resps", "txn", "corder", "row", "wk", "pushes", "acks", "seen",
        "effects", "firsts", "log", "cur", "conn", "told", "last", "okBefore", "faults"), spec);
    List<String> trace = SpecVariables.of(Specs.dir(), "DeliveryTrace.tla");
    assertEquals("i", trace.get(trace.size() - 1));
    assertEquals(spec, trace.subList(0, spec.size()));
  }

  @Test
  void reorderKeepsUnknownVariablesLast() {
    TraceState s = new TraceState(1, "Init", TraceState.Kind.STATE, Map.of("b", "1"));
    var out = SpecVariables.reorder(List.of(new TraceState(1, "Init", TraceState.Kind.STATE,
        new java.util.LinkedHashMap<>(Map.of("z", "0")))), List.of("a"));
    assertEquals(List.of("z"), List.copyOf(out.get(0).vars().keySet()));
    assertEquals(s.vars(), SpecVariables.reorder(List.of(s), List.of()).get(0).vars());
  }
}
