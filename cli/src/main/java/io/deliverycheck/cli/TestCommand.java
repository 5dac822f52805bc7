package io.deliverycheck.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder until this command is built; replaced by its owner. */
@Command(name = "test", mixinStandardHelpOptions = true, description = "Run a verification test end to end.")
public final class TestCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.err.println("deliverycheck test: not built yet");
    return 4;
  }
}
