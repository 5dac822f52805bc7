package io.deliverycheck.node;

import picocli.CommandLine;

/**
 * {@code java -cp ... io.deliverycheck.node.NodeMain [flags]}: runs {@link NodeCommand}. A bad flag
 * prints one line naming it (and where to look) and exits 2.
 */
public final class NodeMain {
  private NodeMain() {}

  public static void main(String[] args) {
    if (System.getProperty("java.util.logging.manager") == null) {
      System.setProperty("java.util.logging.manager", NodeLogManager.class.getName());
    }
    CommandLine cl = new CommandLine(new NodeCommand());
    cl.setParameterExceptionHandler((e, a) -> {
      e.getCommandLine().getErr().println("deliverycheck node: " + e.getMessage() + " (see --help)");
      return 2;
    });
    System.exit(cl.execute(args));
  }
}
