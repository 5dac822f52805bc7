package io.deliverycheck.node;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Who holds which socket, cluster-wide: keys {@code d:user/device} (a device's gateway) and
 * {@code r:user} (a receipt subscriber), each mapped to the nodes holding one. Fed by the cluster's
 * announcements; entries of nodes that left the view are dropped. Thread-safe (synchronized).
 */
public final class Directory {
  private final String me;
  private final Map<String, LinkedHashSet<String>> nodesByKey = new HashMap<>();
  private final Map<String, Map<String, Integer>> localCounts = new HashMap<>();
  private final Map<String, Map<String, LinkedHashSet<String>>> devicesByUser = new HashMap<>();

  public Directory(String me) {
    this.me = me;
  }

  public static String deviceKey(String user, String device) {
    return "d:" + user + "/" + device;
  }

  public static String receiptKey(String user) {
    return "r:" + user;
  }

  /** Counts a local holder of key; true when it is the first (announce it). */
  public synchronized boolean addLocal(String key) {
    int n = localCounts.computeIfAbsent(me, k -> new HashMap<>()).merge(key, 1, Integer::sum);
    put(key, me);
    return n == 1;
  }

  /** Uncounts a local holder; true when it was the last (announce the removal). */
  public synchronized boolean removeLocal(String key) {
    Map<String, Integer> m = localCounts.get(me);
    Integer n = m == null ? null : m.get(key);
    if (n == null) {
      return false;
    }
    if (n > 1) {
      m.put(key, n - 1);
      return false;
    }
    m.remove(key);
    drop(key, me);
    return true;
  }

  /** The keys held here. */
  public synchronized List<String> localKeys() {
    Map<String, Integer> m = localCounts.get(me);
    return m == null ? List.of() : new ArrayList<>(m.keySet());
  }

  public synchronized void put(String key, String node) {
    nodesByKey.computeIfAbsent(key, k -> new LinkedHashSet<>()).remove(node);
    nodesByKey.get(key).add(node);
    if (key.startsWith("d:")) {
      int slash = key.indexOf('/');
      devicesByUser.computeIfAbsent(key.substring(2, slash), k -> new HashMap<>())
          .computeIfAbsent(key.substring(slash + 1), k -> new LinkedHashSet<>()).add(node);
    }
  }

  public synchronized void drop(String key, String node) {
    Set<String> s = nodesByKey.get(key);
    if (s != null) {
      s.remove(node);
      if (s.isEmpty()) {
        nodesByKey.remove(key);
      }
    }
    if (key.startsWith("d:")) {
      int slash = key.indexOf('/');
      Map<String, LinkedHashSet<String>> devs = devicesByUser.get(key.substring(2, slash));
      if (devs != null) {
        Set<String> ns = devs.get(key.substring(slash + 1));
        if (ns != null) {
          ns.remove(node);
          if (ns.isEmpty()) {
            devs.remove(key.substring(slash + 1));
          }
        }
        if (devs.isEmpty()) {
          devicesByUser.remove(key.substring(2, slash));
        }
      }
    }
  }

  /** Replaces everything known of a remote node by its snapshot. */
  public synchronized void replace(String node, Collection<String> keys) {
    forget(node);
    for (String k : keys) {
      put(k, node);
    }
  }

  /** Drops every entry of a node. */
  public synchronized void forget(String node) {
    for (String k : new ArrayList<>(nodesByKey.keySet())) {
      if (nodesByKey.get(k).contains(node)) {
        drop(k, node);
      }
    }
  }

  /** Keeps only entries of the given members (and this node). */
  public synchronized void retain(Collection<String> members) {
    Set<String> all = new LinkedHashSet<>();
    for (Set<String> s : nodesByKey.values()) {
      all.addAll(s);
    }
    for (String n : all) {
      if (!n.equals(me) && !members.contains(n)) {
        forget(n);
      }
    }
  }

  /** The nodes holding key (local first), possibly empty. */
  public synchronized List<String> nodes(String key) {
    Set<String> s = nodesByKey.get(key);
    return s == null ? List.of() : new ArrayList<>(s);
  }

  /** The gateway of a device: this node if it holds it, else the latest announcer, else null. */
  public synchronized String gateway(String user, String device) {
    Map<String, LinkedHashSet<String>> devs = devicesByUser.get(user);
    LinkedHashSet<String> s = devs == null ? null : devs.get(device);
    if (s == null || s.isEmpty()) {
      return null;
    }
    if (s.contains(me)) {
      return me;
    }
    String last = null;
    for (String n : s) {
      last = n;
    }
    return last;
  }

  /** Connected devices of a user, device -> gateway node. */
  public synchronized Map<String, String> devicesOf(String user) {
    Map<String, LinkedHashSet<String>> devs = devicesByUser.get(user);
    Map<String, String> out = new HashMap<>();
    if (devs != null) {
      for (String d : devs.keySet()) {
        out.put(d, gateway(user, d));
      }
    }
    return out;
  }
}
