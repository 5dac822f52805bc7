package io.deliverycheck.checker.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The outcomes of HISTORY.md "Verdicts", in report order, with what each guarantee says of them.
 * Kept here as data (not derived from the checker) so a report can be drawn from any results.json.
 */
final class Outcomes {
  private Outcomes() {}

  /** One outcome: its results.json key (underscores), a one-line definition. */
  record Outcome(String key, String definition) {
    /** The outcome's name as HISTORY.md spells it (hyphens). */
    String wire() {
      return key.replace('_', '-');
    }
  }

  static final List<Outcome> ALL =
      List.of(
          new Outcome("lost", "an owed (message, recipient, device) of an accepted message never received, after drain"),
          new Outcome("undelivered", "the same, in a run that did not drain: no loss is claimed"),
          new Outcome("duplicated", "a (message, recipient, device) whose effect was applied 2 or more times"),
          new Outcome("unexpected", "a receive of an id never sent in this history"),
          new Outcome("recovered", "a receive of a message with no ok send but an unknown (info) one"),
          new Outcome("resurrected", "a receive of a message whose every send failed"),
          new Outcome("misrouted", "a receive by a device or recipient the message was not addressed to"),
          new Outcome("false_delivered", "a delivered receipt before any receive of its subject"),
          new Outcome("read_before_delivered", "a read receipt before any receive or delivered receipt of its subject"),
          new Outcome("regressed", "a receipt ranking below an earlier receipt of the same subject"),
          new Outcome("unresolved", "an owed (message, recipient, device) whose sender, by a healed drain, was never told"
              + " delivered, read or failed"),
          new Outcome("reordered", "an owed (message, recipient, device) received after that device got a later message"
              + " of the same sender, sent after this one was accepted"));

  private static final Set<String> ALWAYS_FORBIDDEN =
      Set.of("unexpected", "resurrected", "misrouted", "false_delivered", "read_before_delivered", "regressed");

  /** Whether the system op (results.json "system", may be missing) claims receipts. */
  static boolean claimsReceipts(JsonNode system) {
    return system != null && system.path("receipts").asBoolean(false);
  }

  /** Whether the system op claims each sender's order per device. */
  static boolean claimsOrder(JsonNode system) {
    return system != null && system.path("order").asText("").equals("per-sender");
  }

  /**
   * What the guarantee says of the outcome, given the system op's claims: forbidden, allowed, or
   * reported (with why, for the two outcomes a claim decides).
   */
  static String verdictOf(String guarantee, String key, JsonNode system) {
    String g = guarantee == null ? "" : guarantee.toLowerCase(Locale.ROOT);
    switch (key) {
      case "unresolved":
        if (g.equals("at-most-once")) return "allowed";
        return claimsReceipts(system) ? "forbidden (receipts claimed)" : "reported (receipts not claimed)";
      case "reordered":
        return claimsOrder(system) ? "forbidden (order claimed)" : "reported (order not claimed)";
      default:
        return verdictOf(guarantee, key);
    }
  }

  /** What the guarantee (wire name, e.g. "exactly-once") says of the outcome: forbidden, allowed or reported. */
  static String verdictOf(String guarantee, String key) {
    String g = guarantee == null ? "" : guarantee.toLowerCase(Locale.ROOT);
    if (ALWAYS_FORBIDDEN.contains(key)) return "forbidden";
    switch (key) {
      case "lost":
        return g.equals("at-most-once") ? "allowed" : "forbidden";
      case "duplicated":
        return g.equals("at-least-once") ? "allowed" : "forbidden";
      default:
        return "reported";
    }
  }

  /** {@link #forbidsSentence(String)} and what the system op's claims add to it. */
  static String forbidsSentence(String guarantee, JsonNode system) {
    String s = forbidsSentence(guarantee);
    boolean g = guarantee != null && !guarantee.equalsIgnoreCase("at-most-once");
    if (g && claimsReceipts(system)) {
      s += " The system claims receipts, so a sender left unresolved after a healed drain is forbidden too.";
    }
    if (claimsOrder(system)) {
      s += " The system claims per-sender order, so a message received after a later one of its sender is forbidden.";
    }
    return s;
  }

  /** A sentence saying what the guarantee forbids, for the verdict banner. */
  static String forbidsSentence(String guarantee) {
    String g = guarantee == null ? "" : guarantee.toLowerCase(Locale.ROOT);
    switch (g) {
      case "at-most-once":
        return "at-most-once forbids any effect applied twice (duplicated), receives of messages never sent, refused"
            + " or addressed elsewhere, and receipt anomalies; loss is allowed and counted.";
      case "at-least-once":
        return "at-least-once forbids losing an accepted message after the system drained, receives of messages never"
            + " sent, refused or addressed elsewhere, and receipt anomalies; duplicates are allowed and counted.";
      case "exactly-once":
        return "exactly-once forbids losing an accepted message after drain and applying any effect twice, as well as"
            + " receives of messages never sent, refused or addressed elsewhere, and receipt anomalies.";
      default:
        return "unknown guarantee \"" + guarantee + "\": see HISTORY.md for what each guarantee forbids.";
    }
  }
}
