package io.deliverycheck.checker.history;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Reads a history one {@link Op} at a time, with strict validation (docs/history-format.md):
 * bad JSON, a missing or wrongly typed field, an index gap, a completion without its invocation,
 * a second open operation of one process, an unknown type, a truncated last line. The first
 * problem is thrown as a {@link HistoryFormatException} naming the file and line; nothing is
 * skipped or guessed. Streaming: memory does not grow with the file.
 */
public final class HistoryReader implements Closeable {
  private final LineScanner scanner;
  private final Pairing.Named pairing = new Pairing.Named();

  private HistoryReader(LineScanner scanner) {
    this.scanner = scanner;
  }

  /**
   * Opens {@code file} (gzip when its name ends in {@code .gz}).
   *
   * @throws HistoryFormatException (line 0) when the file is missing or cannot be opened
   */
  public static HistoryReader open(Path file) throws HistoryFormatException {
    return new HistoryReader(LineScanner.open(file));
  }

  /** The next op, or {@code null} at the end of the file. */
  public Op next() throws HistoryFormatException {
    LineScanner s = scanner;
    if (!s.advance()) {
      return null;
    }
    JsonParser p = s.parser();
    long index = -1;
    long time = -1;
    String process = null;
    String type = null;
    String f = null;
    ObjectNode value = null;
    String node = null;
    String error = null;
    try {
      JsonToken t;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        t = p.nextToken();
        switch (name) {
          case "index": s.checkFirst(index != -1, name); index = s.longField(t, name); break;
          case "time": s.checkFirst(time != -1, name); time = s.longField(t, name); break;
          case "process": s.checkFirst(process != null, name); process = s.stringField(t, name); break;
          case "type": s.checkFirst(type != null, name); type = s.stringField(t, name); break;
          case "f": s.checkFirst(f != null, name); f = s.stringField(t, name); break;
          case "value":
            s.checkFirst(value != null, name);
            if (t != JsonToken.START_OBJECT) {
              throw s.error("field \"value\" must be an object, found " + LineScanner.describe(t));
            }
            value = p.readValueAsTree();
            break;
          case "node": s.checkFirst(node != null, name); node = s.optionalString(t, name); break;
          case "error": s.checkFirst(error != null, name); error = s.optionalString(t, name); break;
          default: p.skipChildren(); break; // unknown fields are allowed (later versions may add some)
        }
      }
    } catch (IOException e) {
      throw s.jsonError(e);
    }
    s.endOfObject();
    s.require(index != -1, "index");
    s.require(time != -1, "time");
    s.require(process != null, "process");
    s.require(type != null, "type");
    s.require(f != null, "f");
    s.require(value != null, "value");
    s.checkIndex(index);
    OpType opType = s.type(type);
    try {
      pairing.apply(process, opType, f, s.line());
    } catch (IllegalArgumentException e) {
      throw s.error(e.getMessage());
    }
    return new Op(index, time, process, opType, f, value, node, error);
  }

  /** The line number of the last op returned. */
  public long line() {
    return scanner.line();
  }

  @Override
  public void close() throws IOException {
    scanner.close();
  }
}
