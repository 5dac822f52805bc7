package io.deliverycheck.specs;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads TLC's {@code -tool} output line by line and turns it into a {@link TlcOutcome}.
 *
 * <p>Classification goes by message code (see {@link TlcCodes}) and exit code only; the text
 * of a message is read just for the numbers and names it carries (the property in "Invariant X
 * is violated.", the counts of {@code TLC_STATS}, the variables of a state). Not thread-safe:
 * one parser per run, fed in output order.
 */
final class TlcOutputParser {
  /** How the model's {@code PrintT(<<"dc-...", ...>>)} lines start. */
  static final String PRINT_PREFIX = "<<\"dc-";
  private static final Pattern START = Pattern.compile("^@!@!@STARTMSG (\\d+):(\\d+) @!@!@$");
  private static final Pattern END = Pattern.compile("^@!@!@ENDMSG (\\d+) @!@!@$");
  private static final Pattern STATS =
      Pattern.compile("([\\d,]+) states generated, ([\\d,]+) distinct states found");
  private static final Pattern DEPTH = Pattern.compile("search is (\\d+)");
  private static final Pattern INVARIANT = Pattern.compile("^Invariant (\\S+) is violated");
  private static final Pattern ACTION_PROPERTY = Pattern.compile("^Action property (\\S+) is violated");
  private static final Pattern STATE_HEAD = Pattern.compile("^(\\d+): (.*)$");
  private static final Pattern ACTION =
      Pattern.compile("^<(.+?)(?: line \\d+, col \\d+ to line \\d+, col \\d+ of module \\S+)?>$");

  private final List<TlcMessage> messages = new ArrayList<>();
  private final List<String> plain = new ArrayList<>();
  private final List<String> prints = new ArrayList<>();
  private int code = -1;
  private int severity;
  private StringBuilder text;

  /**
   * Feeds one output line.
   *
   * @return the message this line completes, or null
   */
  TlcMessage accept(String line) {
    if (line.startsWith(PRINT_PREFIX)) {
      // the model's own PrintT lines (trace validation); another message may be open around them
      prints.add(line);
      return null;
    }
    if (text == null) {
      Matcher m = START.matcher(line);
      if (m.matches()) {
        code = Integer.parseInt(m.group(1));
        severity = Integer.parseInt(m.group(2));
        text = new StringBuilder();
      } else if (!line.isBlank()) {
        plain.add(line);
      }
      return null;
    }
    Matcher e = END.matcher(line);
    if (e.matches() && Integer.parseInt(e.group(1)) == code) {
      String t = text.toString();
      TlcMessage msg = new TlcMessage(code, severity, t.endsWith("\n") ? t.substring(0, t.length() - 1) : t);
      messages.add(msg);
      text = null;
      return msg;
    }
    text.append(line).append('\n');
    return null;
  }

  /** The first lines printed outside any message (at most 10), e.g. the JVM's own errors. */
  List<String> plainOutput() {
    return List.copyOf(plain.subList(0, Math.min(10, plain.size())));
  }

  /** Every complete message so far. */
  List<TlcMessage> messages() {
    return List.copyOf(messages);
  }

  /**
   * The outcome of the run whose output was fed.
   *
   * @param exitCode TLC's exit code
   * @param temporalName the name to give a temporal violation (TLC 2.18 does not name the
   *     property), or null
   */
  TlcOutcome finish(int exitCode, String temporalName) {
    TlcOutcome.Kind kind = null;
    String property = null;
    long distinct = -1;
    long generated = -1;
    int depth = -1;
    String version = null;
    boolean success = false;
    List<TraceState> trace = new ArrayList<>();
    List<String> errors = new ArrayList<>();
    for (TlcMessage m : messages) {
      switch (m.code()) {
        case TlcCodes.TLC_VERSION -> version = m.text().strip();
        case TlcCodes.TLC_SUCCESS -> success = true;
        case TlcCodes.TLC_STATS -> {
          Matcher s = STATS.matcher(m.text());
          if (s.find()) {
            generated = number(s.group(1));
            distinct = number(s.group(2));
          }
        }
        case TlcCodes.TLC_SEARCH_DEPTH -> {
          Matcher d = DEPTH.matcher(m.text());
          if (d.find()) depth = Integer.parseInt(d.group(1));
        }
        case TlcCodes.TLC_INVARIANT_VIOLATED_BEHAVIOR, TlcCodes.TLC_INVARIANT_VIOLATED_INITIAL -> {
          kind = first(kind, TlcOutcome.Kind.INVARIANT);
          property = firstName(property, INVARIANT, m.text());
        }
        case TlcCodes.TLC_ACTION_PROPERTY_VIOLATED_BEHAVIOR -> {
          kind = first(kind, TlcOutcome.Kind.ACTION_PROPERTY);
          property = firstName(property, ACTION_PROPERTY, m.text());
        }
        case TlcCodes.TLC_TEMPORAL_PROPERTY_VIOLATED, TlcCodes.TLC_PROPERTY_VIOLATED_INITIAL -> {
          kind = first(kind, TlcOutcome.Kind.TEMPORAL);
          if (property == null) property = temporalName;
        }
        case TlcCodes.TLC_DEADLOCK_REACHED -> kind = first(kind, TlcOutcome.Kind.DEADLOCK);
        case TlcCodes.TLC_STATE_PRINT1, TlcCodes.TLC_STATE_PRINT2, TlcCodes.TLC_STATE_PRINT3,
            TlcCodes.TLC_BACK_TO_STATE -> {
          TraceState st = state(m.text());
          if (st != null) trace.add(st);
        }
        case TlcCodes.TLC_BEHAVIOR_UP_TO_THIS_POINT, TlcCodes.TLC_COUNTER_EXAMPLE -> {
          // headings of the trace that follows
        }
        case TlcCodes.TLC_PARSING_FAILED, TlcCodes.TLC_PARSING_FAILED2 -> {
          errors.add(m.text().strip());
          // SANY prints its diagnostics as plain text before this message.
          plain.stream()
              .filter(l -> !l.startsWith("Parsing file ") && !l.startsWith("Semantic processing of module "))
              .limit(12)
              .forEach(errors::add);
        }
        default -> {
          if (m.severity() == TlcCodes.SEVERITY_ERROR || m.severity() == TlcCodes.SEVERITY_TLA_ERROR
              || m.code() == TlcCodes.GENERAL) {
            errors.add(m.text().strip());
          }
        }
      }
    }
    boolean violationExit = TlcCodes.isViolationExit(exitCode);
    if (kind != null && !violationExit) {
      // A violation message without a violation exit code: TLC stopped for another reason too.
      errors.add("TLC reported a violation but exited with code " + exitCode);
      kind = TlcOutcome.Kind.ERROR;
    } else if (kind == null) {
      kind = success && exitCode == TlcCodes.EXIT_SUCCESS && errors.isEmpty()
          ? TlcOutcome.Kind.PASS : TlcOutcome.Kind.ERROR;
      if (kind == TlcOutcome.Kind.ERROR && errors.isEmpty()) {
        errors.add("TLC exited with code " + exitCode + " without a verdict"
            + (plain.isEmpty() ? "" : ": " + String.join(" / ", plain.subList(Math.max(0, plain.size() - 5), plain.size()))));
      }
    }
    return new TlcOutcome(kind, kind == TlcOutcome.Kind.ERROR ? null : property, distinct, generated, depth,
        List.copyOf(trace), List.copyOf(errors), exitCode, version, List.copyOf(prints));
  }

  /** Parses the text of a state message ("N: <Action ...>" then "/\ var = value" lines). */
  static TraceState state(String text) {
    String[] lines = text.split("\n", -1);
    Matcher head = STATE_HEAD.matcher(lines[0].strip());
    if (!head.matches()) return null;
    int number = Integer.parseInt(head.group(1));
    String rest = head.group(2).strip();
    if (rest.startsWith("Stuttering")) {
      return new TraceState(number, "Stuttering", TraceState.Kind.STUTTERING, Map.of());
    }
    if (rest.startsWith("Back to state")) {
      return new TraceState(number, rest, TraceState.Kind.BACK_TO_STATE, Map.of());
    }
    Matcher a = ACTION.matcher(rest);
    String action = a.matches() ? a.group(1) : rest;
    Map<String, String> vars = new LinkedHashMap<>();
    String name = null;
    StringBuilder value = null;
    for (int i = 1; i < lines.length; i++) {
      String l = lines[i];
      if (l.isBlank()) continue;
      String t = l.strip();
      boolean starts = t.startsWith("/\\ ") && t.contains(" = ");
      if (starts || (name == null && t.contains(" = "))) {
        if (name != null) vars.put(name, value.toString());
        String body = starts ? t.substring(3) : t;
        int eq = body.indexOf(" = ");
        name = body.substring(0, eq).strip();
        value = new StringBuilder(body.substring(eq + 3).strip());
      } else if (value != null) {
        value.append(' ').append(t);
      }
    }
    if (name != null) vars.put(name, value.toString());
    return new TraceState(number, action, TraceState.Kind.STATE, vars);
  }

  private static TlcOutcome.Kind first(TlcOutcome.Kind current, TlcOutcome.Kind found) {
    return current == null ? found : current;
  }

  private static String firstName(String current, Pattern p, String text) {
    if (current != null) return current;
    Matcher m = p.matcher(text.strip());
    return m.find() ? m.group(1) : null;
  }

  private static long number(String s) {
    return Long.parseLong(s.replace(",", ""));
  }
}
