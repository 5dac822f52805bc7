package io.deliverycheck.checker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.history.HistoryReader;
import io.deliverycheck.checker.history.HistoryWriter;
import io.deliverycheck.checker.history.Op;
import io.deliverycheck.checker.history.OpType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A tiny builder of hand-made histories for tests: ops get consecutive indexes, times advance by
 * 1 ms per op unless set with {@link #at}. {@link #check} judges the history twice, through the
 * fast file path and through HistoryReader + accept, and asserts both give the same results.json.
 */
final class H {
  private static final JsonNodeFactory NF = JsonNodeFactory.instance;
  private final List<Op> ops = new ArrayList<>();
  private final Map<String, Op> open = new HashMap<>();
  private final Map<String, Integer> attempts = new HashMap<>();
  private long time;

  static H history() {
    return new H();
  }

  /** Sets the time of the next op, in ms. */
  H at(double ms) {
    time = (long) (ms * 1_000_000);
    return this;
  }

  /** {@code roster("u2:phone,laptop", "u3:phone")}. */
  H roster(String... users) {
    ObjectNode v = NF.objectNode();
    for (String u : users) {
      String[] p = u.split(":");
      ArrayNode a = v.putArray(p[0]);
      if (p.length > 1) {
        for (String d : p[1].split(",")) {
          a.add(d);
        }
      }
    }
    return add("harness", OpType.INFO, "roster", v, null);
  }

  H send(String proc, String id, String... to) {
    return sendFrom(proc, id, "u1", to);
  }

  /** A send invocation of {@code id} from user {@code from}; its attempt counts up per id. */
  H sendFrom(String proc, String id, String from, String... to) {
    int attempt = attempts.merge(id, 1, Integer::sum);
    ObjectNode v = NF.objectNode().put("id", id).put("key", "k-" + id).put("from", from);
    ArrayNode a = v.putArray("to");
    for (String t : to) {
      a.add(t);
    }
    v.put("attempt", attempt);
    return add(proc, OpType.INVOKE, "send", v, null);
  }

  /** Completes the open op of {@code proc}. */
  H complete(String proc, OpType type) {
    Op inv = open.remove(proc);
    return add(proc, type, inv.f(), inv.value(), type == OpType.OK ? null : "boom");
  }

  H ok(String proc) {
    return complete(proc, OpType.OK);
  }

  H fail(String proc) {
    return complete(proc, OpType.FAIL);
  }

  H info(String proc) {
    return complete(proc, OpType.INFO);
  }

  H sendOk(String proc, String id, String... to) {
    return send(proc, id, to).ok(proc);
  }

  H receive(String id, String recipient, String device) {
    return add("d:" + recipient + "/" + device, OpType.OK, "receive", triple(id, recipient, device), null);
  }

  H ack(String id, String recipient, String device) {
    String p = "d:" + recipient + "/" + device;
    add(p, OpType.INVOKE, "ack", triple(id, recipient, device), null);
    return ok(p);
  }

  /** A receipt to process c1; device null speaks for the recipient. */
  H receipt(String id, String recipient, String device, String state) {
    ObjectNode v = NF.objectNode().put("id", id).put("recipient", recipient);
    if (device != null) {
      v.put("device", device);
    }
    v.put("state", state);
    return add("c1", OpType.OK, "receipt", v, null);
  }

  H nemesis(String f) {
    return add("nemesis", OpType.INFO, f, NF.objectNode(), null);
  }

  H drained() {
    return drained(true);
  }

  H drained(boolean healed) {
    return add("harness", OpType.INFO, "drained", NF.objectNode().put("quiet_ms", 5000).put("healed", healed), null);
  }

  /** The system op, its value given as JSON, e.g. {@code {"guarantee":"exactly-once","receipts":true}}. */
  H system(String json) {
    try {
      return add("harness", OpType.INFO, "system", (ObjectNode) new com.fasterxml.jackson.databind.ObjectMapper()
          .readTree(json), null);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException(json, e);
    }
  }

  /** A harness error op. */
  H error(String what, String message) {
    return add("harness", OpType.INFO, "error", NF.objectNode().put("what", what).put("message", message), null);
  }

  /** A nemesis op that carries an error: a fault not applied or not healed. */
  H nemesisError(String f, String error) {
    return add("nemesis", OpType.INFO, f, NF.objectNode(), error);
  }

  private static ObjectNode triple(String id, String recipient, String device) {
    return NF.objectNode().put("id", id).put("recipient", recipient).put("device", device);
  }

  H add(String proc, OpType type, String f, ObjectNode value, String error) {
    Op op = new Op(ops.size(), time, proc, type, f, value, proc.startsWith("c") ? "n1" : null, error);
    time += 1_000_000;
    ops.add(op);
    if (type == OpType.INVOKE) {
      open.put(proc, op);
    }
    return this;
  }

  List<Op> ops() {
    return ops;
  }

  Path write(Path file) throws Exception {
    try (HistoryWriter w = HistoryWriter.open(file)) {
      for (Op op : ops) {
        w.write(op);
      }
    }
    return file;
  }

  /** Judges the history by both paths; asserts they agree; returns the result. */
  CheckResult check(Guarantee g) throws Exception {
    return check(GuaranteeChoice.explicit(g, "explicit"));
  }

  /** {@link #check(Guarantee)} with the guarantee {@code choice} resolves. */
  CheckResult check(GuaranteeChoice choice) throws Exception {
    Path dir = Files.createTempDirectory("dc-h");
    try {
      Path f = write(dir.resolve("history.jsonl"));
      CheckResult fast = DeliveryChecker.check(f, choice);
      DeliveryChecker c = new DeliveryChecker(choice);
      try (HistoryReader r = HistoryReader.open(f)) {
        Op op;
        while ((op = r.next()) != null) {
          c.accept(op);
        }
      }
      CheckResult slow = c.finish();
      assertEquals(fast.toJson(), slow.toJson(), "fast path and HistoryReader+accept disagree");
      return fast;
    } finally {
      try (var s = Files.walk(dir)) {
        s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
