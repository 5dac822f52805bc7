package io.deliverycheck.checker.edn;

import com.fasterxml.jackson.databind.JsonNode;
import io.deliverycheck.checker.history.HistoryFormatException;
import io.deliverycheck.checker.history.HistoryReader;
import io.deliverycheck.checker.history.Op;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Writes a history as Jepsen-style EDN, one op map per line (as Jepsen's history.edn), so Jepsen
 * and Elle tooling can read it:
 * <pre>{:index 0, :time 12, :type :invoke, :process 3, :f :send, :value {:id "m17", :key "k17", :from "u1", :to ["u2"], :attempt 1}, :node "n1"}</pre>
 * Types and f are keywords; a client process {@code cN} becomes the integer N (Jepsen's worker
 * processes), {@code nemesis} the keyword {@code :nemesis}, any other process (devices
 * {@code d:u7/phone}, {@code harness}) stays a string; values are EDN maps whose keys are
 * keywords when they are valid keyword names, else strings; strings stay strings. The mapping is
 * documented in docs/reports.md and inverted exactly by {@link EdnHistoryReader}.
 */
public final class EdnHistoryWriter {
  private static final Pattern KEYWORD = Pattern.compile("[A-Za-z*!_?<>=][A-Za-z0-9*+!_?<>=.-]*");

  private EdnHistoryWriter() {}

  /**
   * Exports a JSONL history (read strictly by {@link HistoryReader}) to {@code out}.
   *
   * @param progress called after each op with the number of ops written so far (may be null)
   * @return the number of ops written
   */
  public static long export(Path history, Writer out, java.util.function.LongConsumer progress)
      throws IOException, HistoryFormatException {
    long n = 0;
    try (HistoryReader r = HistoryReader.open(history)) {
      Op op;
      StringBuilder b = new StringBuilder(256);
      while ((op = r.next()) != null) {
        b.setLength(0);
        append(b, op);
        b.append('\n');
        out.write(b.toString());
        n++;
        if (progress != null) progress.accept(n);
      }
    }
    out.flush();
    return n;
  }

  /** One op as an EDN map. */
  public static String edn(Op op) {
    StringBuilder b = new StringBuilder(256);
    append(b, op);
    return b.toString();
  }

  private static void append(StringBuilder b, Op op) {
    b.append("{:index ").append(op.index()).append(", :time ").append(op.time()).append(", :type :")
        .append(op.type().wire()).append(", :process ");
    String p = op.process();
    if (EdnHistoryReader.isClient(p)) b.append(p, 1, p.length());
    else if (p.equals("nemesis")) b.append(":nemesis");
    else string(b, p);
    b.append(", :f ");
    if (KEYWORD.matcher(op.f()).matches()) b.append(':').append(op.f());
    else string(b, op.f());
    b.append(", :value ");
    value(b, op.value());
    if (op.node() != null) string(b.append(", :node "), op.node());
    if (op.error() != null) string(b.append(", :error "), op.error());
    b.append('}');
  }

  /** A JSON value as EDN text. */
  static String edn(JsonNode v) {
    StringBuilder b = new StringBuilder();
    value(b, v);
    return b.toString();
  }

  private static void value(StringBuilder b, JsonNode v) {
    if (v == null || v.isNull() || v.isMissingNode()) {
      b.append("nil");
    } else if (v.isObject()) {
      b.append('{');
      Iterator<Map.Entry<String, JsonNode>> it = v.fields();
      boolean first = true;
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        if (!first) b.append(", ");
        first = false;
        if (KEYWORD.matcher(e.getKey()).matches()) b.append(':').append(e.getKey());
        else string(b, e.getKey());
        b.append(' ');
        value(b, e.getValue());
      }
      b.append('}');
    } else if (v.isArray()) {
      b.append('[');
      for (int i = 0; i < v.size(); i++) {
        if (i > 0) b.append(' ');
        value(b, v.get(i));
      }
      b.append(']');
    } else if (v.isTextual()) {
      string(b, v.asText());
    } else if (v.isBigInteger()) {
      b.append(v.bigIntegerValue()).append('N');
    } else if (v.isBigDecimal()) {
      b.append(v.decimalValue().toPlainString()).append('M');
    } else if (v.isFloatingPointNumber()) {
      String d = Double.toString(v.doubleValue());
      b.append(d.contains(".") || d.contains("E") ? d : d + ".0");
    } else {
      b.append(v.asText()); // integers, booleans
    }
  }

  private static void string(StringBuilder b, String s) {
    b.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
          else b.append(c);
        }
      }
    }
    b.append('"');
  }
}
