package io.deliverycheck.specs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The variables of a TLA+ module in declaration order (extended modules of the same folder
 * first), so counterexamples list them as the spec does rather than in TLC's order.
 */
final class SpecVariables {
  private static final Pattern EXTENDS = Pattern.compile("(?m)^\\s*EXTENDS\\s+([\\w\\s,]+?)\\s*$");
  private static final Pattern DECL = Pattern.compile("(?m)^\\s*VARIABLES?\\b");
  private static final Pattern IDENT = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  private SpecVariables() {}

  /** Variable names of {@code dir/module}, in order; empty when it cannot be read. */
  static List<String> of(Path dir, String module) {
    Set<String> out = new LinkedHashSet<>();
    collect(dir, module.endsWith(".tla") ? module : module + ".tla", out, new LinkedHashSet<>());
    return List.copyOf(out);
  }

  private static void collect(Path dir, String file, Set<String> out, Set<String> visited) {
    if (!visited.add(file)) return;
    String text;
    try {
      text = Files.readString(dir.resolve(file));
    } catch (IOException e) {
      return;
    }
    Matcher ext = EXTENDS.matcher(text);
    if (ext.find()) {
      for (String m : ext.group(1).split(",")) {
        String name = m.strip();
        if (Files.isRegularFile(dir.resolve(name + ".tla"))) collect(dir, name + ".tla", out, visited);
      }
    }
    Matcher decl = DECL.matcher(text);
    while (decl.find()) {
      // identifiers up to the first blank line, skipping \* comments
      int end = text.indexOf("\n\n", decl.end());
      String block = text.substring(decl.end(), end < 0 ? text.length() : end);
      for (String line : block.split("\n")) {
        int c = line.indexOf("\\*");
        String code = c >= 0 ? line.substring(0, c) : line;
        Matcher id = IDENT.matcher(code);
        while (id.find()) out.add(id.group());
      }
    }
  }

  /** The trace with each state's variables reordered by {@code order} (others after, as they were). */
  static List<TraceState> reorder(List<TraceState> trace, List<String> order) {
    if (order.isEmpty()) return trace;
    List<TraceState> out = new ArrayList<>();
    for (TraceState s : trace) {
      Map<String, String> vars = new LinkedHashMap<>();
      for (String v : order) if (s.vars().containsKey(v)) vars.put(v, s.vars().get(v));
      s.vars().forEach(vars::putIfAbsent);
      out.add(new TraceState(s.number(), s.action(), s.kind(), vars));
    }
    return out;
  }
}
