package io.deliverycheck.checker.history;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.IOContext;
import com.fasterxml.jackson.core.io.JsonEOFException;
import com.fasterxml.jackson.core.json.UTF8StreamJsonParser;
import com.fasterxml.jackson.databind.MappingJsonFactory;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * The line-level half of reading a history, shared by {@link HistoryReader} and the checker's fast
 * path so that both accept and reject exactly the same files: one streaming Jackson parser over
 * the whole file, one JSON object per line (no empty lines, no two ops on one line, no op spread
 * over lines), the index sequence, the type names and the messages of every error. Internal API.
 */
public final class LineScanner implements Closeable {
  private static final Factory FACTORY = new Factory();

  /**
   * Jackson's factory (with a codec: values as trees) that can also start a parser mid-file, on
   * bytes already read, without the encoding detection that only the start of a file needs.
   */
  private static final class Factory extends MappingJsonFactory {
    private static final long serialVersionUID = 1L;

    Factory() {
      super();
      setCodec(new ObjectMapper(this));
    }

    JsonParser over(byte[] buf, int start, int end, InputStream rest) {
      IOContext ctxt = _createContext(_createContentReference(rest == null ? buf : rest), false);
      ctxt.setEncoding(JsonEncoding.UTF8);
      return new UTF8StreamJsonParser(ctxt, _parserFeatures, rest, _objectCodec,
          _byteSymbolCanonicalizer.makeChild(_factoryFeatures), buf, start, end, false);
    }
  }

  private final Path file;
  private final InputStream in;
  private final JsonParser parser;
  private long line;
  private long nextIndex;
  private boolean inOp; // the parser is inside the op that started on `line`
  private final long lineBase; // lines before the parser's first line (a reader resumed mid-file)

  private LineScanner(Path file, InputStream in, JsonParser parser, long lineBase, long nextIndex) {
    this.file = file;
    this.in = in;
    this.parser = parser;
    this.lineBase = lineBase;
    this.line = lineBase;
    this.nextIndex = nextIndex;
  }

  /** Opens {@code file} (gzip when the name ends in {@code .gz}); line 0 errors when it cannot. */
  public static LineScanner open(Path file) throws HistoryFormatException {
    return fromStart(file, openStream(file, true));
  }

  /**
   * A scanner over {@code in}, the whole content of {@code file} from its first byte (as
   * {@link #open} reads it, so with the same errors when the first bytes cannot be read).
   */
  public static LineScanner fromStart(Path file, InputStream in) throws HistoryFormatException {
    try {
      return new LineScanner(file, in, FACTORY.createParser(in), 0, 0); // reads the first bytes
    } catch (IOException e) {
      closeQuietly(in);
      throw openError(file, e);
    }
  }

  /**
   * Continues reading a history whose first {@code linesDone} lines (holding the ops
   * {@code 0 .. nextIndex-1}) were read by another reader: the bytes from the first of line
   * {@code linesDone + 1} on are {@code buf[start, end)} then {@code rest}. Line numbers, the index
   * sequence and every error message are those of a scanner that read the whole file from its
   * start (the parser starts in UTF-8 without looking for a byte-order mark, as it is mid-file).
   * {@code buf} becomes the parser's buffer. Closing it closes {@code rest}.
   */
  public static LineScanner resume(Path file, byte[] buf, int start, int end, InputStream rest, long linesDone,
      long nextIndex) {
    return new LineScanner(file, rest, FACTORY.over(buf, start, end, rest), linesDone, nextIndex);
  }

  /**
   * A scanner over one line alone, {@code buf[off, off+len)} without its newline, which is line
   * {@code lineNr} of {@code file} and must hold the op with index {@code nextIndex}. Its errors
   * name that line; {@link #atEnd()} says whether nothing follows the op on the line.
   */
  public static LineScanner forLine(Path file, byte[] buf, int off, int len, long lineNr, long nextIndex) {
    return new LineScanner(file, InputStream.nullInputStream(), FACTORY.over(buf, off, off + len, null), lineNr - 1,
        nextIndex);
  }

