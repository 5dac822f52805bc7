package io.deliverycheck.specs;

import java.nio.file.Path;

/** Test helper: the repository's specs folder and manifest. */
final class Specs {
  private Specs() {}

  static Path dir() {
    String repo = System.getProperty("deliverycheck.repo");
    Path start = repo != null ? Path.of(repo) : Path.of("").toAbsolutePath();
    return Manifest.find(start).orElseThrow(() -> new IllegalStateException("no specs/models.json above " + start));
  }

  static Manifest manifest() {
    try {
      return Manifest.load(dir());
    } catch (Manifest.ManifestException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }
}
