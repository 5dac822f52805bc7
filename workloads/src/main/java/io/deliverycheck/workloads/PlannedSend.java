package io.deliverycheck.workloads;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * One logical message of the plan: slot {@code slot} is due {@code slot / rate} seconds after the
 * workload started; sent to node {@code nodeChoice mod nodes} first.
 */
public record PlannedSend(long slot, String id, String key, String from, List<String> to, int nodeChoice) {

  /** The value of a {@code send} op of this message. */
  public ObjectNode value(int attempt) {
    ObjectNode v = JsonNodeFactory.instance.objectNode();
    v.put("id", id);
    v.put("key", key);
    v.put("from", from);
    ArrayNode a = v.putArray("to");
    to.forEach(a::add);
    v.put("attempt", attempt);
    return v;
  }

  /** Poison messages carry ids {@code p<slot>}: devices apply them once but never ack them. */
  public static boolean isPoison(String id) {
    return id.startsWith("p");
  }

  /**
   * Crashing messages carry ids {@code x<slot>}: the first push of one crashes the device's app,
   * which drops it and every push for {@link Device#CRASH_MS} while it restarts; later pushes of it
   * are handled normally.
   */
  public static boolean isCrashing(String id) {
    return id.startsWith("x");
  }
}
