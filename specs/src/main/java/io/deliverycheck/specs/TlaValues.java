package io.deliverycheck.specs;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads just enough of TLC's printed values to diff functions entry by entry. */
final class TlaValues {
  private TlaValues() {}

  /**
   * The entries of a printed TLC function {@code (k1 :> v1 @@ k2 :> v2)} in order, or null
   * when the text is not such a function.
   */
  static Map<String, String> function(String value) {
    String v = value.strip();
    if (!v.startsWith("(") || !v.endsWith(")")) return null;
    String body = v.substring(1, v.length() - 1).strip();
    Map<String, String> out = new LinkedHashMap<>();
    for (String entry : splitTopLevel(body, " @@ ")) {
      List<String> kv = splitTopLevel(entry, " :> ");
      if (kv.size() != 2) return null;
      out.put(kv.get(0).strip(), kv.get(1).strip());
    }
    return out;
  }

  /** Splits on a separator that is not inside brackets, braces, parentheses or a string. */
  static List<String> splitTopLevel(String s, String sep) {
    List<String> parts = new ArrayList<>();
    int depth = 0;
    boolean str = false;
    int from = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (str) {
        if (c == '\\') i++;
        else if (c == '"') str = false;
        continue;
      }
      switch (c) {
        case '"' -> str = true;
        case '(', '[', '{' -> depth++;
        case ')', ']', '}' -> depth--;
        default -> {
          if (c == '<' && s.startsWith("<<", i)) {
            depth++;
            i++;
          } else if (c == '>' && s.startsWith(">>", i)) {
            depth--;
            i++;
          } else if (depth == 0 && s.startsWith(sep, i)) {
            parts.add(s.substring(from, i));
            i += sep.length() - 1;
            from = i + 1;
          }
        }
      }
    }
    parts.add(s.substring(from));
    return parts;
  }
}
