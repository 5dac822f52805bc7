package io.deliverycheck.checker.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One sentence that sums up a message's story: its sends, receives per device, acks and receipts. */
final class Story {
  private Story() {}

  /** Sums up the story; {@code roster} (nullable) says which devices each recipient was owed on. */
  static String summary(String id, List<HistoryScan.Row> rows, com.fasterxml.jackson.databind.JsonNode roster) {
    List<String> sends = new ArrayList<>();
    Map<String, Integer> receives = new LinkedHashMap<>();
    Map<String, List<String>> acks = new LinkedHashMap<>();
    Map<String, List<String>> receipts = new LinkedHashMap<>();
    String to = null;
    List<String> recipients = new ArrayList<>();
    for (HistoryScan.Row r : rows) {
      String dev = r.value() == null ? "" : device(r);
      switch (r.f()) {
        case "send" -> {
          if (r.type().equals("invoke")) {
            if (to == null && r.value() != null && r.value().has("to")) {
              to = r.value().get("to").toString();
              r.value().get("to").forEach(u -> recipients.add(u.asText()));
            }
          } else {
            sends.add(r.type() + (r.node() == null ? "" : " via " + r.node()) + (r.error() == null ? "" : " (" + r.error() + ")"));
          }
        }
        case "receive" -> receives.merge(dev, 1, Integer::sum);
        case "ack" -> {
          if (!r.type().equals("invoke")) acks.computeIfAbsent(dev, k -> new ArrayList<>()).add(r.type());
        }
        case "receipt" -> receipts.computeIfAbsent(dev, k -> new ArrayList<>())
            .add(r.value() == null ? "?" : r.value().path("state").asText("?"));
        default -> {}
      }
    }
    StringBuilder b = new StringBuilder(id);
    if (to != null) b.append(" to ").append(to);
    if (sends.isEmpty()) b.append(": never sent in this history");
    else b.append(": sent ").append(sends.size()).append(sends.size() == 1 ? " time (" : " times (")
        .append(String.join(", ", sends)).append(')');
    Map<String, Integer> perDevice = new LinkedHashMap<>();
    if (roster != null) {
      for (String u : recipients) roster.path(u).forEach(d -> perDevice.put(u + "/" + d.asText(), 0));
    }
    perDevice.putAll(receives);
    if (perDevice.isEmpty()) b.append("; never received");
    else {
      List<String> parts = new ArrayList<>();
      perDevice.forEach((d, n) -> parts.add(d + " \u00d7" + n + (n == 0 ? " (never)" : "")));
      b.append("; receives per device: ").append(String.join(", ", parts));
    }
    if (!acks.isEmpty()) {
      List<String> parts = new ArrayList<>();
      acks.forEach((d, t) -> parts.add(d + " " + String.join("/", t)));
      b.append("; acks ").append(String.join(", ", parts));
    }
    if (!receipts.isEmpty()) {
      List<String> parts = new ArrayList<>();
      receipts.forEach((d, s) -> parts.add((d.isEmpty() ? "recipient" : d) + " " + String.join(" > ", s)));
      b.append("; receipts ").append(String.join(", ", parts));
    }
    return b.append('.').toString();
  }

  private static String device(HistoryScan.Row r) {
    String rec = r.value().path("recipient").asText("");
    String dev = r.value().path("device").asText("");
    return dev.isEmpty() ? rec : rec + "/" + dev;
  }
}
