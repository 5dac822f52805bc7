package io.deliverycheck.specs;

import java.time.Duration;

/**
 * A model's check: what the manifest expects against what TLC found.
 *
 * @param model the model, with its expected result
 * @param outcome what TLC found
 * @param time wall-clock time of the TLC run
 */
public record ModelResult(Model model, TlcOutcome outcome, Duration time) {
  /** True when TLC finished and found exactly the expected result. */
  public boolean asExpected() {
    return outcome.kind() != TlcOutcome.Kind.ERROR && outcome.result().equals(model.expect());
  }

  /** TLC's result in the manifest's words ("pass", a property, "error", "deadlock"). */
  public String actual() {
    return outcome.result();
  }
}
