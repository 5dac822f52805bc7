package io.deliverycheck.checker.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Writes a hand-made run folder (Contract 3) for report tests: a seeded history of {@code n}
 * messages from 4 senders to users with one or two devices, a partition and a kill, retries, one
 * lost message (m7, partly), one duplicated (m12), receipts, drained; the matching results.json;
 * test.json, faults.json and metrics.jsonl for 3 nodes.
 */
public final class TestRuns {
  static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private final List<ObjectNode> ops = new ArrayList<>();
  private long time;

  public static Path write(Path runDir, int n, long seed) throws IOException {
    Files.createDirectories(runDir);
    new TestRuns().history(runDir, n, seed);
    return runDir;
  }

  /**
   * The same run under contract v2: a system op after the roster (claiming exactly-once, receipts
   * and per-sender order, with a version and settings), a harness error op and a nemesis op that
   * failed to apply, and the results.json the checker itself writes for it (guarantee from the
   * system op), with a runner's {@code run} block.
   */
  public static Path writeV2(Path runDir, int n, long seed) throws Exception {
    write(runDir, n, seed);
    Path history = runDir.resolve("history.jsonl");
    List<ObjectNode> ops = new ArrayList<>();
    for (String line : Files.readAllLines(history)) {
      ops.add((ObjectNode) JSON.readTree(line));
    }
    ObjectNode system = F.objectNode().put("name", "reference-node").put("version", "0.9").put("guarantee", "exactly-once")
        .put("receipts", true).put("order", "per-sender");
    system.putObject("settings").put("ack_timeout_ms", 2000).put("mode", "exactly-once");
    ops.add(1, F.objectNode().put("index", 0).put("time", 0).put("process", "harness").put("type", "info")
        .put("f", "system").set("value", system));
    int at = 0;
    while (!ops.get(at).path("f").asText().equals("start-partition")) at++;
    long t = ops.get(at).path("time").asLong();
    ops.add(at + 1, F.objectNode().put("index", 0).put("time", t).put("process", "nemesis").put("type", "info")
        .put("f", "start-delay").put("error", "tc: netem not available").set("value", F.objectNode().put("ms", 800)));
    ops.add(at + 2, F.objectNode().put("index", 0).put("time", t).put("process", "harness").put("type", "info")
        .put("f", "error").set("value", F.objectNode().put("what", "node").put("message", "n3 never became healthy")));
    try (BufferedWriter w = Files.newBufferedWriter(history)) {
      for (int i = 0; i < ops.size(); i++) {
        ops.get(i).put("index", i);
        w.write(ops.get(i).toString() + "\n");
      }
    }
    io.deliverycheck.checker.CheckResult r = io.deliverycheck.checker.DeliveryChecker.check(history,
        io.deliverycheck.checker.GuaranteeChoice.fromHistory(null, null));
    ObjectNode json = r.toJson();
    json.putObject("run").put("seed", seed).put("drain", "quiet");
    io.deliverycheck.checker.CheckResult.writeJson(runDir.resolve("results.json"), json);
    return runDir;
  }

  private ObjectNode op(String process, String type, String f, ObjectNode value, String node, String error) {
    ObjectNode o = F.objectNode();
    o.put("index", ops.size());
    o.put("time", time);
    o.put("process", process);
    o.put("type", type);
    o.put("f", f);
    o.set("value", value);
    if (node != null) o.put("node", node);
    if (error != null) o.put("error", error);
    ops.add(o);
    return o;
  }

  private static ObjectNode msg(String id, String from, String to, int attempt) {
    ObjectNode v = F.objectNode().put("id", id).put("key", "k" + id.substring(1)).put("from", from);
    v.putArray("to").add(to);
    return v.put("attempt", attempt);
  }

  private static ObjectNode triple(String id, String user, String device) {
    return F.objectNode().put("id", id).put("recipient", user).put("device", device);
  }

