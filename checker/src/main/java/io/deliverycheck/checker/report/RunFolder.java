package io.deliverycheck.checker.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The small JSON files of one run folder (Contract 3), read leniently: a missing or unreadable
 * file becomes {@link MissingNode} and a warning, so a report can always be drawn and says what
 * it could not read.
 */
final class RunFolder {
  static final ObjectMapper JSON = new ObjectMapper();

  final Path dir;
  final JsonNode results;
  final JsonNode test;
  final JsonNode faults;
  final Path history; // null when absent
  final Path metrics; // null when absent
  final List<String> warnings = new ArrayList<>();

  RunFolder(Path dir) {
    this.dir = dir;
    this.results = readJson(dir.resolve("results.json"));
    this.test = readJson(dir.resolve("test.json"));
    this.faults = readJson(dir.resolve("faults.json"));
    this.history = firstExisting(dir.resolve("history.jsonl"), dir.resolve("history.jsonl.gz"),
        dir.resolve("history.edn"), dir.resolve("history.edn.gz"));
    this.metrics = firstExisting(dir.resolve("metrics.jsonl"), dir.resolve("metrics.jsonl.gz"));
    if (history == null) warnings.add("no history.jsonl (or history.edn) in " + dir + ": no stories, timeline or latency plots");
  }

  private JsonNode readJson(Path file) {
    if (!Files.isRegularFile(file)) {
      warnings.add(file.getFileName() + " is missing");
      return MissingNode.getInstance();
    }
    try {
      return JSON.readTree(file.toFile());
    } catch (IOException e) {
      warnings.add(file.getFileName() + " is unreadable: " + e.getMessage().lines().findFirst().orElse(""));
      return MissingNode.getInstance();
    }
  }

  private static Path firstExisting(Path... files) {
    for (Path f : files) if (Files.isRegularFile(f)) return f;
    return null;
  }

  /** Whether the history is Jepsen-style EDN rather than JSON Lines. */
  boolean historyIsEdn() {
    return history != null && io.deliverycheck.checker.edn.EdnHistoryReader.isEdn(history);
  }

  /** The guarantee judged, from results.json, else test.json; null when neither says. */
  String guarantee() {
    String g = results.path("guarantee").asText(null);
    return g != null ? g : test.path("guarantee").asText(null);
  }

  /** "valid", "invalid", "unknown" or "not checked" (no results.json). */
  String verdict() {
    return verdictOf(results);
  }

  static String verdictOf(JsonNode results) {
    JsonNode v = results.path("valid");
    if (v.isBoolean()) return v.booleanValue() ? "valid" : "invalid";
    if (v.isTextual() && v.asText().equals("unknown")) return "unknown";
    return results.isMissingNode() ? "not checked" : "unknown";
  }

  /** The test's name: test.json "name", else the parent folder's name. */
  String name() {
    String n = test.path("name").asText(null);
    if (n != null) return n;
    Path parent = dir.toAbsolutePath().normalize().getParent();
    return parent == null ? dir.toString() : parent.getFileName().toString();
  }
}
