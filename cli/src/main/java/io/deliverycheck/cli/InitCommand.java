package io.deliverycheck.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code deliverycheck init [DIR]}: writes a commented system-file template
 * ({@code my-service.system.json}, comments as {@code "//"} keys) and a nightly suite that runs it
 * ({@code nightly.suite.json}), for one's own service (docs/ci.md, docs/systems.md). Never
 * overwrites a file: exit 2 naming it.
 */
@Command(
    name = "init",
    mixinStandardHelpOptions = true,
    description = {
      "Write a system-file template for your own service and a nightly suite that runs it.",
      "Edit the start command, ports, health check, claims and faults, then check the file with",
      "`deliverycheck systems --system-file DIR/my-service.system.json`."
    },
    footer = {
      "",
      "Exit codes: 0 written, 2 a file exists already or cannot be written.",
      "",
      "Examples:",
      "  deliverycheck init                 into the current directory",
      "  deliverycheck init ci/deliverycheck"
    })
public final class InitCommand implements Callable<Integer> {
  static final String SYSTEM_FILE = "my-service.system.json";
  static final String SUITE_FILE = "nightly.suite.json";

  @Parameters(index = "0", arity = "0..1", paramLabel = "DIR", defaultValue = ".", description = "Where to write (default: the current directory).")
  Path dir;

  @Option(names = "--force", description = "Overwrite the files if they exist.")
  boolean force;

  @Override
  public Integer call() {
    Path system = dir.resolve(SYSTEM_FILE).normalize();
    Path suite = dir.resolve(SUITE_FILE).normalize();
    for (Path p : List.of(system, suite)) {
      if (Files.exists(p) && !force) {
        System.err.println("deliverycheck init: " + p + " exists already (--force overwrites it)");
        return 2;
      }
    }
    try {
      Files.createDirectories(dir);
      Files.writeString(system, template("system.json", system, suite));
      Files.writeString(suite, template("suite.json", system, suite));
    } catch (IOException e) {
      System.err.println("deliverycheck init: cannot write into " + dir + ": " + e.getMessage());
      return 2;
    }
    System.out.println("wrote " + system + "  (the system file: edit its start command, ports, health, claims, faults)");
    System.out.println("wrote " + suite + "  (the nightly suite: bin/deliverycheck suite " + suite + " --junit-xml target/deliverycheck.xml)");
    System.out.println("check it: bin/deliverycheck systems --system-file " + system);
    return 0;
  }

  /** A template with {@code @FILE@} and {@code @SUITE@} replaced by the paths written (as given, relative or not). */
  static String template(String name, Path system, Path suite) throws IOException {
    try (InputStream in = InitCommand.class.getResourceAsStream("init/" + name)) {
      if (in == null) {
        throw new IOException("template " + name + " missing from the jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8)
          .replace("@FILE@", system.toString()).replace("@SUITE@", suite.toString());
    }
  }
}
