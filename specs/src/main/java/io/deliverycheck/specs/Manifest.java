package io.deliverycheck.specs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The models manifest, {@code specs/models.json}: the spec module, the names of its liveness
 * properties, and every model with the result it must give.
 *
 * @param dir the specs folder holding the manifest (paths in it are relative to this folder)
 * @param spec the root TLA+ module file
 * @param liveness the spec's temporal (liveness) properties: TLC reports their violation
 *     without naming them, so the runner names it from this list and the model's config
 * @param models every model, in manifest order
 */
public record Manifest(Path dir, String spec, List<String> liveness, List<Model> models) {
  /** The manifest's file name inside the specs folder. */
  public static final String FILE = "models.json";

  /** Thrown for an unreadable or invalid manifest; the message names the file and the problem. */
  public static final class ManifestException extends Exception {
    private static final long serialVersionUID = 1L;

    ManifestException(String message) {
      super(message);
    }
  }

  /** Reads and validates {@code dir/models.json}. */
  public static Manifest load(Path dir) throws ManifestException {
    Path file = dir.resolve(FILE);
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(file.toFile());
    } catch (IOException e) {
      throw new ManifestException(file + ": cannot read: " + e.getMessage().lines().findFirst().orElse(""));
    }
    String spec = text(file, root, "spec", "the manifest");
    if (!Files.isRegularFile(dir.resolve(spec))) {
      throw new ManifestException(file + ": spec " + spec + " does not exist in " + dir);
    }
    List<String> liveness = new ArrayList<>();
    root.path("liveness").forEach(n -> liveness.add(n.asText()));
    if (!root.path("models").isArray() || root.path("models").isEmpty()) {
      throw new ManifestException(file + ": \"models\" must be a non-empty array");
    }
    List<Model> models = new ArrayList<>();
    Set<String> names = new HashSet<>();
    int i = 0;
    for (JsonNode n : root.path("models")) {
      String where = "models[" + i++ + "]";
      String name = text(file, n, "name", where);
      String config = text(file, n, "config", where);
      String tier = n.path("tier").asText("small");
      String expect = text(file, n, "expect", where);
      int workers = n.path("workers").asInt(1);
      if (!names.add(name)) throw new ManifestException(file + ": " + where + ": duplicate model name " + name);
      if (!tier.equals("small") && !tier.equals("nightly")) {
        throw new ManifestException(file + ": " + where + ": tier must be small or nightly, not " + tier);
      }
      if (workers < 1) throw new ManifestException(file + ": " + where + ": workers must be at least 1");
      if (!Files.isRegularFile(dir.resolve(config))) {
        throw new ManifestException(file + ": " + where + ": config " + config + " does not exist in " + dir);
      }
      models.add(new Model(name, config, tier, expect, n.path("about").asText(""), workers));
    }
    return new Manifest(dir, spec, List.copyOf(liveness), List.copyOf(models));
  }

  /** The model of that name. */
  public Optional<Model> model(String name) {
    return models.stream().filter(m -> m.name().equals(name)).findFirst();
  }

  /** The models of a tier, in manifest order. */
  public List<Model> tier(String tier) {
    return models.stream().filter(m -> m.tier().equals(tier)).toList();
  }

  /**
   * Walks up from {@code start} to the first folder containing {@code specs/models.json} and
   * returns that {@code specs} folder.
   */
  public static Optional<Path> find(Path start) {
    for (Path p = start.toAbsolutePath().normalize(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("specs").resolve(FILE))) return Optional.of(p.resolve("specs"));
      if (Files.isRegularFile(p.resolve(FILE)) && p.getFileName() != null
          && p.getFileName().toString().equals("specs")) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  private static String text(Path file, JsonNode n, String field, String where) throws ManifestException {
    JsonNode v = n.get(field);
    if (v == null || !v.isTextual() || v.asText().isBlank()) {
      throw new ManifestException(file + ": " + where + ": missing string field \"" + field + "\"");
    }
    return v.asText();
  }
}
