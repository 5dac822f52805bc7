package io.deliverycheck.specs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Reads the property names a TLC configuration file checks (its PROPERTY/PROPERTIES sections). */
final class ModelConfig {
  private static final Set<String> KEYWORDS = Set.of("CONSTANT", "CONSTANTS", "INIT", "NEXT", "SPECIFICATION",
      "INVARIANT", "INVARIANTS", "PROPERTY", "PROPERTIES", "SYMMETRY", "VIEW", "CONSTRAINT", "CONSTRAINTS",
      "ACTION_CONSTRAINT", "ACTION_CONSTRAINTS", "CHECK_DEADLOCK", "POSTCONDITION", "ALIAS");

  private ModelConfig() {}

  /**
   * The constants bound with {@code =} in the CONSTANTS section ({@code Name = value}, one per line),
   * values as written; empty if the file cannot be read. Substitutions ({@code <-}) are left out.
   */
  static Map<String, String> constants(Path cfg) {
    Map<String, String> out = new LinkedHashMap<>();
    String text;
    try {
      text = Files.readString(cfg);
    } catch (IOException e) {
      return out;
    }
    boolean in = false;
    for (String line : text.split("\n")) {
      int c = line.indexOf("\\*");
      String l = (c >= 0 ? line.substring(0, c) : line).strip();
      if (l.isEmpty()) continue;
      String first = l.split("\\s+")[0];
      if (KEYWORDS.contains(first)) {
        in = first.startsWith("CONSTANT");
        l = l.substring(first.length()).strip();
        if (l.isEmpty()) continue;
      }
      int eq = l.indexOf('=');
      if (in && eq > 0 && !l.contains("<-")) out.put(l.substring(0, eq).strip(), l.substring(eq + 1).strip());
    }
    return out;
  }

  /** The names listed after PROPERTY or PROPERTIES, in order; empty if the file cannot be read. */
  static List<String> properties(Path cfg) {
    List<String> out = new ArrayList<>();
    String text;
    try {
      text = Files.readString(cfg);
    } catch (IOException e) {
      return out;
    }
    boolean in = false;
    for (String line : text.split("\n")) {
      int c = line.indexOf("\\*");
      String l = c >= 0 ? line.substring(0, c) : line;
      for (String tok : l.trim().split("\\s+")) {
        if (tok.isEmpty()) continue;
        if (KEYWORDS.contains(tok)) {
          in = tok.startsWith("PROPERT");
        } else if (in) {
          out.add(tok);
        }
      }
    }
    return out;
  }
}
