package io.deliverycheck.checker.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder until this command is built; replaced by its owner. */
@Command(name = "checker", mixinStandardHelpOptions = true, description = "Benchmark the checker on a synthetic history.")
public final class BenchCheckerCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.err.println("deliverycheck checker: not built yet");
    return 4;
  }
}
