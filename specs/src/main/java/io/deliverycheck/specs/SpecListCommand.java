package io.deliverycheck.specs;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code deliverycheck spec list}: the models of the manifest and their expected results. */
@Command(name = "list", mixinStandardHelpOptions = true, description = "List the models and their expected results.")
public final class SpecListCommand implements Callable<Integer> {
  @Mixin SpecsDirOption dir = new SpecsDirOption();

  @Override
  public Integer call() {
    Manifest manifest;
    try {
      manifest = dir.load();
    } catch (Manifest.ManifestException e) {
      System.err.println("deliverycheck spec list: " + e.getMessage());
      return SpecCheckCommand.EXIT_USAGE;
    }
    System.out.printf("%-32s %-8s %-18s %s%n", "MODEL", "TIER", "EXPECT", "ABOUT");
    for (Model m : manifest.models()) {
      System.out.printf("%-32s %-8s %-18s %s%n", m.name(), m.tier(), m.expect(), m.about());
    }
    return 0;
  }
}
