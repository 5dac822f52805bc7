package io.deliverycheck.workloads;

import io.deliverycheck.checker.history.OpType;
import io.vertx.core.json.JsonObject;

/**
 * How one send attempt ended, as the sender records it: {@code ok} (the system said accepted),
 * {@code fail} (it certainly did not happen) or {@code info} (unknown: it may have happened).
 * {@link #of} reads the reference node's HTTP answer (Contract 2): 200 {@code accepted} is
 * {@code ok}; 400, 401, 404, 409 and 503 with {@code "committed":false} are {@code fail} (certainly
 * not stored); any other answer, a timeout or a lost connection is {@code info}.
 *
 * @param error why it failed or is unknown (null for ok)
 * @param msg the system's own id of the message, when it names one (recorded as {@code msg})
 * @param retry whether the sender may try again with the same id and key
 */
public record Outcome(OpType type, String error, String msg, boolean retry) {

  /** The system said accepted. */
  public static Outcome ok(String msg) {
    return new Outcome(OpType.OK, null, msg, false);
  }

  /** Certainly not accepted; {@code retry}: a new attempt may succeed. */
  public static Outcome fail(String error, boolean retry) {
    return new Outcome(OpType.FAIL, error, null, retry);
  }

  /** Unknown (timeout, lost connection, a refusal that does not say nothing happened); retried. */
  public static Outcome info(String error) {
    return new Outcome(OpType.INFO, error, null, true);
  }

  static Outcome of(int status, String body) {
    JsonObject json;
    try {
      json = body == null || body.isBlank() ? new JsonObject() : new JsonObject(body);
    } catch (RuntimeException e) {
      json = new JsonObject();
    }
    String error = json.getString("error", "HTTP " + status);
    if (status == 200) {
      if ("accepted".equals(json.getString("state"))) {
        return new Outcome(OpType.OK, null, json.getString("msg"), false);
      }
      return new Outcome(OpType.INFO, "unexpected answer: " + abbreviate(body), null, true);
    }
    if (status == 400 || status == 401 || status == 404 || status == 409) {
      return new Outcome(OpType.FAIL, "HTTP " + status + ": " + error, null, false);
    }
    if (status == 503 && Boolean.FALSE.equals(json.getValue("committed"))) {
      return new Outcome(OpType.FAIL, "HTTP 503: " + error, null, true);
    }
    return new Outcome(OpType.INFO, "HTTP " + status + ": " + error, null, true);
  }

  /** An exception as an unknown outcome, with its message. */
  public static Outcome indeterminate(Throwable t) {
    String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    return new Outcome(OpType.INFO, m, null, true);
  }

  private static String abbreviate(String s) {
    return s == null ? "" : s.length() > 200 ? s.substring(0, 200) + "..." : s;
  }
}
