package io.deliverycheck.specs;

import java.util.Map;

/**
 * One state of a TLC counterexample.
 *
 * @param number its position in the behaviour, from 1
 * @param action the action that led to it ("Initial predicate" for the first state); for a
 *     {@link Kind#STUTTERING} or {@link Kind#BACK_TO_STATE} entry, TLC's own words
 * @param kind a state, infinite stuttering from here on, or a loop back to an earlier state
 * @param vars the value of every variable, in TLC's order (empty unless {@link Kind#STATE})
 */
record TraceState(int number, String action, Kind kind, Map<String, String> vars) {
  enum Kind { STATE, STUTTERING, BACK_TO_STATE }
}
