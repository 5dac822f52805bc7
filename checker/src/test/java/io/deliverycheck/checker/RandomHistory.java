package io.deliverycheck.checker;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.history.Op;
import io.deliverycheck.checker.history.OpType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Small random histories from a seed, for the property tests: every history is one the readers
 * accept (contract v2), and together they produce every outcome: senders with retries that keep
 * id, key, from and to (in any order of {@code to}), ok/fail/info and sends left open; receives of
 * sent, not yet sent and never sent ids, by addressed and unaddressed devices, duplicated and out
 * of order; receipts of every state with and without a device; acks and reads; nemesis ops with
 * and without errors; harness error ops; an optional system op with random claims and extra
 * fields; an optional drained, healed or not. A third of the seeds are "tidy" (receives only of
 * owed triples, in send order per device, receipts after them, everything delivered before a
 * drain that is mostly healed), so that valid and unknown verdicts come up too.
 */
final class RandomHistory {
  private static final JsonNodeFactory NF = JsonNodeFactory.instance;
  private static final String[] DEVICES = {"phone", "laptop"};
  private static final String[] STATES = {"accepted", "delivered", "read", "failed"};

  private final SplittableRandom r;
  private final boolean tidy;
  private final List<Op> ops = new ArrayList<>();
  private long time;
  private final Map<String, List<String>> roster = new LinkedHashMap<>();
  private final List<String> users = new ArrayList<>();
  private final List<Msg> msgs = new ArrayList<>();
  private final Map<String, Msg> open = new HashMap<>(); // sender -> message it is sending
  private final Map<String, Integer> delivered = new HashMap<>(); // tidy: triple -> receives

  private static final class Msg {
    String id;
    String key;
    String from;
    List<String> to = new ArrayList<>();
    int attempts;
    boolean ok;
  }

  private RandomHistory(long seed) {
    this.r = new SplittableRandom(seed);
    this.tidy = r.nextInt(3) == 0;
  }

  /** Whether the history of {@code seed} is a tidy one. */
  static boolean tidy(long seed) {
    return new SplittableRandom(seed).nextInt(3) == 0;
  }

  static List<Op> generate(long seed) {
    return new RandomHistory(seed).run();
  }

  private List<Op> run() {
    int nUsers = 2 + r.nextInt(3);
    for (int i = 1; i <= nUsers; i++) {
      String u = "u" + i;
      users.add(u);
      List<String> ds = new ArrayList<>();
      int n = i == 1 ? 1 + r.nextInt(2) : r.nextInt(3);
      for (int k = 0; k < n; k++) {
        ds.add(DEVICES[k]);
      }
      roster.put(u, ds);
    }
    int nMsgs = 2 + r.nextInt(7);
    for (int i = 0; i < nMsgs; i++) {
      Msg m = new Msg();
      m.id = "m" + i;
      m.key = r.nextInt(10) == 0 ? null : "k" + i;
      m.from = r.nextInt(10) == 0 ? null : "u" + (1 + r.nextInt(2));
      int fan = 1 + r.nextInt(Math.min(3, nUsers));
      while (m.to.size() < fan) {
        String u = users.get(r.nextInt(nUsers));
        if (!m.to.contains(u)) {
          m.to.add(u);
        }
      }
      msgs.add(m);
    }
    boolean systemFirst = r.nextBoolean();
    boolean withSystem = r.nextInt(3) != 0;
    if (withSystem && systemFirst) {
      system();
    }
    ObjectNode rv = NF.objectNode();
    roster.forEach((u, ds) -> {
      ArrayNode a = rv.putArray(u);
      ds.forEach(a::add);
    });
    add("harness", OpType.INFO, "roster", rv, null);
    if (withSystem && !systemFirst) {
      system();
    }
    int steps = 10 + r.nextInt(60);
    List<String> senders = new ArrayList<>();
    for (int i = 1, n = 1 + r.nextInt(3); i <= n; i++) {
      senders.add("c" + i);
    }
    for (int s = 0; s < steps; s++) {
      int k = r.nextInt(100);
      if (k < 35) {
        sender(senders.get(r.nextInt(senders.size())));
      } else if (k < 65) {
        receive();
      } else if (k < 82) {
        receipt();
      } else if (k < 88) {
        deviceOp(r.nextBoolean() ? "ack" : "read");
      } else if (k < 95) {
        add("nemesis", OpType.INFO, r.nextBoolean() ? "start-partition" : "stop-partition", NF.objectNode(),
            r.nextInt(4) == 0 ? "iptables: permission denied" : null);
      } else if (!tidy) {
        add("harness", OpType.INFO, "error", NF.objectNode().put("what", "node").put("message", "n2 never healthy"), null);
      }
    }
    if (tidy) {
      open.keySet().stream().sorted().toList().forEach(p -> complete(p, OpType.OK));
      for (Msg m : msgs) {
        if (m.ok) {
          for (String u : m.to) {
            for (String d : roster.get(u)) {
              if (!delivered.containsKey(m.id + "/" + u + "/" + d)) {
                receiveOf(m, u, d);
              }
            }
          }
        }
      }
    }
    if (r.nextInt(10) < (tidy ? 8 : 7)) {
      add("harness", OpType.INFO, "drained", NF.objectNode().put("quiet_ms", 5000)
          .put("healed", r.nextInt(tidy ? 8 : 5) != 0), null);
    }
    return ops;
  }

