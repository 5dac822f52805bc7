package io.deliverycheck.checker.history;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/**
 * Writes a history as JSON Lines, one {@link Op} per line (gzip when the file name ends in
 * {@code .gz}). Not thread-safe: {@link Recorder} serialises writers. Fields are written in the
 * order index, time, process, type, f, value, node, error; node and error only when not null.
 */
public final class HistoryWriter implements Closeable {
  static final ObjectMapper MAPPER = new ObjectMapper();

  private final OutputStream out;
  private final JsonGenerator gen;

  private HistoryWriter(OutputStream out) throws IOException {
    this.out = out;
    this.gen = MAPPER.getFactory().createGenerator(out);
    gen.setRootValueSeparator(null);
    gen.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
  }

  /** Creates (or truncates) {@code file}; gzip when its name ends in {@code .gz}. */
  public static HistoryWriter open(Path file) throws IOException {
    OutputStream os = Files.newOutputStream(file);
    if (file.getFileName().toString().endsWith(".gz")) {
      // syncFlush: flush() pushes every complete line through the deflater, so a killed writer
      // leaves a file readable up to its last flushed line.
      os = new GZIPOutputStream(os, 1 << 16, true);
    }
    return new HistoryWriter(new BufferedOutputStream(os, 1 << 16));
  }

  /** Appends {@code op} as one line (buffered; see {@link #flush()}). */
  public void write(Op op) {
    try {
      gen.writeStartObject();
      gen.writeNumberField("index", op.index());
      gen.writeNumberField("time", op.time());
      gen.writeStringField("process", op.process());
      gen.writeStringField("type", op.type().wire());
      gen.writeStringField("f", op.f());
      gen.writeFieldName("value");
      MAPPER.writeTree(gen, op.value());
      if (op.node() != null) {
        gen.writeStringField("node", op.node());
      }
      if (op.error() != null) {
        gen.writeStringField("error", op.error());
      }
      gen.writeEndObject();
      gen.writeRaw('\n');
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Pushes every line written so far to the file (through the compressor for {@code .gz}). */
  public void flush() {
    try {
      gen.flush();
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() throws IOException {
    gen.close();
    out.close();
  }
}
