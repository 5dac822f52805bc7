package io.deliverycheck.workloads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.CheckResult;
import io.deliverycheck.checker.DeliveryChecker;
import io.deliverycheck.checker.Guarantee;
import io.deliverycheck.checker.history.Op;
import io.deliverycheck.checker.history.OpType;
import io.deliverycheck.checker.history.Recorder;
import io.deliverycheck.checker.runner.Environment;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A receive may carry what the system said about the delivery (a subject, a sequence) next to
 * the contract's {@code id}, {@code recipient} and {@code device}: both readers of the checker
 * judge it as a plain receive (a misrouted one stays misrouted), and the extra fields cannot
 * change who received what.
 */
class ReceiveExtraFieldsTest {
  @TempDir Path dir;

  @Test
  void extraFieldsAreRecordedAndJudgedLikeAPlainReceive() throws Exception {
    Path file = dir.resolve("history.jsonl");
    Roster roster = Roster.of(2, 1);
    String device = roster.devicesOf("u0").get(0);
    try (Recorder rec = Recorder.open(file)) {
      WorkloadContext ctx = new WorkloadContext(rec, environment(), WorkloadConfig.defaults(1), roster,
          new DeliveryTracker(roster));
      rec.info("harness", "roster", roster.toJson());
      PlannedSend m = new PlannedSend(1, "m1", "k1", "u1", List.of("u0"), 0);
      Op inv = rec.invoke("c0", "send", m.value(1), "n1");
      rec.complete(inv, OpType.OK, m.value(1), null);
      ctx.received("u0", device, "m1", "n1", delivery("dc.u.u0", 7));
      ctx.received("u1", device, "m1", "n1", delivery("dc.u.u0", 7)); // misrouted: m1 is not u1's
      ObjectNode drained = JsonNodeFactory.instance.objectNode().put("quiet_ms", 0).put("healed", true);
      rec.info("harness", "drained", drained);
    }

    JsonNode receive = new ObjectMapper().readTree(Files.readAllLines(file).get(3)).get("value");
    assertEquals("m1", receive.get("id").asText());
    assertEquals("u0", receive.get("recipient").asText());
    assertEquals("dc.u.u0", receive.get("subject").asText());
    assertEquals(7, receive.get("stream_seq").asLong());

    for (CheckResult r : List.of(new DeliveryChecker(Guarantee.AT_LEAST_ONCE).checkFile(file),
        new DeliveryChecker(Guarantee.AT_LEAST_ONCE).checkFileJackson(file))) {
      assertEquals(1L, r.counts().get("misrouted"), r.summary());
      assertEquals(0L, r.counts().get("lost"), r.summary());
      assertEquals(0L, r.counts().get("duplicated"), r.summary());
    }
  }

  @Test
  void extraFieldsMayNotSayWhoReceivedWhat() throws Exception {
    Roster roster = Roster.of(1, 1);
    try (Recorder rec = Recorder.open(dir.resolve("h.jsonl"))) {
      WorkloadContext ctx = new WorkloadContext(rec, environment(), WorkloadConfig.defaults(1), roster,
          new DeliveryTracker(roster));
      for (String k : List.of("id", "recipient", "device")) {
        ObjectNode extra = JsonNodeFactory.instance.objectNode().put(k, "x");
        assertThrows(IllegalArgumentException.class, () -> ctx.received("u0", "phone", "m1", "n1", extra), k);
      }
    }
  }

  private static ObjectNode delivery(String subject, long seq) {
    return JsonNodeFactory.instance.objectNode().put("subject", subject).put("stream_seq", seq);
  }

  private static Environment environment() {
    return new Environment() {
      @Override
      public void setup(Path runDir, Recorder rec) {
      }

      @Override
      public List<String> nodes() {
        return List.of("n1");
      }

      @Override
      public URI clientEndpoint(String node) {
        return URI.create("test://" + node);
      }

      @Override
      public URI adminEndpoint(String node) {
        return URI.create("test://" + node);
      }

      @Override
      public List<Path> logs() {
        return List.of();
      }

      @Override
      public void close() {
      }
    };
  }
}
