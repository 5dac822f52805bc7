package io.deliverycheck.node;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;

/** One line per record: ISO time, level, logger, message (a thrown exception follows on its lines). */
final class LineFormatter extends Formatter {
  @Override
  public String format(LogRecord r) {
    StringBuilder b = new StringBuilder(160);
    b.append(Instant.ofEpochMilli(r.getMillis())).append(' ').append(r.getLevel().getName()).append(' ')
        .append(r.getLoggerName()).append(": ").append(formatMessage(r)).append('\n');
    if (r.getThrown() != null) {
      StringWriter w = new StringWriter();
      r.getThrown().printStackTrace(new PrintWriter(w));
      b.append(w);
    }
    return b.toString();
  }
}
