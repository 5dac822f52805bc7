package io.deliverycheck.node;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder until this command is built; replaced by its owner. */
@Command(name = "node", mixinStandardHelpOptions = true, description = "Start one node of the reference cluster.")
public final class NodeCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.err.println("deliverycheck node: not built yet");
    return 4;
  }
}
