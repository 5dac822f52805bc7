package io.deliverycheck.checker.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder until this command is built; replaced by its owner. */
@Command(name = "check", mixinStandardHelpOptions = true, description = "Check a history against a delivery guarantee.")
public final class CheckCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.err.println("deliverycheck check: not built yet");
    return 4;
  }
}
