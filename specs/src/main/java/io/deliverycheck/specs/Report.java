package io.deliverycheck.specs;

import java.util.Locale;

/** Human text for model results. */
final class Report {
  private Report() {}

  /** One line: name, expected, actual, distinct states, time, verdict. */
  static String line(ModelResult r) {
    long states = r.outcome().distinctStates();
    return String.format(Locale.ROOT, "%-32s expected %-21s actual %-21s %10s states %7.1f s  %s",
        r.model().name(), r.model().expect(), r.actual(),
        states < 0 ? "?" : String.format(Locale.ROOT, "%,d", states),
        r.time().toMillis() / 1000.0, r.asExpected() ? "as expected" : "DIFFERS FROM MANIFEST");
  }

  /** The line, then TLC's errors and the counterexample (if any), indented. */
  static String full(ModelResult r, boolean traces) {
    StringBuilder b = new StringBuilder(line(r)).append('\n');
    r.outcome().errors().forEach(e -> e.lines().forEach(l -> b.append("    ! ").append(l).append('\n')));
    if (traces && !r.outcome().trace().isEmpty()) {
      int n = r.outcome().trace().size();
      b.append("    counterexample for ").append(r.actual()).append(" (").append(n)
          .append(" states; after the first, only the variables that changed):\n");
      b.append(Counterexample.format(r.outcome().trace(), "      "));
    }
    return b.toString();
  }
}
