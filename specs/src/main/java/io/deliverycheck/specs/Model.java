package io.deliverycheck.specs;

/**
 * One TLC model of the manifest: a configuration file binding the spec's constants.
 *
 * @param name unique name, used on the command line
 * @param config the .cfg file, relative to the specs folder
 * @param tier "small" (default test tier) or "nightly"
 * @param expect "pass", or the one property whose violation TLC must report
 * @param about one line for humans
 * @param workers TLC worker threads for this model
 */
public record Model(String name, String config, String tier, String expect, String about, int workers) {
  /** True when this model is expected to hold. */
  public boolean expectsPass() {
    return "pass".equals(expect);
  }
}
