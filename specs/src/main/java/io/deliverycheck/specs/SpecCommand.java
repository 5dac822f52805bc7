package io.deliverycheck.specs;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code deliverycheck spec}: the TLA+ specification's models, checked with TLC. */
@Command(
    name = "spec",
    mixinStandardHelpOptions = true,
    description = {
      "Model-check the TLA+ specification (specs/DeliveryGuarantees.tla) with TLC.",
      "Every model and its expected result is listed in specs/models.json."
    },
    subcommands = {SpecCheckCommand.class, SpecListCommand.class, SpecTraceCommand.class})
public final class SpecCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "Missing subcommand: choose check, list or trace.");
  }
}
