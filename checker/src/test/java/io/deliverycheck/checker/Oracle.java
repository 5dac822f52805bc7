package io.deliverycheck.checker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.history.Op;
import io.deliverycheck.checker.history.OpType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A second, naive reading of HISTORY.md's verdicts for the property tests: the whole history in
 * memory, every definition written as literally as possible (quadratic where that is simpler),
 * sharing no code with the checker. It expects a history the readers accept.
 */
final class Oracle {
  private static final List<String> RANKED = List.of("accepted", "delivered", "read");

  record Verdict(Validity valid, Guarantee guarantee, String loss, Map<String, Long> counts, List<String> violations) {}

  private record Receive(long index, String id, String user, String device) {}

  private record Receipt(long index, String id, String user, String device, String state) {}

  private static final class Msg {
    long firstInvoke = -1;
    long firstOk = -1;
    String from;
    Set<String> to = new LinkedHashSet<>();
    boolean ok;
    boolean info;
  }

  static Verdict judge(List<Op> ops, GuaranteeChoice choice) {
    Map<String, List<String>> roster = new LinkedHashMap<>();
    JsonNode system = null;
    boolean drained = false;
    boolean healed = false;
    Map<String, Msg> msgs = new LinkedHashMap<>();
    Map<String, String> openSend = new HashMap<>(); // process -> id
    List<Receive> receives = new ArrayList<>();
    List<Receipt> receipts = new ArrayList<>();
    long harnessErrors = 0;
    for (Op op : ops) {
      ObjectNode v = op.value();
      if (op.f().equals("error") || op.process().equals("nemesis") && op.error() != null) {
        harnessErrors++;
      }
      switch (op.f()) {
        case "roster" -> v.fields().forEachRemaining(e -> {
          List<String> ds = new ArrayList<>();
          e.getValue().forEach(d -> {
            if (!ds.contains(d.asText())) {
              ds.add(d.asText());
            }
          });
          roster.put(e.getKey(), ds);
        });
        case "system" -> system = v;
        case "drained" -> {
          drained = true;
          healed = v.get("healed").asBoolean();
        }
        case "send" -> {
          if (op.type() == OpType.INVOKE) {
            String id = v.get("id").asText();
            Msg m = msgs.computeIfAbsent(id, k -> new Msg());
            if (m.firstInvoke < 0) {
              m.firstInvoke = op.index();
              m.from = v.hasNonNull("from") ? v.get("from").asText() : null;
              v.get("to").forEach(u -> m.to.add(u.asText()));
            }
            openSend.put(op.process(), id);
          } else {
            Msg m = msgs.get(openSend.remove(op.process()));
            if (op.type() == OpType.OK) {
              if (!m.ok) {
                m.firstOk = op.index();
              }
              m.ok = true;
            } else if (op.type() == OpType.INFO) {
              m.info = true;
            }
          }
        }
        case "receive" -> receives.add(new Receive(op.index(), v.get("id").asText(), v.get("recipient").asText(),
            v.get("device").asText()));
        case "receipt" -> receipts.add(new Receipt(op.index(), v.get("id").asText(), v.get("recipient").asText(),
            v.hasNonNull("device") ? v.get("device").asText() : null, v.get("state").asText()));
        default -> { }
      }
    }
    long openAtEnd = openSend.size();
    openSend.values().forEach(id -> msgs.get(id).info = true);

    Guarantee claimed = system != null && system.has("guarantee") ? Guarantee.parse(system.get("guarantee").asText()) : null;
    Guarantee g = choice.explicit() != null ? choice.explicit() : claimed != null ? claimed : choice.fallback();
    boolean receiptsClaimed = system != null && system.path("receipts").asBoolean(false);
    boolean orderClaimed = system != null && system.path("order").asText("").equals("per-sender");
    boolean lossJudged = drained && healed;

    Map<String, Long> c = new LinkedHashMap<>();
    for (String k : List.of("sent", "sent_ok", "sent_fail", "sent_info", "owed", "delivered", "lost", "undelivered",
        "duplicated", "duplicate_effects", "unexpected", "recovered", "resurrected", "misrouted", "false_delivered",
        "read_before_delivered", "regressed", "unresolved", "reordered")) {
      c.put(k, 0L);
    }
    for (Map.Entry<String, Msg> e : msgs.entrySet()) {
      Msg m = e.getValue();
      c.merge("sent", 1L, Long::sum);
      c.merge(m.ok ? "sent_ok" : m.info ? "sent_info" : "sent_fail", 1L, Long::sum);
      for (String u : m.to) {
        for (String d : roster.get(u)) {
          long n = receives.stream().filter(r -> r.id().equals(e.getKey()) && r.user().equals(u) && r.device().equals(d))
              .count();
          if (n >= 2) {
            c.merge("duplicated", 1L, Long::sum);
            c.merge("duplicate_effects", n - 1, Long::sum);
          }
          if (m.ok) {
            c.merge("owed", 1L, Long::sum);
            c.merge(n > 0 ? "delivered" : lossJudged ? "lost" : "undelivered", 1L, Long::sum);
            if (lossJudged && !resolved(receipts, e.getKey(), u, d)) {
              c.merge("unresolved", 1L, Long::sum);
            }
            if (n > 0 && reordered(e.getKey(), m, u, d, msgs, receives)) {
              c.merge("reordered", 1L, Long::sum);
            }
          } else if (n > 0) {
            c.merge(m.info ? "recovered" : "resurrected", 1L, Long::sum);
          }
        }
      }
    }
    Set<List<String>> unexpected = new HashSet<>();
    Set<List<String>> misrouted = new HashSet<>();
    for (Receive r : receives) {
      Msg m = msgs.get(r.id());
      if (m == null) {
        unexpected.add(List.of(r.id(), r.user(), r.device()));
      } else if (!m.to.contains(r.user()) || !roster.get(r.user()).contains(r.device())) {
        misrouted.add(List.of(r.id(), r.user(), r.device()));
      }
    }
    c.put("unexpected", (long) unexpected.size());
    c.put("misrouted", (long) misrouted.size());
    for (Receipt rc : receipts) {
      if (rc.state().equals("failed")) {
        continue;
      }
      boolean received = receives.stream().anyMatch(r -> r.index() < rc.index() && ofSubject(r, rc, roster));
      List<Receipt> earlier = receipts.stream().filter(x -> x.index() < rc.index() && sameSubject(x, rc)
          && !x.state().equals("failed")).toList();
      if (rc.state().equals("delivered") && !received) {
        c.merge("false_delivered", 1L, Long::sum);
      }
      if (rc.state().equals("read") && !received && earlier.stream().noneMatch(x -> x.state().equals("delivered"))) {
        c.merge("read_before_delivered", 1L, Long::sum);
      }
      if (earlier.stream().anyMatch(x -> RANKED.indexOf(x.state()) > RANKED.indexOf(rc.state()))) {
        c.merge("regressed", 1L, Long::sum);
      }
    }
    c.put("harness_errors", harnessErrors);
    c.put("receives", (long) receives.size());
    c.put("receipts", (long) receipts.size());
    c.put("receipts_failed", receipts.stream().filter(r -> r.state().equals("failed")).count());
    c.put("open_sends_at_end", openAtEnd);
    c.put("ops", (long) ops.size());

    List<String> violations = new ArrayList<>();
    for (String k : DeliveryChecker.OUTCOMES) {
      boolean forbidden = switch (k) {
        case "lost" -> g != Guarantee.AT_MOST_ONCE;
        case "duplicated" -> g != Guarantee.AT_LEAST_ONCE;
        case "undelivered", "recovered" -> false;
        case "unresolved" -> receiptsClaimed && g != Guarantee.AT_MOST_ONCE;
        case "reordered" -> orderClaimed;
        default -> true;
      };
      if (forbidden && c.get(k) > 0) {
        violations.add(k);
      }
    }
    Validity valid = !violations.isEmpty() ? Validity.INVALID
        : c.get("sent_ok") == 0 || c.get("owed") == 0 ? Validity.UNKNOWN
        : g != Guarantee.AT_MOST_ONCE && !lossJudged ? Validity.UNKNOWN
        : Validity.VALID;
    return new Verdict(valid, g, lossJudged ? "judged" : "unknown", c, violations);
  }

