package io.deliverycheck.specs;

import java.time.Duration;
import java.util.function.Consumer;

/** Checks one model with TLC and times it: the one call tests and the command share. */
public final class ModelRunner {
  private final Tlc tlc;
  private final Manifest manifest;

  public ModelRunner(Tlc tlc, Manifest manifest) {
    this.tlc = tlc;
    this.manifest = manifest;
  }

  /**
   * Runs TLC on the model with the given worker count (the model's own when {@code workers}
   * is 0) and returns the result next to the manifest's expectation.
   */
  public ModelResult check(Model model, int workers, Consumer<String> progress)
      throws Tlc.NotRunnableException, InterruptedException {
    long start = System.nanoTime();
    TlcOutcome outcome = tlc.check(manifest, model, workers > 0 ? workers : model.workers(), progress);
    return new ModelResult(model, outcome, Duration.ofNanos(System.nanoTime() - start));
  }
}