  /** True when the parser, after an op's END_OBJECT, finds nothing but whitespace up to the end of its input. */
  public boolean atEnd() {
    try {
      return parser.nextToken() == null;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Opens {@code file} as bytes (inflated when the name ends in {@code .gz}; buffered when
   * {@code buffered}); line 0 errors when it cannot.
   */
  public static InputStream openStream(Path file, boolean buffered) throws HistoryFormatException {
    InputStream in = null;
    try {
      if (Files.isDirectory(file)) {
        throw new HistoryFormatException(file, 0, "is a directory, not a history file");
      }
      in = Files.newInputStream(file);
      if (file.getFileName().toString().endsWith(".gz")) {
        in = new GZIPInputStream(in, 1 << 16);
      } else if (buffered) {
        in = new BufferedInputStream(in, 1 << 16);
      }
      return in;
    } catch (IOException e) {
      closeQuietly(in);
      throw openError(file, e);
    }
  }

  private static HistoryFormatException openError(Path file, IOException e) {
    if (e instanceof NoSuchFileException) {
      return new HistoryFormatException(file, 0, "no such file");
    }
    if (e instanceof AccessDeniedException) {
      return new HistoryFormatException(file, 0, "permission denied");
    }
    if (e instanceof ZipException) {
      return new HistoryFormatException(file, 0, "not a gzip file (the name ends in .gz): " + e.getMessage());
    }
    if (e instanceof EOFException) {
      return new HistoryFormatException(file, 0, "empty or truncated gzip file");
    }
    return new HistoryFormatException(file, 0, "cannot read: " + e);
  }

  private static void closeQuietly(Closeable c) {
    if (c != null) {
      try {
        c.close();
      } catch (IOException ignored) {
        // already failing
      }
    }
  }

  public Path file() {
    return file;
  }

  public JsonParser parser() {
    return parser;
  }

  /** The line of the current op (1-based). */
  public long line() {
    return line;
  }

  /** The index the next op must have (the number of ops read so far). */
  public long nextIndex() {
    return nextIndex;
  }

  /**
   * Moves to the next op: the parser is left on its START_OBJECT.
   *
   * @return false at the end of the file
   */
  public boolean advance() throws HistoryFormatException {
    inOp = false;
    JsonToken t;
    try {
      t = parser.nextToken();
    } catch (IOException e) {
      throw jsonError(e);
    }
    if (t == null) {
      return false;
    }
    long at = lineBase + parser.currentTokenLocation().getLineNr();
    if (at == line) {
      throw error("two operations on one line (one operation per line)");
    }
    if (at > line + 1) {
      line++;
      throw error("empty line (one operation per line, no blank lines)");
    }
    line = at;
    inOp = true;
    if (t != JsonToken.START_OBJECT) {
      throw error("expected an operation (a JSON object), found " + describe(t));
    }
    return true;
  }

  /** Called with the parser on the op's END_OBJECT: the op must end on the line it started. */
  public void endOfObject() throws HistoryFormatException {
    if (lineBase + parser.currentTokenLocation().getLineNr() != line) {
      throw error("the operation spreads over several lines (one operation per line)");
    }
  }

  /** Checks the op's index against the gap-free sequence and counts it. */
  public void checkIndex(long index) throws HistoryFormatException {
    if (index != nextIndex) {
      throw error(index > nextIndex
          ? "index gap: expected index " + nextIndex + ", found " + index + " (indexes count from 0 with no gaps)"
          : "index out of order: expected index " + nextIndex + ", found " + index + " (indexes count from 0 with no gaps)");
    }
    nextIndex++;
  }

  /** Parses a type name. */
  public OpType type(String type) throws HistoryFormatException {
    try {
      return OpType.parse(type);
    } catch (IllegalArgumentException e) {
      throw error(e.getMessage());
    }
  }

  /** Throws unless {@code present}. */
  public void require(boolean present, String field) throws HistoryFormatException {
    if (!present) {
      throw error("missing field \"" + field + "\"");
    }
  }

  /** Throws when {@code seen}: a field given twice in one op. */
  public void checkFirst(boolean seen, String field) throws HistoryFormatException {
    if (seen) {
      throw error("field \"" + field + "\" given twice");
    }
  }

  /** A non-negative integer field. */
  public long longField(JsonToken t, String field) throws HistoryFormatException {
    try {
      if (t == JsonToken.VALUE_NUMBER_INT && parser.getNumberType() != JsonParser.NumberType.BIG_INTEGER) {
        long v = parser.getLongValue();
        if (v >= 0) {
          return v;
        }
      }
      throw error("field \"" + field + "\" must be a non-negative integer, found " + describe(t));
    } catch (HistoryFormatException e) {
      throw e;
    } catch (IOException e) {
      throw jsonError(e);
    }
  }

  /** A string field. */
  public String stringField(JsonToken t, String field) throws HistoryFormatException {
    if (t != JsonToken.VALUE_STRING) {
      throw error("field \"" + field + "\" must be a string, found " + describe(t));
    }
    try {
      return parser.getText();
    } catch (IOException e) {
      throw jsonError(e);
    }
  }

  /** An optional string field: null when JSON null. */
  public String optionalString(JsonToken t, String field) throws HistoryFormatException {
    return t == JsonToken.VALUE_NULL ? null : stringField(t, field);
  }

  /** A problem on the current line. */
  public HistoryFormatException error(String problem) {
    return new HistoryFormatException(file, line, problem);
  }

  /** A problem on the current line, for {@code subject} (e.g. "value.id"). */
  public HistoryFormatException fieldError(String subject, String expected, JsonToken found) {
    return error("field \"" + subject + "\" must be " + expected + ", found " + describe(found));
  }

  /** Turns a parser or stream exception into a history error with the right line. */
  public HistoryFormatException jsonError(IOException e) {
    if (e instanceof JsonProcessingException) {
      JsonLocation loc = ((JsonProcessingException) e).getLocation();
      long at = loc == null ? line : lineBase + loc.getLineNr();
      if (inOp && at > line) {
        // an op must fit on its line: the error shows up later, but the op's own line is wrong
        return new HistoryFormatException(file, line, "bad JSON: the operation does not end on its line ("
            + ((JsonProcessingException) e).getOriginalMessage().replace('\n', ' ') + " on line " + at + ")");
      }
      if (e instanceof JsonEOFException) {
        return new HistoryFormatException(file, at,
            "truncated last line: the file ends in the middle of an operation (was the recorder killed while writing?)");
      }
      return new HistoryFormatException(file, at, "bad JSON: "
          + ((JsonProcessingException) e).getOriginalMessage().replace('\n', ' '));
    }
    if (e instanceof EOFException) {
      return inOp
          ? new HistoryFormatException(file, line,
              "the compressed file ends abruptly in the middle of this line (was the recorder killed?)")
          : new HistoryFormatException(file, line + 1,
              "the compressed file ends abruptly after line " + line + " (was the recorder killed?)");
    }
    if (e instanceof ZipException) {
      return new HistoryFormatException(file, inOp ? line : line + 1,
          "the compressed data is corrupt here (" + e.getMessage() + ")");
    }
    return new HistoryFormatException(file, line, "cannot read: " + e);
  }

  /** A token in words, for error messages. */
  public static String describe(JsonToken t) {
    if (t == null) {
      return "the end of the file";
    }
    switch (t) {
      case START_OBJECT: return "an object";
      case START_ARRAY: return "an array";
      case VALUE_STRING: return "a string";
      case VALUE_NUMBER_INT: return "an integer";
      case VALUE_NUMBER_FLOAT: return "a decimal number";
      case VALUE_TRUE: case VALUE_FALSE: return "a boolean";
      case VALUE_NULL: return "null";
      default: return t.asString() == null ? t.name() : t.asString();
    }
  }

  @Override
  public void close() throws IOException {
    parser.close();
    in.close();
  }
}