  private void history(Path dir, int n, long seed) throws IOException {
    Random rnd = new Random(seed);
    String[] nodes = {"n1", "n2", "n3"};
    ObjectNode roster = F.objectNode();
    roster.putArray("u1").add("phone");
    roster.putArray("u2").add("phone").add("laptop");
    roster.putArray("u3").add("phone");
    op("harness", "info", "roster", roster, null, null);
    long total = n * 20_000_000L; // 20 ms per message
    long partitionAt = total / 4, partitionEnd = total / 2, killAt = total * 6 / 10, restartAt = total * 7 / 10;
    boolean partitioned = false, healed = false, killed = false, restarted = false;
    long owed = 0, delivered = 0;
    int okSends = 0, infoSends = 0, failSends = 0, okMsgs = 0;
    for (int i = 0; i < n; i++) {
      time = i * 20_000_000L + rnd.nextInt(1_000_000);
      if (!partitioned && time >= partitionAt) {
        partitioned = true;
        ObjectNode v = F.objectNode();
        ArrayNode p = v.putArray("partition");
        p.addArray().add("n1");
        p.addArray().add("n2").add("n3");
        op("nemesis", "info", "start-partition", v, null, null);
      }
      if (!healed && time >= partitionEnd) {
        healed = true;
        op("nemesis", "info", "stop-partition", F.objectNode().put("healed", true), null, null);
      }
      if (!killed && time >= killAt) {
        killed = true;
        op("nemesis", "info", "kill", F.objectNode().put("node", "n2"), null, null);
      }
      if (!restarted && time >= restartAt) {
        restarted = true;
        op("nemesis", "info", "restart", F.objectNode().put("node", "n2"), null, null);
      }
      String id = "m" + i;
      String c = "c" + (i % 4);
      String from = "u" + (1 + i % 3);
      String to = "u" + (1 + (i + 1) % 3);
      String node = nodes[i % 3];
      boolean slow = partitioned && !healed && node.equals("n1");
      int attempt = 1;
      String outcome;
      if (i == 5) outcome = "fail";
      else if (slow && rnd.nextInt(3) == 0) outcome = "info";
      else outcome = "ok";
      op(c, "invoke", "send", msg(id, from, to, attempt), node, null);
      time += slow ? 200_000_000L + rnd.nextInt(300_000_000) : 1_000_000 + rnd.nextInt(4_000_000);
      if (outcome.equals("info")) {
        op(c, "info", "send", msg(id, from, to, attempt), node, "timeout");
        infoSends++;
        attempt++;
        op(c, "invoke", "send", msg(id, from, to, attempt), nodes[(i + 1) % 3], null);
        time += 2_000_000;
        outcome = "ok";
        node = nodes[(i + 1) % 3];
      }
      if (outcome.equals("fail")) {
        op(c, "fail", "send", msg(id, from, to, attempt), node, "409 conflict");
        failSends++;
        continue;
      }
      ObjectNode res = msg(id, from, to, attempt);
      op(c, "ok", "send", res, node, null);
      okSends++;
      okMsgs++;
      op(c, "ok", "receipt", F.objectNode().put("id", id).put("recipient", to).put("state", "accepted"), node, null);
      List<String> devs = new ArrayList<>();
      roster.get(to).forEach(d -> devs.add(d.asText()));
      for (String d : devs) {
        owed++;
        if (i == 7 && d.equals(devs.get(0))) continue; // lost
        String dp = "d:" + to + "/" + d;
        time += 3_000_000 + rnd.nextInt(10_000_000) + (slow ? 400_000_000L : 0);
        int copies = i == 12 && d.equals(devs.get(0)) ? 2 : 1;
        for (int k = 0; k < copies; k++) {
          op(dp, "ok", "receive", triple(id, to, d), node, null);
          op(dp, "invoke", "ack", triple(id, to, d), node, null);
          time += 500_000;
          op(dp, "ok", "ack", triple(id, to, d), node, null);
        }
        delivered++;
        op(c, "ok", "receipt", triple(id, to, d).put("state", "delivered"), node, null);
      }
    }
    time = total + 5_000_000_000L;
    op("harness", "info", "drained", F.objectNode().put("quiet_ms", 5000).put("healed", true), null, null);
    try (BufferedWriter w = Files.newBufferedWriter(dir.resolve("history.jsonl"))) {
      for (ObjectNode o : ops) w.write(o.toString() + "\n");
    }

    ObjectNode r = F.objectNode();
    r.put("valid", false).put("guarantee", "exactly-once").put("loss", "judged");
    ObjectNode counts = r.putObject("counts");
    counts.put("sent", n).put("sent_ok", okMsgs).put("sent_fail", failSends).put("sent_info", infoSends)
        .put("owed", owed).put("delivered", delivered).put("lost", 1).put("duplicated", 1).put("unexpected", 0)
        .put("recovered", 0).put("resurrected", 0).put("misrouted", 0).put("false_delivered", 0)
        .put("read_before_delivered", 0).put("regressed", 0);
    r.putArray("violations").add("lost").add("duplicated");
    r.putArray("lost").add(triple("m7", "u3", "phone"));
    r.putArray("duplicated").add(triple("m12", "u2", "phone").put("receives", 2));
    ObjectNode lat = r.putObject("latency_ms");
    lat.putObject("accept").put("p50", 3.1).put("p99", 410.0).put("max", 498.2);
    lat.putObject("deliver").put("p50", 9.8).put("p99", 820.4).put("max", 910.0);
    JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("results.json").toFile(), r);

