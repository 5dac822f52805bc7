package io.deliverycheck.specs;

import java.util.List;

/**
 * What one TLC run found, read from its {@code -tool} messages and exit code.
 *
 * @param kind the verdict
 * @param property the violated property's name (an invariant, an action property, or for a
 *     temporal violation the name supplied by the caller), null when none
 * @param distinctStates distinct states found (-1 if TLC never said)
 * @param generatedStates states generated (-1 if TLC never said)
 * @param depth depth of the state graph search (-1 if TLC never said)
 * @param trace the counterexample, empty when none
 * @param errors error messages (severity error, or an error code) in TLC's words
 * @param exitCode TLC's exit code
 * @param version TLC's version line, null when not printed
 * @param prints the lines the model printed with {@code PrintT(<<"dc-...", ...>>)}, in order
 */
record TlcOutcome(Kind kind, String property, long distinctStates, long generatedStates, int depth,
    List<TraceState> trace, List<String> errors, int exitCode, String version, List<String> prints) {

  /** Verdicts of a run. */
  enum Kind {
    /** The complete state space was checked; no property is violated. */
    PASS,
    /** An invariant is violated (initial state or behaviour). */
    INVARIANT,
    /** An action property ({@code [][A]_v}) is violated. */
    ACTION_PROPERTY,
    /** A temporal (liveness) property is violated; TLC does not say which one. */
    TEMPORAL,
    /** A reachable state has no successor (only when deadlock is checked). */
    DEADLOCK,
    /** TLC did not finish a check: parse error, evaluation error, bad configuration, crash. */
    ERROR
  }

  /** The result in the manifest's words: "pass", the violated property, or "error". */
  String result() {
    return switch (kind) {
      case PASS -> "pass";
      case ERROR -> "error";
      case DEADLOCK -> "deadlock";
      default -> property == null ? "temporal" : property;
    };
  }
}
