package io.deliverycheck.specs;

import java.util.List;
import java.util.Map;

/**
 * Prints a TLC counterexample for a design review: a numbered list of states, each named by
 * the action that led to it and showing only the variables that action changed (all of
 * them for the first state).
 */
final class Counterexample {
  private Counterexample() {}

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
            if (v.getValue().equals(prev.get(v.getKey()))) continue;
            b.append(indent).append(pad).append(v.getKey()).append(" = ").append(v.getValue()).append('\n');
            shown++;
          }
          if (shown == 0) b.append(indent).append(pad).append("(no variable changed)\n");
          prev = s.vars();
        }
      }
    }
    return b.toString();
  }
}
