package io.deliverycheck.checker.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

/** Small HTML helpers: escaping and compact value text. */
final class Html {
  private Html() {}

  /** Escapes text for HTML element content and quoted attribute values. */
  static String esc(String s) {
    if (s == null) return "";
    StringBuilder b = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '&' -> b.append("&amp;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }

  /** A JSON value as compact text (at most 300 characters), "" for null. */
  static String compact(JsonNode v) {
    if (v == null || v.isMissingNode() || v.isNull()) return "";
    String s = v.toString();
    return s.length() <= 300 ? s : s.substring(0, 297) + "...";
  }

  /** JSON text that is safe inside a {@code <script>} element. */
  static String scriptJson(Object value) {
    try {
      return RunFolder.JSON.writeValueAsString(value).replace("</", "<\\/").replace("<!--", "<\\!--");
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A stable anchor for a message id's story. */
  static String anchor(String id) {
    StringBuilder b = new StringBuilder("story-");
    for (char c : id.toCharArray()) b.append(Character.isLetterOrDigit(c) || c == '-' || c == '_' ? c : '_');
    return b.toString();
  }

  /** Milliseconds with 3 decimals from nanoseconds. */
  static String ms(long ns) {
    return String.format(java.util.Locale.ROOT, "%.3f", ns / 1e6);
  }
}
