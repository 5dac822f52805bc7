package io.deliverycheck.checker.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The example entries of results.json per outcome, and the message ids whose stories a report
 * tells: at most {@link #MAX_STORIES}, taken round-robin over the outcomes, violated ones first, so
 * every outcome with examples gets some.
 */
final class Examples {
  static final int MAX_STORIES = 60;

  /** outcome key -> its example entries (as results.json lists them). */
  final Map<String, List<JsonNode>> byOutcome = new LinkedHashMap<>();
  /** message id -> "outcome: recipient/device" labels. */
  final Map<String, List<String>> labels = new LinkedHashMap<>();
  final Set<String> storyIds = new LinkedHashSet<>();

  Examples(JsonNode results) {
    for (Outcomes.Outcome o : Outcomes.ALL) {
      JsonNode list = results.path(o.key());
      if (!list.isArray()) list = results.path(o.wire());
      List<JsonNode> entries = new ArrayList<>();
      if (list.isArray()) list.forEach(entries::add);
      byOutcome.put(o.key(), entries);
      for (JsonNode e : entries) {
        String id = e.path("id").asText(null);
        if (id != null) labels.computeIfAbsent(id, k -> new ArrayList<>()).add(o.wire() + subject(e));
      }
    }
    List<String> order = new ArrayList<>();
    JsonNode violations = results.path("violations");
    if (violations.isArray()) violations.forEach(v -> order.add(v.asText().replace('-', '_')));
    for (String k : byOutcome.keySet()) if (!order.contains(k)) order.add(k);
    for (int round = 0; storyIds.size() < MAX_STORIES; round++) {
      boolean any = false;
      for (String k : order) {
        List<JsonNode> entries = byOutcome.getOrDefault(k, List.of());
        if (round < entries.size()) {
          any = true;
          String id = entries.get(round).path("id").asText(null);
          if (id != null && storyIds.size() < MAX_STORIES) storyIds.add(id);
        }
      }
      if (!any) break;
    }
  }

  /** " u2/phone", " u2", or "" for an example entry; a reordered one adds what overtook it. */
  static String subject(JsonNode e) {
    String r = e.path("recipient").asText(null);
    String d = e.path("device").asText(null);
    if (r == null) return "";
    String by = e.path("overtaken_by").asText(null);
    return " " + r + (d == null ? "" : "/" + d) + (by == null ? "" : " (overtaken by " + by + ")");
  }
}