  private void system() {
    ObjectNode v = NF.objectNode().put("name", "sut-" + r.nextInt(100));
    if (r.nextInt(4) != 0) {
      v.put("version", "1." + r.nextInt(10));
    }
    if (r.nextInt(4) != 0) {
      v.put("guarantee", Guarantee.values()[r.nextInt(3)].wire());
    }
    if (r.nextInt(4) != 0) {
      v.put("receipts", r.nextBoolean());
    }
    if (r.nextInt(4) != 0) {
      v.put("order", r.nextBoolean() ? "none" : "per-sender");
    }
    if (r.nextBoolean()) {
      v.putObject("settings").put("acks", "all").put("replicas", 3).put("fsync", true);
    }
    add("harness", OpType.INFO, "system", v, null);
  }

  private void sender(String p) {
    if (open.containsKey(p)) {
      int k = r.nextInt(10);
      complete(p, tidy || k < 6 ? OpType.OK : k < 8 ? OpType.FAIL : OpType.INFO);
      return;
    }
    List<Msg> free = msgs.stream().filter(m -> !open.containsValue(m)).toList();
    if (free.isEmpty()) {
      return;
    }
    // tidy: messages in order (a sender retries its own until ok); else any, retries included
    Msg m = tidy ? msgs.stream().filter(x -> !x.ok && !open.containsValue(x)).findFirst().orElse(null)
        : free.get(r.nextInt(free.size()));
    if (m == null) {
      return;
    }
    m.attempts++;
    ObjectNode v = NF.objectNode().put("id", m.id);
    if (m.key != null) {
      v.put("key", m.key);
    }
    if (m.from != null) {
      v.put("from", m.from);
    }
    ArrayNode to = v.putArray("to");
    List<String> order = new ArrayList<>(m.to);
    if (m.attempts > 1 && r.nextBoolean()) {
      java.util.Collections.reverse(order); // a retry may list the same users in another order
    }
    order.forEach(to::add);
    if (r.nextInt(8) == 0) {
      to.add(order.get(0)); // or twice
    }
    v.put("attempt", m.attempts);
    add(p, OpType.INVOKE, "send", v, null);
    open.put(p, m);
  }

  private void complete(String p, OpType type) {
    Msg m = open.remove(p);
    ObjectNode v = NF.objectNode().put("id", m.id);
    add(p, type, "send", v, type == OpType.OK ? null : type == OpType.FAIL ? "503" : "timeout");
    if (type == OpType.OK) {
      m.ok = true;
    }
  }

  private void receive() {
    if (tidy) {
      // the oldest owed triple not received yet: in send order per device
      for (Msg m : msgs) {
        if (!m.ok) {
          continue;
        }
        for (String u : m.to) {
          for (String d : roster.get(u)) {
            if (!delivered.containsKey(m.id + "/" + u + "/" + d)) {
              receiveOf(m, u, d);
              return;
            }
          }
        }
      }
      return;
    }
    int k = r.nextInt(10);
    String id = k == 0 ? "ghost" + r.nextInt(2) : msgs.get(r.nextInt(msgs.size())).id;
    String u;
    String d;
    Msg m = msgs.stream().filter(x -> x.id.equals(id)).findFirst().orElse(null);
    if (m != null && k < 8) {
      u = m.to.get(r.nextInt(m.to.size()));
    } else {
      u = users.get(r.nextInt(users.size()));
    }
    List<String> ds = roster.get(u);
    d = ds.isEmpty() || r.nextInt(10) == 0 ? "watch" : ds.get(r.nextInt(ds.size()));
    add("d:" + u + "/" + d, OpType.OK, "receive", triple(id, u, d), null);
  }

  private void receiveOf(Msg m, String u, String d) {
    delivered.merge(m.id + "/" + u + "/" + d, 1, Integer::sum);
    add("d:" + u + "/" + d, OpType.OK, "receive", triple(m.id, u, d), null);
    if (r.nextInt(5) != 0) {
      ObjectNode v = triple(m.id, u, d);
      if (r.nextInt(4) == 0) {
        v.remove("device"); // for the recipient: delivered only, so that it never regresses
        v.put("state", "delivered");
      } else {
        v.put("state", r.nextInt(4) == 0 ? "read" : "delivered");
      }
      add("c1", OpType.OK, "receipt", v, null);
    }
  }

  private void receipt() {
    if (tidy) {
      return; // tidy receipts follow their receives
    }
    Msg m = msgs.get(r.nextInt(msgs.size()));
    String u = r.nextInt(5) == 0 ? users.get(r.nextInt(users.size())) : m.to.get(r.nextInt(m.to.size()));
    ObjectNode v = NF.objectNode().put("id", m.id).put("recipient", u);
    List<String> ds = roster.get(u);
    if (r.nextInt(3) != 0) {
      v.put("device", ds.isEmpty() || r.nextInt(8) == 0 ? "watch" : ds.get(r.nextInt(ds.size())));
    }
    v.put("state", STATES[r.nextInt(STATES.length)]);
    add("c" + (1 + r.nextInt(2)), OpType.OK, "receipt", v, null);
  }

  private void deviceOp(String f) {
    String u = users.get(r.nextInt(users.size()));
    List<String> ds = roster.get(u);
    if (ds.isEmpty()) {
      return;
    }
    String d = ds.get(r.nextInt(ds.size()));
    String p = "d:" + u + "/" + d;
    ObjectNode v = triple(msgs.get(r.nextInt(msgs.size())).id, u, d);
    add(p, OpType.INVOKE, f, v, null);
    add(p, r.nextInt(4) == 0 ? OpType.INFO : OpType.OK, f, v, null);
  }

  private static ObjectNode triple(String id, String u, String d) {
    return NF.objectNode().put("id", id).put("recipient", u).put("device", d);
  }

  private void add(String proc, OpType type, String f, ObjectNode value, String error) {
    ops.add(new Op(ops.size(), time, proc, type, f, value, proc.startsWith("c") ? "n" + (1 + r.nextInt(3)) : null,
        error));
    time += 1 + r.nextInt(3_000_000);
  }
}
