package io.deliverycheck.specs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HistoryTraceTest {
  @TempDir Path dir;

  Path write(String text) throws Exception {
    return Files.writeString(dir.resolve("h.jsonl"), text);
  }

  static String roster = "{\"index\":0,\"time\":0,\"process\":\"harness\",\"type\":\"info\",\"f\":\"roster\","
      + "\"value\":{\"u1\":[\"phone\"],\"u2\":[\"phone\",\"laptop\"]}}\n";

  static String op(int index, String process, String type, String f, String value) {
    return "{\"index\":" + index + ",\"time\":" + index + ",\"process\":\"" + process + "\",\"type\":\"" + type
        + "\",\"f\":\"" + f + "\",\"value\":" + value + "}\n";
  }

  @Test
  void keepsObservableEventsInOrderOnePartPerMessageAndDevice() throws Exception {
    HistoryTrace t = HistoryTrace.read(Specs.dir().resolve("traces/ok-exactly-once.jsonl"));
    assertEquals(2, t.messages());
    assertEquals(2, t.parts().size());
    assertTrue(t.drained());
    HistoryTrace.Part m1 = t.parts().get(0);
    assertEquals("m1", m1.message());
    assertEquals(List.of("u2/phone"), m1.devices());
    assertEquals(List.of("send", "ok", "receipt", "receive", "receipt", "read", "receipt"),
        m1.events().stream().map(HistoryTrace.Event::kind).toList());
    HistoryTrace.Part m2 = t.parts().get(1);
    assertEquals(List.of(1, 0, 2, 0), m2.events().stream().filter(e -> !e.kind().equals("receive")
        && !e.kind().equals("receipt")).map(HistoryTrace.Event::n).toList());
  }

  @Test
  void eachOwedDeviceIsAPartOfItsOwnAndStrangersToo() throws Exception {
    Path h = write(roster
        + op(1, "c1", "invoke", "send", "{\"id\":\"m1\",\"key\":\"k1\",\"from\":\"u1\",\"to\":[\"u2\"],\"attempt\":1}")
        + op(2, "c1", "ok", "send", "{\"id\":\"m1\",\"key\":\"k1\",\"from\":\"u1\",\"to\":[\"u2\"],\"attempt\":1}")
        + op(3, "d:u1/phone", "ok", "receive", "{\"id\":\"m1\",\"recipient\":\"u1\",\"device\":\"phone\"}")
        + op(4, "d:u2/phone", "ok", "receive", "{\"id\":\"m9\",\"recipient\":\"u2\",\"device\":\"phone\"}"));
    HistoryTrace t = HistoryTrace.read(h);
    assertEquals(List.of("m1 [u2/phone] [u2/phone] 2", "m1 [u2/laptop] [u2/laptop] 2", "m1 [u1/phone] [] 3",
        "m9 [u2/phone] [] 1"), t.parts().stream().map(p -> p.message() + " " + p.devices() + " " + p.owed() + " "
        + p.events().size()).toList());
  }

  @Test
  void aReceiptForARecipientJoinsItsDevicesInOnePart() throws Exception {
    Path h = write(roster
        + op(1, "c1", "invoke", "send", "{\"id\":\"m1\",\"key\":\"k1\",\"from\":\"u1\",\"to\":[\"u2\"],\"attempt\":1}")
        + op(2, "c1", "ok", "send", "{\"id\":\"m1\",\"key\":\"k1\",\"from\":\"u1\",\"to\":[\"u2\"],\"attempt\":1}")
        + op(3, "d:u2/laptop", "ok", "receive", "{\"id\":\"m1\",\"recipient\":\"u2\",\"device\":\"laptop\"}")
        + op(4, "r:u1", "ok", "receipt", "{\"id\":\"m1\",\"recipient\":\"u2\",\"state\":\"delivered\"}"));
    HistoryTrace t = HistoryTrace.read(h);
    assertEquals(1, t.parts().size());
    assertEquals(List.of("u2/laptop", "u2/phone"), t.parts().get(0).devices());
    assertEquals(Set.of("u2/phone", "u2/laptop"), t.parts().get(0).events().get(3).ds());
  }

  @Test
  void contractV2OpsAreReadAndHarnessErrorsLeftOut() throws Exception {
    Path h = write(roster
        + op(1, "harness", "info", "system", "{\"name\":\"x\",\"guarantee\":\"at-least-once\",\"receipts\":true,\"order\":\"none\"}")
        + op(2, "c1", "invoke", "send", "{\"id\":\"m1\",\"key\":\"k1\",\"from\":\"u1\",\"to\":[\"u1\"],\"attempt\":1}")
        + op(3, "harness", "info", "error", "{\"what\":\"nemesis\",\"message\":\"tc: netem not available\"}")
        + op(4, "c1", "fail", "send", "{\"id\":\"m1\",\"key\":\"k1\",\"from\":\"u1\",\"to\":[\"u1\"],\"attempt\":1}")
        + op(5, "harness", "info", "drained", "{\"quiet_ms\":10,\"healed\":false,\"reason\":\"drain-cap\"}"));
    HistoryTrace t = HistoryTrace.read(h);
    assertEquals("at-least-once", t.guarantee());
    assertTrue(t.receiptsClaimed());
    assertFalse(t.orderClaimed());
    assertFalse(t.drained(), "an unhealed drained does not judge loss");
    assertEquals(List.of("send", "info"), t.parts().get(0).events().stream().map(HistoryTrace.Event::kind).toList());
  }

  @Test
  void nemesisOpsOfAnyKindAreLeftOutNewOnesToo() throws Exception {
    // power-loss, clock-skew, corrupt-file and a silent partition (issue 13): the trace never reads
    // a nemesis op, so a kind it has never heard of cannot break `spec trace`
    Path h = write(roster
        + op(1, "c1", "invoke", "send", "{\"id\":\"m1\",\"key\":\"k1\",\"from\":\"u1\",\"to\":[\"u1\"],\"attempt\":1}")
        + op(2, "nemesis", "info", "start-power-loss", "{\"db\":true,\"nodes\":[\"n1\"],\"dropped\":{\"reverted_files\":16}}")
        + op(3, "c1", "ok", "send", "{\"id\":\"m1\",\"key\":\"k1\",\"from\":\"u1\",\"to\":[\"u1\"],\"attempt\":1}")
        + op(4, "nemesis", "info", "stop-power-loss", "{\"db\":true,\"nodes\":[\"n1\"]}")
        + op(5, "nemesis", "info", "start-clock-skew", "{\"node\":\"n2\",\"clock\":\"rate\",\"rate\":4.0}")
        + op(6, "d:u1/phone", "ok", "receive", "{\"id\":\"m1\",\"recipient\":\"u1\",\"device\":\"phone\"}")
        + op(7, "nemesis", "info", "stop-clock-skew", "{\"node\":\"n2\",\"clock\":\"rate\",\"rate\":4.0}")
        + op(8, "nemesis", "info", "start-partition", "{\"mode\":\"drop\",\"shape\":\"halves\"}")
        + op(9, "nemesis", "info", "stop-partition", "{\"mode\":\"drop\",\"shape\":\"halves\"}")
        + op(10, "nemesis", "info", "start-corrupt-file", "{\"nodes\":[\"n3\"],\"seed\":1}")
        + op(11, "nemesis", "info", "stop-some-future-fault", "{}")
        + op(12, "harness", "info", "drained", "{\"quiet_ms\":10,\"healed\":true}"));
    HistoryTrace t = HistoryTrace.read(h);
    assertTrue(t.drained());
    assertEquals(List.of("send", "ok", "receive"), t.parts().get(0).events().stream().map(HistoryTrace.Event::kind).toList());
  }

  @Test
  void readerErrorsOfTheContractNameTheLine() throws Exception {
    String send = op(1, "c1", "invoke", "send", "{\"id\":\"m1\",\"key\":\"k1\",\"from\":\"u1\",\"to\":[\"u2\"],\"attempt\":1}")
        + op(2, "c1", "info", "send", "{\"id\":\"m1\",\"key\":\"k1\",\"from\":\"u1\",\"to\":[\"u2\"],\"attempt\":1}");
    assertError(roster + send + op(3, "c1", "invoke", "send", "{\"id\":\"m1\",\"key\":\"k1\",\"from\":\"u1\",\"to\":[\"u1\"],\"attempt\":2}"),
        ":4: send of m1: its to differs from its first send on line 2");
    assertError(roster + send + op(3, "c1", "invoke", "send", "{\"id\":\"m1\",\"key\":\"k2\",\"from\":\"u1\",\"to\":[\"u2\"],\"attempt\":2}"),
        ":4: send of m1: its key differs");
    assertError(send.replace("\"index\":1", "\"index\":0").replace("\"index\":2", "\"index\":1"), ":1: send before the roster");
    assertError(roster + op(1, "c1", "invoke", "send", "{\"id\":\"m1\",\"key\":\"k1\",\"from\":\"u1\",\"to\":[\"u7\"],\"attempt\":1}"),
        ":2: send of m1 to u7, a user the roster does not name");
    assertError(roster + op(1, "harness", "info", "drained", "{\"quiet_ms\":1,\"healed\":true}")
        + op(2, "d:u1/phone", "ok", "receive", "{\"id\":\"m1\",\"recipient\":\"u1\",\"device\":\"phone\"}"),
        ":3: receive after `drained` (line 2)");
    assertError(roster + roster.replace("\"index\":0", "\"index\":1"), ":2: a second roster");
    assertError(roster + send + op(3, "harness", "info", "system", "{\"guarantee\":\"exactly-once\"}"),
        ":4: system op after a send");
    assertError(roster + "{oops\n", ":2:");
  }

  void assertError(String text, String expected) throws Exception {
    Path h = write(text);
    var e = assertThrows(HistoryTrace.TraceException.class, () -> HistoryTrace.read(h));
    assertTrue(e.getMessage().startsWith(h.toString()) && e.getMessage().contains(expected), e.getMessage());
  }

  @Test
  void partsWithTheSameShapeAreOneQuestion() throws Exception {
    HistoryTrace t = HistoryTrace.read(Specs.dir().resolve("traces/real-node-ok.jsonl"));
    List<TraceValidator.Shape> shapes = TraceValidator.shapes(t);
    assertEquals(3, t.parts().size());
    assertTrue(shapes.size() < t.parts().size(), "m1 and m2 have the same shape: " + shapes.size());
    String module = TraceValidator.module(shapes, new TraceValidator.Bounds("exactly-once", 2, 1, false));
    assertTrue(module.contains("[k |-> \"receive\", m |-> \"m\", d |-> \"d1\", ds |-> {\"d1\"}, n |-> 0, s |-> \"\"]"), module);
    assertTrue(module.contains("TraceOwed == [x \\in Msgs |-> {\"d1\"}]"), module);
  }

  @Test
  void quotesAreEscaped() {
    assertEquals("\"a\\\"b\\\\c\"", HistoryTrace.q("a\"b\\c"));
  }
}
