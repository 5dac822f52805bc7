package io.deliverycheck.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The story of a failing run on one screen: the few messages of the violations' examples (from
 * {@code results.json}), every op of theirs and the faults around them (from
 * {@code history.jsonl}), in history order, times from the workload's first send.
 */
final class Story {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Faults this long before the messages' first op and after their last belong to the story. */
  private static final long AROUND_NS = 3_000_000_000L;

  private Story() {}

  /** Up to {@code maxMessages} messages and {@code maxLines} lines of timeline; empty when the run shows no violation. */
  static List<String> lines(Path runDir, int maxMessages, int maxLines) throws IOException {
    JsonNode results = JSON.readTree(runDir.resolve("results.json").toFile());
    Set<String> ids = new LinkedHashSet<>();
    List<String> out = new ArrayList<>();
    StringBuilder head = new StringBuilder();
    for (JsonNode v : results.path("violations")) {
      String name = v.asText();
      head.append(head.length() == 0 ? "" : ", ").append(name).append(' ')
          .append(results.path("counts").path(name).asLong());
      for (JsonNode ex : results.path(name)) {
        String id = ex.path("id").asText("");
        if (!id.isEmpty() && ids.size() < maxMessages) {
          ids.add(id);
        }
      }
    }
    if (head.length() == 0) {
      return out;
    }
    List<JsonNode> mine = new ArrayList<>();
    List<JsonNode> faults = new ArrayList<>();
    long origin = -1;
    try (BufferedReader r = Files.newBufferedReader(runDir.resolve("history.jsonl"), StandardCharsets.UTF_8)) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.isBlank()) {
          continue;
        }
        JsonNode op = JSON.readTree(line);
        String f = op.path("f").asText();
        if (origin < 0 && f.equals("send")) {
          origin = op.path("time").asLong();
        }
        if (op.path("process").asText().equals("nemesis")) {
          faults.add(op);
        } else if (ids.contains(op.path("value").path("id").asText(""))) {
          mine.add(op);
        }
      }
    }
    long first = mine.stream().mapToLong(o -> o.path("time").asLong()).min().orElse(0) - AROUND_NS;
    long last = mine.stream().mapToLong(o -> o.path("time").asLong()).max().orElse(0) + AROUND_NS;
    List<JsonNode> timeline = new ArrayList<>(mine);
    for (JsonNode op : faults) {
      long t = op.path("time").asLong();
      if (t >= first && t <= last) {
        timeline.add(op);
      }
    }
    timeline.sort((a, b) -> Long.compare(a.path("index").asLong(), b.path("index").asLong()));
    out.add("story: " + head + "; messages " + String.join(", ", ids) + " and the faults within 3 s of them:");
    long o = Math.max(0, origin);
    int shown = 0;
    for (JsonNode op : timeline) {
      if (shown == maxLines) {
        out.add(String.format("  ... %d more ops in %s", timeline.size() - shown, runDir.resolve("history.jsonl")));
        break;
      }
      out.add(describe(op, o));
      shown++;
    }
    return out;
  }

  private static String describe(JsonNode op, long origin) {
    double t = (op.path("time").asLong() - origin) / 1e9;
    String process = op.path("process").asText();
    String f = op.path("f").asText();
    JsonNode v = op.path("value");
    StringBuilder s = new StringBuilder(String.format("  %+8.3f s  %-14s ", t, process));
    if (process.equals("nemesis")) {
      s.append(f);
      if (v.has("node")) {
        s.append(' ').append(v.path("node").asText());
      }
      if (v.has("shape")) {
        s.append(' ').append(v.path("shape").asText()).append(' ').append(v.path("partition"));
      }
      if (v.has("note")) {
        s.append(" (").append(v.path("note").asText()).append(')');
      }
    } else {
      s.append(f).append(' ').append(op.path("type").asText()).append(' ').append(v.path("id").asText());
      switch (f) {
        case "send" -> s.append(" -> ").append(v.path("to")).append(" attempt ").append(v.path("attempt").asInt());
        case "receipt" -> s.append(' ').append(v.path("state").asText()).append(" for ")
            .append(v.path("recipient").asText()).append(v.has("device") ? "/" + v.path("device").asText() : "");
        default -> { }
      }
    }
    if (op.has("node")) {
      s.append(" @").append(op.path("node").asText());
    }
    if (op.has("error")) {
      s.append(" [").append(op.path("error").asText()).append(']');
    }
    return s.toString();
  }
}
