package io.deliverycheck.checker;

/**
 * Which guarantee a history is judged against (docs/history-format.md, "Which guarantee"): an
 * explicit one wins (the {@code --guarantee} flag, a test's configuration); else the guarantee the
 * history's {@code system} op claims; else a fallback (the run's test.json). The source of the one
 * used is written to results.json as {@code guarantee_source}.
 *
 * @param explicit the guarantee given explicitly, or null
 * @param explicitSource how it was given, e.g. {@code --guarantee}
 * @param fallback used when neither an explicit guarantee nor a system op names one, or null
 * @param fallbackSource where the fallback came from, e.g. {@code test.json}
 */
public record GuaranteeChoice(Guarantee explicit, String explicitSource, Guarantee fallback,
                              String fallbackSource) {
  /** The source name of a guarantee taken from the history's {@code system} op. */
  public static final String SYSTEM_OP = "system op";

  /** An explicit guarantee, named by how it was given (e.g. {@code --guarantee}). */
  public static GuaranteeChoice explicit(Guarantee g, String source) {
    if (g == null) {
      throw new IllegalArgumentException("an explicit guarantee must not be null");
    }
    return new GuaranteeChoice(g, source, null, null);
  }

  /** The system op's guarantee, else {@code fallback} (nullable) from {@code fallbackSource}. */
  public static GuaranteeChoice fromHistory(Guarantee fallback, String fallbackSource) {
    return new GuaranteeChoice(null, null, fallback, fallbackSource);
  }

  /** The guarantee and its source; null when none of the three names one. */
  Resolved resolve(Guarantee systemOp) {
    if (explicit != null) {
      return new Resolved(explicit, explicitSource);
    }
    if (systemOp != null) {
      return new Resolved(systemOp, SYSTEM_OP);
    }
    return fallback == null ? null : new Resolved(fallback, fallbackSource);
  }

  record Resolved(Guarantee guarantee, String source) {}
}
