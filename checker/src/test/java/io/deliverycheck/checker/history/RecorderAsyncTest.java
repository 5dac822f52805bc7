package io.deliverycheck.checker.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The recorder writes from its own thread: a call never waits for the disk, the order of the calls
 * is the order of the file, and nothing recorded is lost at close or on SIGTERM.
 */
class RecorderAsyncTest {
  private static final JsonNodeFactory NF = JsonNodeFactory.instance;
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  private static ObjectNode receive(int i) {
    return NF.objectNode().put("id", "m" + i).put("recipient", "u1").put("device", "phone");
  }

  private Path fifo(String name) throws Exception {
    Path f = dir.resolve(name);
    Process p = new ProcessBuilder("mkfifo", f.toString()).inheritIO().start();
    assertEquals(0, p.waitFor(), "mkfifo");
    return f;
  }

  /** Reads every line of {@code in} once {@code go} completes. */
  private static CompletableFuture<List<String>> readAfter(CompletableFuture<Void> go, Path file) {
    return CompletableFuture.supplyAsync(() -> {
      try (InputStream in = new FileInputStream(file.toFile())) { // opening waits for the writer
        go.join();
        List<String> lines = new ArrayList<>();
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        for (String l; (l = r.readLine()) != null; ) {
          lines.add(l);
        }
        return lines;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
  }

  private static void assertGapFree(List<String> lines, int n) throws Exception {
    assertEquals(n, lines.size(), "every op recorded is in the file");
    for (int i = 0; i < n; i++) {
      JsonNode op = JSON.readTree(lines.get(i));
      assertEquals(i, op.get("index").asLong());
      assertEquals("m" + i, op.get("value").get("id").asText(), "the file keeps the order of the calls");
    }
  }

  @Test
  void aCallNeverWaitsForTheDiskAndCloseWritesEverything() throws Exception {
    // a FIFO nobody reads yet is a disk that stalls: the writer blocks after the pipe's 64 KB
    Path f = fifo("stalled.jsonl");
    CompletableFuture<Void> go = new CompletableFuture<>();
    CompletableFuture<List<String>> lines = readAfter(go, f);
    int n = 20_000; // about 2 MB: far more than the pipe holds, less than the queue
    Recorder rec = Recorder.open(f);
    long t0 = System.nanoTime();
    for (int i = 0; i < n; i++) {
      rec.ok("d:u1/phone", "receive", receive(i), "n1");
    }
    long took = System.nanoTime() - t0;
    assertEquals(0, rec.fullWaits(), "no call waited for room");
    assertTrue(rec.backlog() > n / 2, "the writer is stuck on the stalled file, the calls were not: backlog "
        + rec.backlog());
    System.out.printf("recorded %d ops in %.1f ms while the file was stalled (backlog %d)%n", n, took / 1e6, rec.backlog());
    go.complete(null); // the disk comes back
    rec.close();
    assertGapFree(lines.get(60, TimeUnit.SECONDS), n);
  }

  @Test
  void aValueChangedAfterTheCallIsWrittenAsItWasAtTheCall() throws Exception {
    Path f = dir.resolve("h.jsonl");
    try (Recorder rec = Recorder.open(f)) {
      ObjectNode v = NF.objectNode().put("node", "n1");
      rec.info("nemesis", "kill", v);
      v.put("node", "n2");
      rec.info("nemesis", "restart", v);
    }
    List<String> lines = Files.readAllLines(f);
    assertEquals("n1", JSON.readTree(lines.get(0)).get("value").get("node").asText());
    assertEquals("n2", JSON.readTree(lines.get(1)).get("value").get("node").asText());
  }

  @Test
  void harnessErrorsAreTheErrorOpsAndTheNemesisOpsThatCarryAnError() throws Exception {
    try (Recorder rec = Recorder.open(dir.resolve("h.jsonl"))) {
      rec.info("nemesis", "kill", NF.objectNode().put("node", "n1"));
      rec.info("nemesis", "start-partition", NF.objectNode(), "IOException: iptables: permission denied");
      rec.info("harness", "error", NF.objectNode().put("what", "health").put("message", "n2 not healthy"));
      rec.ok("d:u1/phone", "receive", receive(1), "n1");
      List<Op> errors = rec.harnessErrors();
      assertEquals(2, errors.size());
      assertEquals(List.of(1L, 2L), errors.stream().map(Op::index).toList());
      assertEquals("IOException: iptables: permission denied", errors.get(0).error());
    }
    JsonNode op = JSON.readTree(Files.readAllLines(dir.resolve("h.jsonl")).get(1));
    assertEquals("IOException: iptables: permission denied", op.get("error").asText(), "the op's error field");
  }

  /**
   * A few thousand ops per second from several threads, as a loaded run records them: no call ever
   * finds the queue full and the file trails the calls by little. Prints what it measured (the
   * machine is shared: the numbers are for this run, not a benchmark).
   */
  @Test
  void keepsUpWithThousandsOfOpsPerSecond() throws Exception {
    Path f = dir.resolve("paced.jsonl.gz");
    int threads = 4;
    int perSecondEach = 1500; // 6000 ops/s in all
    long seconds = 3;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    AtomicLong maxBacklog = new AtomicLong();
    AtomicLong slowest = new AtomicLong();
    long total = threads * perSecondEach * seconds;
    try (Recorder rec = Recorder.open(f)) {
      List<Future<?>> fs = new ArrayList<>();
      long start = System.nanoTime();
      for (int t = 0; t < threads; t++) {
        String proc = "d:u" + t + "/phone";
        fs.add(pool.submit(() -> {
          for (int i = 0; i < perSecondEach * seconds; i++) {
            long due = start + i * 1_000_000_000L / perSecondEach;
            long wait;
            while ((wait = due - System.nanoTime()) > 0) {
              LockSupport.parkNanos(wait);
            }
            long c0 = System.nanoTime();
            rec.ok(proc, "receive", receive(i), "n1");
            slowest.accumulateAndGet(System.nanoTime() - c0, Math::max);
            maxBacklog.accumulateAndGet(rec.backlog(), Math::max);
          }
          return null;
        }));
      }
      for (Future<?> x : fs) {
        x.get();
      }
      double rate = total / ((System.nanoTime() - start) / 1e9);
      assertEquals(0, rec.fullWaits(), "no call waited for the writer");
      assertTrue(maxBacklog.get() < Recorder.CAPACITY / 4, "the writer kept up: backlog at most " + maxBacklog.get());
      rec.flush();
      System.out.printf("recorded %d ops at %.0f ops/s from %d threads; most ops waiting %d; slowest call %.2f ms%n",
          total, rate, threads, maxBacklog.get(), slowest.get() / 1e6);
    } finally {
      pool.shutdownNow();
    }
    long n = 0;
    try (HistoryReader r = HistoryReader.open(f)) {
      while (r.next() != null) {
        n++;
      }
    }
    assertEquals(total, n);
  }

  @Test
  void sigtermOfTheHarnessLosesNothingItRecorded() throws Exception {
    Path f = fifo("child.jsonl");
    CompletableFuture<Void> go = new CompletableFuture<>();
    CompletableFuture<List<String>> lines = readAfter(go, f);
    int n = 20_000;
    Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx128m", "-cp", System.getProperty("java.class.path"), RecorderChild.class.getName(), f.toString(),
        Integer.toString(n)).redirectErrorStream(true).start();
    try {
      String said;
      try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
        said = out.readLine();
        assertNotNull(said, "the child recorded");
        assertTrue(said.startsWith("RECORDED " + n), said);
        long backlog = Long.parseLong(said.substring(said.lastIndexOf(' ') + 1));
        assertTrue(backlog > n / 2, "most ops were still queued when the child was stopped: " + said);
        child.destroy(); // SIGTERM, as Ctrl-C or a CI job's stop: the shutdown hook drains the queue
        go.complete(null); // let the stalled file take what the hook writes
        assertGapFree(lines.get(60, TimeUnit.SECONDS), n);
        assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the child exits once everything is written");
      }
    } finally {
      child.destroyForcibly();
    }
  }
}
