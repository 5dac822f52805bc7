package io.deliverycheck.checker.edn;

import java.io.IOException;
import java.io.Reader;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A small, strict reader of EDN (https://github.com/edn-format/edn), enough for Jepsen histories:
 * maps, vectors, lists, sets, keywords, symbols, strings, characters, integers (with an optional
 * {@code N}), floats (with an optional {@code M}), {@code nil}, booleans, comments, {@code #_}
 * discards and tagged values ({@code #jepsen.history.Op{...}}, {@code #inst "..."}).
 *
 * <p>Values come back as plain Java: {@link Map} (insertion ordered), {@link List} for vectors and
 * lists, {@link Set}, {@link Keyword}, {@link Symbol}, {@link String}, {@link Long} or
 * {@link BigInteger}, {@link Double} or {@link BigDecimal}, {@link Boolean}, {@link Character},
 * {@link Tagged}, and {@code null} for nil. Errors name the line: {@link EdnSyntaxException}.
 *
 * <p>Hand-written because the EDN libraries on Maven Central are either unmaintained (edn-java's
 * last release is years old) or bring the whole Clojure runtime; this file is the whole grammar.
 */
final class EdnParser {
  /** A keyword, {@code :ns/name} or {@code :name}. */
  record Keyword(String name) {
    @Override
    public String toString() {
      return ":" + name;
    }
  }

  /** A symbol other than nil, true and false. */
  record Symbol(String name) {
    @Override
    public String toString() {
      return name;
    }
  }

  /** A tagged value {@code #tag value}. */
  record Tagged(String tag, Object value) {}

  /** Malformed EDN at a line. */
  static final class EdnSyntaxException extends Exception {
    final long line;

    EdnSyntaxException(long line, String problem) {
      super(problem, null, false, false);
      this.line = line;
    }
  }

  private static final Object END = new Object(); // a closing delimiter or the end of input
  private final Reader in;
  private int peeked = -2;
  private long line = 1;
  private int closer; // the closing delimiter last read when END is returned

  EdnParser(Reader in) {
    this.in = in;
  }

  /** The current 1-based line. */
  long line() {
    return line;
  }

  private int peek() throws IOException {
    if (peeked == -2) peeked = in.read();
    return peeked;
  }

  private int next() throws IOException {
    int c = peek();
    peeked = -2;
    if (c == '\n') line++;
    return c;
  }

  /** Skips whitespace, commas and comments; returns the next character without consuming it (-1 at end). */
  int skipSpace() throws IOException {
    while (true) {
      int c = peek();
      if (c == ';') {
        while (c != -1 && c != '\n') {
          next();
          c = peek();
        }
      } else if (c == ',' || (c != -1 && Character.isWhitespace(c))) {
        next();
      } else {
        return c;
      }
    }
  }

  /** Consumes one character, which the caller has peeked. */
  void consume() throws IOException {
    next();
  }

  /**
   * Reads the next form.
   *
   * @return the value, or {@link #endMarker()} at the end of input
   */
  Object read() throws IOException, EdnSyntaxException {
    Object v = readForm();
    if (v == END && closer != -1) throw new EdnSyntaxException(line, "unexpected '" + (char) closer + "'");
    return v;
  }

  static Object endMarker() {
    return END;
  }

  /** Reads one form, or END at a closing delimiter (left in {@link #closer}) or at the end of input. */
  private Object readForm() throws IOException, EdnSyntaxException {
    int c = skipSpace();
    if (c == -1) {
      closer = -1;
      return END;
    }
    switch (c) {
      case ')', ']', '}' -> {
        next();
        closer = c;
        return END;
      }
      case '{' -> {
        next();
        return readMap();
      }
      case '[' -> {
        next();
        return readSeq(']');
      }
      case '(' -> {
        next();
        return readSeq(')');
      }
      case '"' -> {
        next();
        return readString();
      }
      case '\\' -> {
        next();
        return readChar();
      }
      case '#' -> {
        next();
        return readDispatch();
      }
      case ':' -> {
        next();
        String name = token();
        if (name.isEmpty() || name.startsWith(":")) throw new EdnSyntaxException(line, "bad keyword \":" + name + "\"");
        return new Keyword(name);
      }
      default -> {
        return atom(token());
      }
    }
  }

  private Map<Object, Object> readMap() throws IOException, EdnSyntaxException {
    long start = line;
    Map<Object, Object> m = new LinkedHashMap<>();
    while (true) {
      Object k = readForm();
      if (k == END) {
        expectCloser('}', start, "map");
        return m;
      }
      Object v = readForm();
      if (v == END) {
        if (closer == '}') throw new EdnSyntaxException(line, "map has a key (" + k + ") without a value");
        expectCloser('}', start, "map");
      }
      if (m.containsKey(k)) throw new EdnSyntaxException(line, "duplicate map key " + k);
      m.put(k, v);
    }
  }

  private List<Object> readSeq(char close) throws IOException, EdnSyntaxException {
    long start = line;
    List<Object> l = new ArrayList<>();
    while (true) {
      Object v = readForm();
      if (v == END) {
        expectCloser(close, start, close == ']' ? "vector" : "list");
        return l;
      }
      l.add(v);
    }
  }

  private void expectCloser(char close, long start, String what) throws EdnSyntaxException {
    if (closer == -1) throw new EdnSyntaxException(line, "end of file inside the " + what + " opened on line " + start);
    if (closer != close) {
      throw new EdnSyntaxException(line, "'" + (char) closer + "' closes the " + what + " opened on line " + start
          + " (expected '" + close + "')");
    }
  }

  private Object readDispatch() throws IOException, EdnSyntaxException {
    int c = peek();
    if (c == '{') {
      next();
      long start = line;
      Set<Object> s = new LinkedHashSet<>();
      while (true) {
        Object v = readForm();
        if (v == END) {
          expectCloser('}', start, "set");
          return s;
        }
        if (!s.add(v)) throw new EdnSyntaxException(line, "duplicate set element " + v);
      }
    }
    if (c == '_') {
      next();
      Object discarded = readForm();
      if (discarded == END) throw new EdnSyntaxException(line, "#_ discards nothing");
      return readForm();
    }
    String tag = token();
    if (tag.isEmpty() || !Character.isLetter(tag.charAt(0))) {
      throw new EdnSyntaxException(line, "unsupported dispatch \"#" + (c == -1 ? "" : String.valueOf((char) c)) + "\"");
    }
    Object v = readForm();
    if (v == END) throw new EdnSyntaxException(line, "tag #" + tag + " without a value");
    return new Tagged(tag, v);
  }

  private String readString() throws IOException, EdnSyntaxException {
    long start = line;
    StringBuilder b = new StringBuilder();
    while (true) {
      int c = next();
      if (c == -1) throw new EdnSyntaxException(line, "end of file inside the string opened on line " + start);
      if (c == '"') return b.toString();
      if (c != '\\') {
        b.append((char) c);
        continue;
      }
      int e = next();
      switch (e) {
        case 't' -> b.append('\t');
        case 'r' -> b.append('\r');
        case 'n' -> b.append('\n');
        case 'b' -> b.append('\b');
        case 'f' -> b.append('\f');
        case '\\' -> b.append('\\');
        case '"' -> b.append('"');
        case 'u' -> {
          char[] hex = new char[4];
          for (int i = 0; i < 4; i++) hex[i] = (char) next();
          try {
            b.append((char) Integer.parseInt(new String(hex), 16));
          } catch (NumberFormatException x) {
            throw new EdnSyntaxException(line, "bad \\u escape \"\\u" + new String(hex) + "\" in a string");
          }
        }
        default -> throw new EdnSyntaxException(line, "bad escape \"\\" + (e == -1 ? "" : String.valueOf((char) e)) + "\" in a string");
      }
    }
  }

  private Object readChar() throws IOException, EdnSyntaxException {
    int first = next();
    if (first == -1) throw new EdnSyntaxException(line, "end of file after \\");
    String rest = token();
    String t = (char) first + rest;
    if (t.length() == 1) return t.charAt(0);
    switch (t) {
      case "newline": return '\n';
      case "return": return '\r';
      case "space": return ' ';
      case "tab": return '\t';
      default:
        if (t.startsWith("u") && t.length() == 5) {
          try {
            return (char) Integer.parseInt(t.substring(1), 16);
          } catch (NumberFormatException e) {
            // fall through to the error
          }
        }
        throw new EdnSyntaxException(line, "bad character literal \\" + t);
    }
  }

  private static boolean delimiter(int c) {
    return c == -1 || c == ',' || Character.isWhitespace(c) || "()[]{}\";".indexOf(c) >= 0;
  }

  private String token() throws IOException {
    StringBuilder b = new StringBuilder();
    while (!delimiter(peek())) b.append((char) next());
    return b.toString();
  }

  private Object atom(String t) throws EdnSyntaxException {
    if (t.isEmpty()) throw new EdnSyntaxException(line, "unexpected character '" + (char) peekQuiet() + "'");
    switch (t) {
      case "nil": return null;
      case "true": return Boolean.TRUE;
      case "false": return Boolean.FALSE;
      default: break;
    }
    char c0 = t.charAt(0);
    boolean numeric = Character.isDigit(c0) || ((c0 == '-' || c0 == '+') && t.length() > 1 && Character.isDigit(t.charAt(1)));
    if (!numeric) return new Symbol(t);
    try {
      if (t.endsWith("N")) return new BigInteger(t.substring(0, t.length() - 1).replace("+", ""));
      if (t.endsWith("M")) return new BigDecimal(t.substring(0, t.length() - 1));
      if (t.contains(".") || t.contains("e") || t.contains("E")) return Double.parseDouble(t);
      BigInteger big = new BigInteger(t.startsWith("+") ? t.substring(1) : t);
      return big.bitLength() < 64 ? (Object) big.longValue() : big;
    } catch (NumberFormatException e) {
      throw new EdnSyntaxException(line, "bad number \"" + t + "\"");
    }
  }

  private int peekQuiet() {
    try {
      return peek();
    } catch (IOException e) {
      return '?';
    }
  }
}
