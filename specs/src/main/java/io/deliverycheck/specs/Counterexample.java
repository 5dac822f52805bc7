package io.deliverycheck.specs;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Prints a TLC counterexample for a design review: a numbered list of states, each named by
 * the action that led to it and showing only the variables that action changed (all of
 * them for the first state).
 */
final class Counterexample {
  private Counterexample() {}

  /**
   * How a variable changed: {@code f[k] = v} for each changed entry when it is a function
   * with the same domain before and after, else {@code name = value}.
   */
  static List<String> changes(String name, String before, String after) {
    Map<String, String> a = before == null ? null : TlaValues.function(before);
    Map<String, String> b = a == null ? null : TlaValues.function(after);
    if (a == null || b == null || !a.keySet().equals(b.keySet())) return List.of(name + " = " + after);
    List<String> out = new ArrayList<>();
    b.forEach((k, v) -> {
      if (!v.equals(a.get(k))) out.add(name + "[" + k + "] = " + v);
    });
    return out;
  }

  /** The readable form, each line starting with {@code indent}; empty for an empty trace. */
  static String format(List<TraceState> trace, String indent) {
    StringBuilder b = new StringBuilder();
    Map<String, String> prev = Map.of();
    int width = Integer.toString(trace.isEmpty() ? 1 : trace.get(trace.size() - 1).number()).length();
    for (TraceState s : trace) {
      String n = String.format("%" + width + "d. ", s.number());
      String pad = " ".repeat(n.length());
      switch (s.kind()) {
        case STUTTERING -> b.append(indent).append(n)
            .append("(stuttering: no further step happens; the behaviour stays in state ")
            .append(s.number() - 1).append(" forever)\n");
        case BACK_TO_STATE -> b.append(indent).append(n).append("(").append(s.action())
            .append(": the behaviour loops forever)\n");
        case STATE -> {
          b.append(indent).append(n).append(s.action()).append('\n');
          int shown = 0;
          for (Map.Entry<String, String> v : s.vars().entrySet()) {
            String before = prev.get(v.getKey());
            if (v.getValue().equals(before)) continue;
            for (String change : changes(v.getKey(), before, v.getValue())) {
              b.append(indent).append(pad).append(change).append('\n');
              shown++;
            }
          }
          if (shown == 0) b.append(indent).append(pad).append("(no variable changed)\n");
          prev = s.vars();
        }
      }
    }
    return b.toString();
  }
}
