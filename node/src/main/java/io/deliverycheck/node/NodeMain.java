package io.deliverycheck.node;

import picocli.CommandLine;

/** {@code java -cp ... io.deliverycheck.node.NodeMain [flags]}: runs {@link NodeCommand}. */
public final class NodeMain {
  private NodeMain() {}

  public static void main(String[] args) {
    if (System.getProperty("java.util.logging.manager") == null) {
      System.setProperty("java.util.logging.manager", NodeLogManager.class.getName());
    }
    System.exit(new CommandLine(new NodeCommand()).execute(args));
  }
}