    ObjectNode t = F.objectNode();
    t.put("name", "fixture").put("started", "2026-11-22T05:00:00Z").put("seed", seed).put("guarantee", "exactly-once");
    t.putArray("nodes").add("n1").add("n2").add("n3");
    t.put("workload", "chat");
    t.putArray("nemesis").add("partition").add("kill");
    t.put("time_limit_s", total / 1_000_000_000L).put("rate", 50).put("users", 3).put("devices_per_user", 2);
    t.putArray("bugs");
    t.put("env", "local");
    JSON.writeValue(dir.resolve("test.json").toFile(), t);

    ObjectNode fa = F.objectNode().put("seed", seed);
    ArrayNode fl = fa.putArray("faults");
    fl.addObject().put("at_ms", partitionAt / 1_000_000).put("duration_ms", (partitionEnd - partitionAt) / 1_000_000)
        .put("kind", "partition").put("shape", "isolate-one").putObject("detail").put("isolated", "n1");
    fl.addObject().put("at_ms", killAt / 1_000_000).put("duration_ms", (restartAt - killAt) / 1_000_000)
        .put("kind", "kill").putObject("detail").put("node", "n2");
    JSON.writeValue(dir.resolve("faults.json").toFile(), fa);

    try (BufferedWriter w = Files.newBufferedWriter(dir.resolve("metrics.jsonl"))) {
      double retries = 0;
      for (long ms = 0; ms <= time / 1_000_000; ms += 1000) {
        for (String nd : nodes) {
          boolean inPartition = ms * 1_000_000 >= partitionAt && ms * 1_000_000 < partitionEnd;
          retries += inPartition && nd.equals("n1") ? 4 : rnd.nextInt(2);
          ObjectNode m = F.objectNode().put("time_ms", ms).put("node", nd);
          m.putObject("metrics")
              .put("deliverycheck_backlog", inPartition ? 20 + rnd.nextInt(5) : rnd.nextInt(3))
              .put("deliverycheck_oldest_undelivered_age_seconds", inPartition ? 1.5 : 0.02)
              .put("deliverycheck_delivery_retries_total", retries)
              .put("deliverycheck_dead_letter_depth", ms > total / 1_000_000 / 2 ? 1 : 0);
          w.write(m.toString() + "\n");
        }
      }
    }
  }
}
