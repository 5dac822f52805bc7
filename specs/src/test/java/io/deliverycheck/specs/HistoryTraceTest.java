package io.deliverycheck.specs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HistoryTraceTest {

  @Test
  void keepsObservableEventsInOrder() throws Exception {
    HistoryTrace t = HistoryTrace.read(Specs.dir().resolve("traces/ok-exactly-once.jsonl"));
    assertEquals(Set.of("m1", "m2"), t.msgs());
    assertEquals(Set.of("u2/phone"), t.devices());
    assertEquals(2, t.maxAttempt());
    assertTrue(t.drained());
    assertEquals(List.of("send", "ok", "receipt", "receive", "receipt", "read", "receipt", "send", "info", "send", "ok",
        "receive", "receipt"), t.events().stream().map(HistoryTrace.Event::kind).toList());
    assertTrue(t.module("HistoryTrace").contains("[k |-> \"send\", m |-> \"m2\", d |-> \"-\", n |-> 2, s |-> \"\"]"));
    assertTrue(t.config("exactly-once", 2, 1).contains("Devices = {\"u2/phone\"}"));
  }

  @Test
  void badLinesNameFileAndLine(@TempDir Path dir) throws Exception {
    Path h = dir.resolve("h.jsonl");
    Files.writeString(h, "{\"index\":0,\"type\":\"info\",\"f\":\"roster\",\"value\":{}}\n{oops\n");
    var e = assertThrows(HistoryTrace.TraceException.class, () -> HistoryTrace.read(h));
    assertTrue(e.getMessage().startsWith(h + ":2: bad JSON"), e.getMessage());
  }

  @Test
  void eachMessageIsOwedToItsRecipientsDevices(@TempDir Path dir) throws Exception {
    Path h = dir.resolve("h.jsonl");
    Files.writeString(h, """
        {"index":0,"type":"info","f":"roster","process":"harness","value":{"u1":["phone"],"u2":["phone","laptop"]}}
        {"index":1,"type":"invoke","f":"send","process":"c1","value":{"id":"m1","to":["u2"],"attempt":1}}
        {"index":2,"type":"invoke","f":"send","process":"c2","value":{"id":"m2","to":["u1"],"attempt":1}}
        {"index":3,"type":"ok","f":"receive","process":"d:u1/phone","value":{"id":"m9","recipient":"u1","device":"phone"}}
        """);
    HistoryTrace t = HistoryTrace.read(h);
    assertEquals(Set.of("u2/phone", "u2/laptop"), t.owed().get("m1"));
    assertEquals(Set.of("u1/phone"), t.owed().get("m2"));
    assertEquals(Set.of(), t.owed().get("m9"));
    assertEquals(Set.of("u1/phone", "u2/phone", "u2/laptop"), t.devices());
    assertTrue(t.module("T").contains("CASE m = \"m1\" -> {\"u2/phone\", \"u2/laptop\"}"), t.module("T"));
  }

  @Test
  void aRetryToOtherRecipientsIsRejected(@TempDir Path dir) throws Exception {
    Path h = dir.resolve("h.jsonl");
    Files.writeString(h, """
        {"index":0,"type":"invoke","f":"send","process":"c1","value":{"id":"m1","to":["u2"],"attempt":1}}
        {"index":1,"type":"invoke","f":"send","process":"c1","value":{"id":"m1","to":["u3"],"attempt":2}}
        """);
    var e = assertThrows(HistoryTrace.TraceException.class, () -> HistoryTrace.read(h));
    assertTrue(e.getMessage().contains(":2: message m1 goes to [u3], its earlier send to [u2]"), e.getMessage());
  }

  @Test
  void quotesAreEscaped() {
    assertEquals("\"a\\\"b\\\\c\"", HistoryTrace.q("a\"b\\c"));
  }
}
