package io.deliverycheck.workloads;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What the drain waits for: owed triples (id, recipient, device) of messages with an {@code ok} send,
 * per the roster, and the triples received so far. A receive may be recorded before its send's
 * {@code ok} arrives, so both orders are counted. Thread-safe (one lock; a few calls per message).
 */
final class DeliveryTracker {
  private final Roster roster;
  private final Set<String> okIds = new HashSet<>();
  private final Set<String> owed = new HashSet<>();
  private final Set<String> received = new HashSet<>();
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
        if (owed.add(t) && received.contains(t)) {
          delivered++;
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

  synchronized long owed() {
    return owed.size();
  }

  synchronized long delivered() {
    return delivered;
  }

  long lastReceiveNanos() {
    return lastReceiveNanos;
  }

  private static String triple(String id, String user, String device) {
    return id + '\u0000' + user + '\u0000' + device;
  }
}
