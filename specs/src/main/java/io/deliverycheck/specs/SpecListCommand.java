package io.deliverycheck.specs;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code deliverycheck spec list}: the models of the manifest and their expected results. */
@Command(name = "list", mixinStandardHelpOptions = true, description = "List the models and their expected results.")
public final class SpecListCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin SpecsDirOption dir = new SpecsDirOption();

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    Manifest manifest;
    try {
      manifest = dir.load();
    } catch (Manifest.ManifestException e) {
      spec.commandLine().getErr().println("deliverycheck spec list: " + e.getMessage());
      return SpecCheckCommand.EXIT_USAGE;
    }
    out.printf("%-32s %-8s %-18s %s%n", "MODEL", "TIER", "EXPECT", "ABOUT");
    for (Model m : manifest.models()) {
      out.printf("%-32s %-8s %-18s %s%n", m.name(), m.tier(), m.expect(), m.about());
    }
    return 0;
  }
}
