package io.deliverycheck.specs;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder until this command is built; replaced by its owner. */
@Command(name = "spec", mixinStandardHelpOptions = true, description = "Model-check the TLA+ specification with TLC.")
public final class SpecCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.err.println("deliverycheck spec: not built yet");
    return 4;
  }
}
