package io.deliverycheck.checker.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The recorder: many threads, one gap-free index, one clock; every op readable once flushed. */
class RecorderTest {
  private static final JsonNodeFactory NF = JsonNodeFactory.instance;

  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(strings = {"history.jsonl", "history.jsonl.gz"})
  void manyThreadsRecordAGapFreeReadableHistory(String name) throws Exception {
    Path f = dir.resolve(name);
    int threads = 8;
    int perThread = 500;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try (Recorder rec = Recorder.open(f)) {
      rec.info("harness", "roster", NF.objectNode().set("u1", NF.arrayNode().add("phone")));
      CountDownLatch go = new CountDownLatch(1);
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        String proc = "c" + t;
        fs.add(pool.submit(() -> {
          go.await();
          for (int i = 0; i < perThread; i++) {
            ObjectNode v = NF.objectNode().put("id", proc + "-" + i).put("key", "k").put("from", "u1");
            v.putArray("to").add("u1");
            Op inv = rec.invoke(proc, "send", v, "n1");
            rec.ok("d:u1/phone", "receive", NF.objectNode().put("id", proc + "-" + i)
                .put("recipient", "u1").put("device", "phone"), "n1");
            rec.complete(inv, i % 3 == 0 ? OpType.INFO : OpType.OK, null, i % 3 == 0 ? "timeout" : null);
          }
          return null;
        }));
      }
      go.countDown();
      for (Future<?> x : fs) {
        x.get();
      }
      rec.info("harness", "drained", NF.objectNode().put("quiet_ms", 0));
      assertEquals(2 + threads * perThread * 3L, rec.size());
    } finally {
      pool.shutdownNow();
    }
    long n = 0;
    long lastTime = -1;
    try (HistoryReader r = HistoryReader.open(f)) { // the reader checks indexes and pairing
      for (Op op; (op = r.next()) != null; n++) {
        assertEquals(n, op.index());
        assertTrue(op.time() >= lastTime, "time went back at " + op);
        lastTime = op.time();
      }
    }
    assertEquals(2 + threads * perThread * 3L, n);
  }

  @Test
  void everyOpIsOnDiskOnceFlushed() throws Exception {
    Path f = dir.resolve("history.jsonl.gz");
    try (Recorder rec = Recorder.open(f)) {
      rec.info("harness", "roster", NF.objectNode().set("u1", NF.arrayNode().add("phone")));
      rec.info("nemesis", "kill", NF.objectNode().put("node", "n1"));
      ObjectNode send = NF.objectNode().put("id", "m1");
      send.putArray("to").add("u1");
      Op inv = rec.invoke("c1", "send", send, "n2");
      rec.flush();
      // not closed: read what a killed harness would leave (a gzip stream without its trailer)
      Path copy = dir.resolve("copy.jsonl.gz");
      Files.copy(f, copy);
      try (HistoryReader r = HistoryReader.open(copy)) {
        assertEquals("roster", r.next().f());
        assertEquals("kill", r.next().f());
        assertEquals(inv, r.next());
        HistoryFormatException e = assertThrows(HistoryFormatException.class, r::next);
        assertEquals(4, e.line());
        assertTrue(e.problem().contains("ends abruptly"), e.getMessage());
      }
      // the checker's fast path says the same
      HistoryFormatException c = assertThrows(HistoryFormatException.class,
          () -> io.deliverycheck.checker.DeliveryChecker.check(copy, io.deliverycheck.checker.Guarantee.EXACTLY_ONCE));
      assertEquals(4, c.line());
      // cut inside the compressed data: the error names a line, never a stack trace
      byte[] all = Files.readAllBytes(copy);
      Path cut = dir.resolve("cut.jsonl.gz");
      Files.write(cut, java.util.Arrays.copyOf(all, all.length - 7));
      HistoryFormatException x = assertThrows(HistoryFormatException.class, () -> {
        try (HistoryReader r = HistoryReader.open(cut)) {
          while (r.next() != null) {
            // read on
          }
        }
      });
      assertTrue(x.line() >= 1 && x.line() <= 4, x.getMessage());
      assertTrue(x.problem().contains("compressed"), x.getMessage());
      Path plain = dir.resolve("p.jsonl");
      try (Recorder p = Recorder.open(plain)) {
        p.info("nemesis", "kill", NF.objectNode());
        p.flush();
        assertEquals(1, Files.readAllLines(plain).size());
      }
    }
  }

  @Test
  void theRecorderRefusesOpsTheReaderWouldReject() throws Exception {
    try (Recorder rec = Recorder.open(dir.resolve("h.jsonl"))) {
      Op inv = rec.invoke("c1", "send", NF.objectNode(), null);
      assertThrows(IllegalStateException.class, () -> rec.invoke("c1", "send", NF.objectNode(), null));
      rec.complete(inv, OpType.FAIL, null, "no");
      assertThrows(IllegalStateException.class, () -> rec.complete(inv, OpType.OK, null, null));
      assertThrows(IllegalArgumentException.class, () -> rec.ok("c1", "send", NF.objectNode(), null));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"h.jsonl", "h.jsonl.gz"})
  void writerAndReaderRoundTrip(String name) throws Exception {
    Path f = dir.resolve(name);
    List<Op> ops = List.of(
        new Op(0, 0, "harness", OpType.INFO, "roster", NF.objectNode(), null, null),
        new Op(1, 10, "c1", OpType.INVOKE, "send", NF.objectNode().put("id", "m\"1\u00e9"), "n1", null),
        new Op(2, 20, "c1", OpType.INFO, "send", NF.objectNode(), "n1", "timeout: 5 s"));
    try (HistoryWriter w = HistoryWriter.open(f)) {
      ops.forEach(w::write);
    }
    try (HistoryReader r = HistoryReader.open(f)) {
      for (Op op : ops) {
        assertEquals(op, r.next());
      }
      assertNull(r.next());
    }
  }
}
