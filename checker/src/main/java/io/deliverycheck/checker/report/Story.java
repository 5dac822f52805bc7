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
    return summary(id, rows, roster, false);
  }

  /**
   * Sums up the story; when the system claims receipts, or the message had any, it also names the
   * owed devices its sender was never told delivered, read or failed for (unresolved).
   */
  static String summary(String id, List<HistoryScan.Row> rows, com.fasterxml.jackson.databind.JsonNode roster,
      boolean receiptsClaimed) {
    List<String> sends = new ArrayList<>();
    Map<String, Integer> receives = new LinkedHashMap<>();
    Map<String, List<String>> acks = new LinkedHashMap<>();
    Map<String, List<String>> receipts = new LinkedHashMap<>();
    java.util.Set<String> resolved = new java.util.HashSet<>(); // "u2/phone" or "u2"
    boolean ok = false;
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
            ok |= r.type().equals("ok");
            sends.add(r.type() + (r.node() == null ? "" : " via " + r.node()) + (r.error() == null ? "" : " (" + r.error() + ")"));
          }
        }
        case "receive" -> receives.merge(dev, 1, Integer::sum);
        case "ack" -> {
          if (!r.type().equals("invoke")) acks.computeIfAbsent(dev, k -> new ArrayList<>()).add(r.type());
        }
        case "receipt" -> {
          String state = r.value() == null ? "?" : r.value().path("state").asText("?");
          receipts.computeIfAbsent(dev, k -> new ArrayList<>()).add(state);
          if (state.equals("delivered") || state.equals("read") || state.equals("failed")) resolved.add(dev);
        }
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
    if (ok && roster != null && (receiptsClaimed || !receipts.isEmpty())) {
      List<String> untold = new ArrayList<>();
      for (String u : recipients) {
        for (com.fasterxml.jackson.databind.JsonNode d : roster.path(u)) {
          String dev = u + "/" + d.asText();
          if (!resolved.contains(dev) && !resolved.contains(u) && !untold.contains(dev)) untold.add(dev);
        }
      }
      if (!untold.isEmpty()) {
        b.append("; the sender was never told delivered, read or failed for ").append(String.join(", ", untold));
      }
    }
    return b.append('.').toString();
  }

  private static String device(HistoryScan.Row r) {
    String rec = r.value().path("recipient").asText("");
    String dev = r.value().path("device").asText("");
    return dev.isEmpty() ? rec : rec + "/" + dev;
  }
}
