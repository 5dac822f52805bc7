package io.deliverycheck.workloads;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The users {@code u0..} and their devices ({@code phone}, {@code laptop}, ...): an immutable value,
 * recorded as the {@code roster} op; a message to a user is owed to each of its devices.
 */
public record Roster(Map<String, List<String>> devices) {
  private static final List<String> NAMES =
      List.of("phone", "laptop", "tablet", "watch", "desktop", "tv", "car", "speaker");

  public Roster {
    Map<String, List<String>> copy = new LinkedHashMap<>();
    devices.forEach((u, ds) -> copy.put(u, List.copyOf(ds)));
    devices = Collections.unmodifiableMap(copy);
  }

  /** {@code users} users with {@code perUser} devices each. */
  public static Roster of(int users, int perUser) {
    Map<String, List<String>> m = new LinkedHashMap<>();
    for (int u = 0; u < users; u++) {
      List<String> ds = new ArrayList<>();
      for (int d = 0; d < perUser; d++) {
        ds.add(d < NAMES.size() ? NAMES.get(d) : "d" + d);
      }
      m.put("u" + u, ds);
    }
    return new Roster(m);
  }

  public List<String> users() {
    return List.copyOf(devices.keySet());
  }

  public List<String> devicesOf(String user) {
    return devices.getOrDefault(user, List.of());
  }

  /** The value of the {@code roster} op: {@code {"u2": ["phone", "laptop"], ...}}. */
  public ObjectNode toJson() {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    devices.forEach((u, ds) -> {
      ArrayNode a = o.putArray(u);
      ds.forEach(a::add);
    });
    return o;
  }
}
