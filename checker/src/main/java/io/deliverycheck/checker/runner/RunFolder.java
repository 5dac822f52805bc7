package io.deliverycheck.checker.runner;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;

/**
 * The folder of one run, {@code results/<test-name>/<yyyyMMdd'T'HHmmss>/} (Contract 3), with its
 * {@code logs/} and the {@code latest} link next to it. Two runs started in the same second get
 * {@code -2}, {@code -3}, ... appended. Every JSON file is written to a temporary file and moved
 * into place, so a reader never sees half a file.
 */
public final class RunFolder {
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss");
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final Path dir;

  private RunFolder(Path dir) {
    this.dir = dir;
  }

  /** Creates a new, empty run folder under {@code resultsRoot/testName/}. */
  public static RunFolder create(Path resultsRoot, String testName, LocalDateTime started) throws IOException {
    Path parent = resultsRoot.resolve(testName);
    Files.createDirectories(parent);
    String stamp = STAMP.format(started);
    for (int i = 1; ; i++) {
      Path candidate = parent.resolve(i == 1 ? stamp : stamp + "-" + i);
      try {
        Files.createDirectory(candidate);
        Files.createDirectories(candidate.resolve("logs"));
        return new RunFolder(candidate);
      } catch (FileAlreadyExistsException e) {
        // next suffix
      }
    }
  }

  public Path dir() {
    return dir;
  }

  public Path file(String name) {
    return dir.resolve(name);
  }

  public Path logs() {
    return dir.resolve("logs");
  }

  /** Writes pretty JSON atomically. */
  public void writeJson(String name, JsonNode json) throws IOException {
    writeAtomically(dir.resolve(name), JSON.writeValueAsString(json) + "\n");
  }

  /** Writes text to a temporary file next to {@code target}, then moves it into place. */
  public static void writeAtomically(Path target, String text) throws IOException {
    Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
    Files.writeString(tmp, text, StandardCharsets.UTF_8);
    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** Points {@code results/<test-name>/latest} at this run (relative link, replaced atomically). */
  public void linkLatest() throws IOException {
    Path latest = dir.resolveSibling("latest");
    Path tmp = dir.resolveSibling(".latest.tmp");
    Files.deleteIfExists(tmp);
    Files.createSymbolicLink(tmp, dir.getFileName());
    Files.move(tmp, latest, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** Copies a log into {@code logs/} unless it already lives there; missing logs are skipped. */
  public void collectLog(Path log) throws IOException {
    if (log == null || !Files.isRegularFile(log)) {
      return;
    }
    Path abs = log.toAbsolutePath().normalize();
    if (abs.startsWith(logs().toAbsolutePath().normalize())) {
      return;
    }
    Path target = logs().resolve(abs.getFileName());
    for (int i = 2; Files.exists(target); i++) {
      target = logs().resolve(abs.getFileName() + "." + i);
    }
    Files.copy(abs, target);
  }
}
