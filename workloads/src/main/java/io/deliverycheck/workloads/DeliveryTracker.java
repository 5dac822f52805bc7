package io.deliverycheck.workloads;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What the drain waits for: owed triples (id, recipient, device) of messages with an {@code ok} send,
 * per the roster, the triples received so far, and the owed triples whose sender was told a final
 * state ({@code delivered}, {@code read} or {@code failed}, of the triple or of its recipient: the
 * rule HISTORY.md judges {@code unresolved} by). A receive or a receipt may be recorded before its
 * send's {@code ok} arrives, so both orders are counted. Thread-safe (one lock; a few calls per message).
 */
final class DeliveryTracker {
  private final Roster roster;
  private final Set<String> okIds = new HashSet<>();
  private final Set<String> owed = new HashSet<>();
  private final Set<String> received = new HashSet<>();
  /** Subjects told a final state: triples, and (id, recipient) pairs for receipts without a device. */
  private final Set<String> told = new HashSet<>();
  private final Set<String> resolved = new HashSet<>();
  private long delivered;
  private volatile long lastReceiveNanos = -1;

  DeliveryTracker(Roster roster) {
    this.roster = roster;
  }

  synchronized void sendOk(String id, List<String> to) {
    if (!okIds.add(id)) {
      return;
    }
    for (String user : to) {
      for (String device : roster.devicesOf(user)) {
        String t = triple(id, user, device);
        if (owed.add(t)) {
          if (received.contains(t)) {
            delivered++;
          }
          if (told.contains(t) || told.contains(pair(id, user))) {
            resolved.add(t);
          }
        }
      }
    }
  }

  synchronized void received(String id, String user, String device, long nanos) {
    lastReceiveNanos = nanos;
    String t = triple(id, user, device);
    if (received.add(t) && owed.contains(t)) {
      delivered++;
    }
  }

  /** A receipt the sender was given; {@code device} null when it speaks for the recipient. */
  synchronized void receipt(String id, String user, String device, String state) {
    if (!state.equals("delivered") && !state.equals("read") && !state.equals("failed")) {
      return;
    }
    if (device != null) {
      String t = triple(id, user, device);
      told.add(t);
      if (owed.contains(t)) {
        resolved.add(t);
      }
      return;
    }
    told.add(pair(id, user));
    for (String d : roster.devicesOf(user)) {
      String t = triple(id, user, d);
      if (owed.contains(t)) {
        resolved.add(t);
      }
    }
  }

  synchronized long owed() {
    return owed.size();
  }

  synchronized long delivered() {
    return delivered;
  }

  synchronized long resolved() {
    return resolved.size();
  }

  long lastReceiveNanos() {
    return lastReceiveNanos;
  }

  private static String triple(String id, String user, String device) {
    return id + '\u0000' + user + '\u0000' + device;
  }

  private static String pair(String id, String user) {
    return id + '\u0000' + user;
  }
}
