package io.deliverycheck.checker.runner;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Counts the faults active right now by following the nemesis ops appended to the history
 * (Contract 3 names): {@code start-X}/{@code stop-X}, {@code kill}/{@code restart},
 * {@code pause}/{@code resume}. Reads only what was appended since the last call; not
 * thread-safe (one progress thread calls it).
 */
final class FaultTracker {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Path history;
  private long offset;
  private final StringBuilder partial = new StringBuilder();
  private final Map<String, Integer> active = new HashMap<>();

  FaultTracker(Path history) {
    this.history = history;
  }

  /** Faults started and not yet stopped. */
  int active() {
    try {
      readNew();
    } catch (IOException e) {
      // progress only: keep the last count
    }
    return active.values().stream().mapToInt(Integer::intValue).sum();
  }

  private void readNew() throws IOException {
    if (!Files.exists(history)) {
      return;
    }
    try (RandomAccessFile f = new RandomAccessFile(history.toFile(), "r")) {
      long len = f.length();
      if (len <= offset) {
        return;
      }
      byte[] buf = new byte[(int) Math.min(len - offset, 8 << 20)];
      f.seek(offset);
      f.readFully(buf);
      offset += buf.length;
      partial.append(new String(buf, StandardCharsets.UTF_8));
    }
    int nl;
    while ((nl = partial.indexOf("\n")) >= 0) {
      String line = partial.substring(0, nl);
      partial.delete(0, nl + 1);
      if (line.contains("\"nemesis\"")) {
        track(JSON.readTree(line));
      }
    }
  }

  private void track(JsonNode op) {
    if (!"nemesis".equals(op.path("process").asText())) {
      return;
    }
    String f = op.path("f").asText();
    String key;
    int delta;
    if (f.startsWith("start-")) {
      key = f.substring(6);
      delta = 1;
    } else if (f.startsWith("stop-")) {
      key = f.substring(5);
      delta = -1;
    } else if (f.equals("kill") || f.equals("pause")) {
      key = f;
      delta = 1;
    } else if (f.equals("restart")) {
      key = "kill";
      delta = -1;
    } else if (f.equals("resume")) {
      key = "pause";
      delta = -1;
    } else {
      return;
    }
    active.merge(key, delta, (a, b) -> Math.max(0, a + b));
  }
}