  /** By drained, the sender was told delivered, read or failed for the triple or its recipient. */
  private static boolean resolved(List<Receipt> receipts, String id, String u, String d) {
    return receipts.stream().anyMatch(r -> r.id().equals(id) && r.user().equals(u)
        && (r.device() == null || r.device().equals(d)) && !r.state().equals("accepted"));
  }

  /**
   * a's first receive on (u, d) comes after that device's first receive of some b from the same
   * sender, where a's first ok completed before b's first send was invoked.
   */
  private static boolean reordered(String a, Msg ma, String u, String d, Map<String, Msg> msgs, List<Receive> receives) {
    if (ma.from == null) {
      return false;
    }
    long firstA = receives.stream().filter(r -> r.id().equals(a) && r.user().equals(u) && r.device().equals(d))
        .mapToLong(Receive::index).min().getAsLong();
    for (Map.Entry<String, Msg> e : msgs.entrySet()) {
      Msg mb = e.getValue();
      if (e.getKey().equals(a) || !Objects.equals(mb.from, ma.from)) {
        continue;
      }
      boolean before = receives.stream().anyMatch(r -> r.id().equals(e.getKey()) && r.user().equals(u)
          && r.device().equals(d) && r.index() < firstA);
      if (before && ma.firstOk < mb.firstInvoke) {
        return true;
      }
    }
    return false;
  }

  /** A receive is of the receipt's subject: the same device, or for a recipient any of its roster devices. */
  private static boolean ofSubject(Receive r, Receipt rc, Map<String, List<String>> roster) {
    if (!r.id().equals(rc.id()) || !r.user().equals(rc.user())) {
      return false;
    }
    return rc.device() != null ? r.device().equals(rc.device())
        : roster.getOrDefault(r.user(), List.of()).contains(r.device());
  }

  private static boolean sameSubject(Receipt x, Receipt y) {
    return x.id().equals(y.id()) && x.user().equals(y.user()) && Objects.equals(x.device(), y.device());
  }
}
