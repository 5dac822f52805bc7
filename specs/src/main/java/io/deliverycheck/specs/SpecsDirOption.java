package io.deliverycheck.specs;

import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The {@code --specs-dir} option shared by the spec subcommands, and the manifest it leads to. */
final class SpecsDirOption {
  @Option(names = "--specs-dir", paramLabel = "DIR",
      description = "Folder holding models.json (default: the specs/ folder found walking up from the current directory).")
  Path specsDir;

  /** Loads the manifest, or throws with a one-line message naming what is missing and where. */
  Manifest load() throws Manifest.ManifestException {
    Path dir = specsDir;
    if (dir == null) {
      Path cwd = Path.of("").toAbsolutePath();
      dir = Manifest.find(cwd).orElseThrow(() -> new Manifest.ManifestException(
          "no specs/" + Manifest.FILE + " in " + cwd + " or any parent folder; run from the repository or pass --specs-dir"));
    } else if (!Files.isRegularFile(dir.resolve(Manifest.FILE))) {
      throw new Manifest.ManifestException("--specs-dir " + dir + ": no " + Manifest.FILE + " there");
    }
    return Manifest.load(dir);
  }
}
