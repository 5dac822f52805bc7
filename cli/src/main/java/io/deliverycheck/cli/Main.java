package io.deliverycheck.cli;

import io.deliverycheck.checker.cli.BenchCheckerCommand;
import io.deliverycheck.checker.cli.CheckCommand;
import io.deliverycheck.node.BenchNodeCommand;
import io.deliverycheck.node.NodeCommand;
import io.deliverycheck.specs.SpecCommand;
import io.deliverycheck.systems.bench.BenchSystemsCommand;
import io.deliverycheck.systems.cli.SystemsCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The {@code deliverycheck} command: one subcommand per capability, each owned by its module. */
@Command(
    name = "deliverycheck",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = {
      "Verifies message delivery guarantees with evidence:",
      "after a system said \"accepted\", can a message be lost,",
      "or can its effect happen twice?"
    },
    footer = {
      "",
      "Examples:",
      "  deliverycheck test                   run the default verification (60 s)",
      "  deliverycheck hunt --budget 10m      look for a bug, then shrink it",
      "  deliverycheck check results/default/latest/history.jsonl \\",
      "      --guarantee exactly-once         re-check a stored run",
      "  deliverycheck spec check             model-check the TLA+ spec"
    },
    subcommands = {
      TestCommand.class,
      HuntCommand.class,
      ShrinkCommand.class,
      CheckCommand.class,
      NodeCommand.class,
      SpecCommand.class,
      ExportCommand.class,
      ServeCommand.class,
      SuiteCommand.class,
      SystemsCommand.class,
      InitCommand.class,
      Main.Bench.class,
      HelpCommand.class
    })
public final class Main implements Runnable {

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "Missing command: choose one of the commands below.");
  }

  /** {@code deliverycheck bench ...}: benchmarks with documented targets (docs/benchmarks.md). */
  @Command(
      name = "bench",
      mixinStandardHelpOptions = true,
      description = "Benchmarks (results are recorded in docs/benchmarks.md).",
      subcommands = {BenchCheckerCommand.class, BenchNodeCommand.class, BenchSystemsCommand.class})
  static final class Bench implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
      throw new ParameterException(spec.commandLine(), "Missing benchmark: choose one of the benchmarks below.");
    }
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"deliverycheck " + (v == null ? "dev" : v)};
    }
  }

  /**
   * Vert.x's HTTP client warns "Connection evicted" on the console each time a pooled connection to a
   * node is closed, which a run's kills and partitions do dozens of times: expected under faults and
   * recorded in the history as the ops it affects, so it is kept off the user's terminal. Held here:
   * java.util.logging keeps loggers only weakly.
   */
  private static final java.util.logging.Logger EVICTIONS =
      java.util.logging.Logger.getLogger("io.vertx.core.http.impl.HttpClientConnectionInternal");

  public static void main(String[] args) {
    EVICTIONS.setLevel(java.util.logging.Level.SEVERE);
    System.exit(commandLine().execute(args));
  }

  /** The configured command line, shared by {@link #main} and tests. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Main());
    cl.setExecutionStrategy(new CommandLine.RunLast());
    return cl;
  }
}
