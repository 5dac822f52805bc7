package io.deliverycheck.checker.edn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.edn.EdnParser.EdnSyntaxException;
import io.deliverycheck.checker.edn.EdnParser.Keyword;
import io.deliverycheck.checker.edn.EdnParser.Symbol;
import io.deliverycheck.checker.edn.EdnParser.Tagged;
import io.deliverycheck.checker.history.HistoryFormatException;
import io.deliverycheck.checker.history.Op;
import io.deliverycheck.checker.history.OpType;
import io.deliverycheck.checker.history.Pairing;
import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * Reads a Jepsen-style EDN history into Contract 1 {@link Op}s, one at a time (streaming), with
 * the same rules as {@link io.deliverycheck.checker.history.HistoryReader} and errors as
 * {@code FILE:LINE: problem} ({@link HistoryFormatException}). The mapping is docs/reports.md's
 * "EDN" section, the inverse of {@link EdnHistoryWriter}:
 *
 * <ul>
 *   <li>the file is a sequence of op maps (Jepsen's history.edn, one per line) or one vector of
 *       them; a map may be tagged ({@code #jepsen.history.Op{...}}); gzip when the name ends in .gz;
 *   <li>{@code :index} (optional: when absent, ops are numbered 0, 1, ... in file order; when
 *       present it must be exactly that), {@code :time} (integer ns, required), {@code :type}
 *       ({@code :invoke :ok :fail :info}), {@code :process} (an integer N is the client
 *       {@code "cN"}, a keyword its name, e.g. {@code :nemesis}, a string as is), {@code :f} (a
 *       keyword or string), {@code :value} (a map, or nil for an empty one), {@code :node} and
 *       {@code :error} optional; other keys are ignored;
 *   <li>inside values: keywords become strings (map keys too), vectors, lists and sets arrays,
 *       integers that fit an int become JSON ints (as a JSON history reads), nil null.
 * </ul>
 */
public final class EdnHistoryReader implements Closeable {
  private static final JsonNodeFactory NF = JsonNodeFactory.instance;
  private static final Pattern CLIENT = Pattern.compile("c(0|[1-9][0-9]*)");

  private final Path file;
  private final BufferedReader in;
  private final EdnParser parser;
  private boolean inVector;
  private boolean started;
  private long nextIndex;
  private final Pairing.Named pairing = new Pairing.Named();
  private long line;

  private EdnHistoryReader(Path file, BufferedReader in) {
    this.file = file;
    this.in = in;
    this.parser = new EdnParser(in);
  }

  /**
   * Opens an EDN history (gzip when the name ends in {@code .gz}).
   *
   * @throws HistoryFormatException (line 0) when the file is missing or cannot be opened
   */
  public static EdnHistoryReader open(Path file) throws HistoryFormatException {
    try {
      InputStream raw = Files.newInputStream(file);
      InputStream s = file.getFileName().toString().endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw;
      return new EdnHistoryReader(file, new BufferedReader(new InputStreamReader(s, StandardCharsets.UTF_8), 1 << 16));
    } catch (NoSuchFileException e) {
      throw new HistoryFormatException(file, 0, "no such file");
    } catch (IOException e) {
      throw new HistoryFormatException(file, 0, "cannot open: " + e.getMessage());
    }
  }

  /**
   * Checks an EDN history as {@link io.deliverycheck.checker.DeliveryChecker#check} checks a JSONL
   * one: the same verdict for the same ops. A broken delivery-op rule is reported at the op's line;
   * earlier ops it refers to are named by index.
   */
  public static io.deliverycheck.checker.CheckResult check(Path file, io.deliverycheck.checker.Guarantee g)
      throws IOException, HistoryFormatException {
    return check(file, io.deliverycheck.checker.GuaranteeChoice.explicit(g, "explicit"));
  }

  /** {@link #check(Path, io.deliverycheck.checker.Guarantee)} with the guarantee {@code choice} resolves. */
  public static io.deliverycheck.checker.CheckResult check(Path file, io.deliverycheck.checker.GuaranteeChoice choice)
      throws IOException, HistoryFormatException {
    io.deliverycheck.checker.DeliveryChecker c = new io.deliverycheck.checker.DeliveryChecker(choice);
    c.nameOpsByIndex();
    try (EdnHistoryReader r = open(file)) {
      for (Op op; (op = r.next()) != null; ) {
        try {
          c.accept(op);
        } catch (IllegalArgumentException e) {
          throw new HistoryFormatException(file, r.line(), e.getMessage());
        }
      }
    }
    return c.finish();
  }

  /** True for a path whose name says EDN: {@code .edn} or {@code .edn.gz}. */
  public static boolean isEdn(Path file) {
    String n = file.getFileName().toString();
    return n.endsWith(".edn") || n.endsWith(".edn.gz");
  }

  /** The 1-based line where the last op returned began. */
  public long line() {
    return line;
  }

  /** The next op, or {@code null} at the end of the history. */
  public Op next() throws HistoryFormatException {
    try {
      if (!started) {
        started = true;
        if (parser.skipSpace() == '[') {
          parser.consume();
          inVector = true;
        }
      }
      parser.skipSpace();
      line = parser.line();
      Object form = parser.read();
      if (form == EdnParser.endMarker()) {
        if (inVector) throw error("end of file inside the history's opening vector '['");
        return null;
      }
      return op(form);
    } catch (EdnSyntaxException e) {
      if (inVector && e.getMessage().equals("unexpected ']'")) return endOfVector();
      throw new HistoryFormatException(file, e.line, e.getMessage());
    } catch (IOException e) {
      throw new HistoryFormatException(file, parser.line(), "cannot read: " + e.getMessage());
    }
  }

  private Op endOfVector() throws HistoryFormatException {
    inVector = false;
    try {
      if (parser.skipSpace() != -1) throw error("text after the history's closing ']'");
    } catch (IOException e) {
      throw new HistoryFormatException(file, parser.line(), "cannot read: " + e.getMessage());
    }
    return null;
  }

  private HistoryFormatException error(String problem) {
    return new HistoryFormatException(file, line, problem);
  }

  private Op op(Object form) throws HistoryFormatException {
    if (form instanceof Tagged t) form = t.value();
    if (!(form instanceof Map<?, ?> m)) {
      throw error("expected an op map like {:type :invoke, :f :send, ...}, found " + describe(form));
    }
    Object idx = get(m, "index");
    long index;
    if (idx == null) index = nextIndex;
    else {
      index = integer(idx, "index");
      if (index != nextIndex) {
        throw error("index " + index + " where " + nextIndex + " was expected (indexes count from 0 without gaps)");
      }
    }
    nextIndex++;
    Object time = get(m, "time");
    if (time == null) throw error("missing :time (integer nanoseconds since the test began)");
    long t = integer(time, "time");
    if (t < 0) throw error(":time must not be negative, found " + t);
    OpType type;
    try {
      type = OpType.parse(name(required(m, "type"), "type"));
    } catch (IllegalArgumentException e) {
      throw error(e.getMessage());
    }
    String process = process(required(m, "process"));
    String f = name(required(m, "f"), "f");
    Object v = get(m, "value");
    ObjectNode value;
    if (v == null) value = NF.objectNode();
    else if (v instanceof Map<?, ?> vm) value = (ObjectNode) json(vm);
    else throw error(":value must be a map (or nil), found " + describe(v));
    Object node = get(m, "node");
    Object err = get(m, "error");
    try {
      pairing.apply(process, type, f, line);
    } catch (IllegalArgumentException e) {
      throw error(e.getMessage());
    }
    return new Op(index, t, process, type, f, value, node == null ? null : text(node),
        err == null ? null : text(err));
  }

  private static Object get(Map<?, ?> m, String key) {
    Object v = m.get(new Keyword(key));
    return v != null ? v : m.get(key);
  }

  private Object required(Map<?, ?> m, String key) throws HistoryFormatException {
    Object v = get(m, key);
    if (v == null) throw error("missing :" + key);
    return v;
  }

  private long integer(Object v, String field) throws HistoryFormatException {
    if (v instanceof Long l) return l;
    throw error(":" + field + " must be an integer, found " + describe(v));
  }

  private String name(Object v, String field) throws HistoryFormatException {
    if (v instanceof Keyword k) return k.name();
    if (v instanceof String s && !s.isEmpty()) return s;
    throw error(":" + field + " must be a keyword or a string, found " + describe(v));
  }

  private String process(Object v) throws HistoryFormatException {
    if (v instanceof Long n) {
      if (n < 0) throw error(":process must not be a negative integer, found " + n);
      return "c" + n;
    }
    if (v instanceof Keyword k) return k.name();
    if (v instanceof String s && !s.isEmpty()) return s;
    throw error(":process must be an integer, a keyword or a string, found " + describe(v));
  }

  private static String text(Object v) {
    if (v instanceof Keyword k) return k.name();
    if (v instanceof String s) return s;
    return EdnHistoryWriter.edn(json(v));
  }

  /** An EDN value as JSON, per the mapping above. */
  static JsonNode json(Object v) {
    if (v == null) return NF.nullNode();
    if (v instanceof Tagged t) return json(t.value());
    if (v instanceof Map<?, ?> m) {
      ObjectNode o = NF.objectNode();
      m.forEach((k, x) -> o.set(key(k), json(x)));
      return o;
    }
    if (v instanceof Collection<?> c) {
      ArrayNode a = NF.arrayNode();
      c.forEach(x -> a.add(json(x)));
      return a;
    }
    if (v instanceof Long l) return l == l.intValue() ? NF.numberNode(l.intValue()) : NF.numberNode(l);
    if (v instanceof BigInteger b) return NF.numberNode(b);
    if (v instanceof Double d) return NF.numberNode(d);
    if (v instanceof BigDecimal d) return NF.numberNode(d);
    if (v instanceof Boolean b) return NF.booleanNode(b);
    if (v instanceof Keyword k) return NF.textNode(k.name());
    if (v instanceof Symbol s) return NF.textNode(s.name());
    return NF.textNode(v.toString()); // String, Character
  }

  private static String key(Object k) {
    if (k instanceof Keyword kw) return kw.name();
    if (k instanceof String s) return s;
    if (k instanceof Symbol s) return s.name();
    return String.valueOf(json(k).isTextual() ? json(k).asText() : json(k).toString());
  }

  private static String describe(Object v) {
    if (v == null) return "nil";
    if (v instanceof Map) return "a map";
    if (v instanceof List) return "a vector";
    if (v instanceof Collection) return "a set";
    if (v instanceof String s) return "the string \"" + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "\"";
    if (v instanceof Keyword k) return "the keyword " + k;
    return v.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT) + " " + v;
  }

  /** Whether {@code process} is a Jepsen client number when exported ({@code c3} -> 3). */
  static boolean isClient(String process) {
    return CLIENT.matcher(process).matches() && process.length() < 19;
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
