package io.deliverycheck.checker.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.Guarantee;
import io.deliverycheck.checker.Validity;
import io.deliverycheck.checker.history.Op;
import io.deliverycheck.checker.history.OpType;
import io.deliverycheck.checker.history.Recorder;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runner's phases against an in-memory environment and workload (no network). */
class RunnerTest {
  @TempDir Path results;
  final List<String> calls = new ArrayList<>();

  /** Sends m0..m(n-1) to u1 (one device) at start; receives all but {@code missing} of them. */
  final class MemoryWorkload implements Workload {
    final int n;
    final int missing;
    Recorder rec;
    long lastReceive = -1;
    int received;

    MemoryWorkload(int n, int missing) {
      this.n = n;
      this.missing = missing;
    }

    @Override public String name() { return "memory"; }

    @Override public void setup(Environment env, Recorder rec) {
      calls.add("workload.setup");
      this.rec = rec;
      ObjectNode roster = JsonNodeFactory.instance.objectNode();
      roster.putArray("u1").add("phone");
      rec.info("harness", "roster", roster);
    }

    @Override public void start() {
      calls.add("workload.start");
      for (int i = 0; i < n; i++) {
        ObjectNode v = JsonNodeFactory.instance.objectNode().put("id", "m" + i).put("key", "k" + i).put("from", "u0");
        v.putArray("to").add("u1");
        v.put("attempt", 1);
        Op inv = rec.invoke("c0", "send", v, "n1");
        rec.complete(inv, OpType.OK, v, null);
        if (i >= missing) {
          rec.ok("d:u1/phone", "receive", JsonNodeFactory.instance.objectNode().put("id", "m" + i)
              .put("recipient", "u1").put("device", "phone"), "n1");
          received++;
          lastReceive = rec.now();
        }
      }
    }

    @Override public void stopGenerating() { calls.add("workload.stop"); }

    @Override public boolean awaitOpenSends(Duration timeout) { calls.add("workload.await"); return true; }

    @Override public WorkloadStats stats() {
      return new WorkloadStats(n, 0, n, n, 0, 0, received, 0, 0, n, received, lastReceive);
    }

    @Override public void close() { calls.add("workload.close"); }
  }

  final class MemoryEnvironment implements Environment {
    final boolean failSetup;

    MemoryEnvironment(boolean failSetup) {
      this.failSetup = failSetup;
    }

    @Override public void setup(Path runDir, Recorder rec) throws Exception {
      calls.add("env.setup");
      Files.writeString(runDir.resolve("logs").resolve("n1.log"), "node log\n");
      if (failSetup) {
        throw new IllegalStateException("node n1 did not become healthy; see logs/n1.log");
      }
    }
    @Override public List<String> nodes() { return List.of("n1"); }
    @Override public URI clientEndpoint(String node) { return URI.create("http://127.0.0.1:1"); }
    @Override public URI adminEndpoint(String node) { return URI.create("http://127.0.0.1:1"); }
    @Override public void kill(String node) {}
    @Override public void restart(String node) {}
    @Override public void pause(String node) {}
    @Override public void resume(String node) {}
    @Override public void partition(Grudge grudge) {}
    @Override public void heal() {}
    @Override public void restartDatabase() {}
    @Override public void delayLinks(Duration delay) {}
    @Override public void clearDelay() {}
    @Override public void disconnectClients(String node) {}
    @Override public List<Path> logs() { return List.of(); }
    @Override public void close() { calls.add("env.close"); }
  }

  final class MemoryNemesis implements Nemesis {
    final long seed;
    MemoryNemesis(long seed) { this.seed = seed; }
    @Override public FaultPlan plan() { return FaultPlan.empty(seed); }
    @Override public void start(Environment env, Recorder rec) { calls.add("nemesis.start"); }
    @Override public void healAll() { calls.add("nemesis.heal"); }
  }

  TestSpec spec(boolean failSetup, int missing, Duration quiet) {
    return TestSpec.builder().name("memory").seed(9).guarantee(Guarantee.EXACTLY_ONCE)
        .environment(s -> new MemoryEnvironment(failSetup))
        .workload(s -> new MemoryWorkload(20, missing))
        .nemesis((nodes, s, limit) -> new MemoryNemesis(s))
        .timeLimit(Duration.ofMillis(200)).quiet(quiet).drainCap(Duration.ofSeconds(5))
        .resultsRoot(results).build();
  }

  @Test
  void runsThePhasesInOrderAndLeavesAJudgedFolder() throws Exception {
    RunResult r = Runner.run(spec(false, 0, Duration.ofSeconds(5)));
    assertEquals(List.of("env.setup", "workload.setup", "nemesis.start", "workload.start", "workload.stop",
        "nemesis.heal", "workload.await", "workload.close", "env.close"), calls);
    assertEquals(Validity.VALID, r.result().valid(), r.result().summary());
    assertEquals("all-delivered", r.drainReason());
    for (String f : List.of("history.jsonl", "results.json", "faults.json", "test.json", "metrics.jsonl", "logs/n1.log")) {
      assertTrue(Files.exists(r.runDir().resolve(f)), f);
    }
    assertEquals(r.runDir().getFileName(), Files.readSymbolicLink(results.resolve("memory").resolve("latest")));
    JsonNode test = new ObjectMapper().readTree(r.runDir().resolve("test.json").toFile());
    assertEquals(9, test.get("seed").asLong());
    List<String> lines = Files.readAllLines(r.history());
    assertTrue(lines.get(lines.size() - 1).contains("\"drained\""));
  }

  @Test
  void aMissingDeliveryEndsTheDrainAfterTheQuietPeriodAndIsLost() throws Exception {
    long t0 = System.nanoTime();
    RunResult r = Runner.run(spec(false, 2, Duration.ofMillis(500)));
    assertEquals("quiet", r.drainReason());
    assertTrue(System.nanoTime() - t0 < 4_000_000_000L, "bounded by the quiet period");
    assertEquals(Validity.INVALID, r.result().valid());
    assertEquals(2L, r.result().counts().get("lost"));
  }

  @Test
  void twoRunsInTheSameSecondGetTwoFolders() throws Exception {
    RunResult a = Runner.run(spec(false, 0, Duration.ofSeconds(1)));
    RunResult b = Runner.run(spec(false, 0, Duration.ofSeconds(1)));
    assertTrue(!a.runDir().equals(b.runDir()));
    assertEquals(b.runDir().getFileName(), Files.readSymbolicLink(results.resolve("memory").resolve("latest")));
  }

  @Test
  void aSetupFailureClosesTheEnvironmentAndKeepsTheEvidence() {
    SetupException e = assertThrows(SetupException.class, () -> Runner.run(spec(true, 0, Duration.ofSeconds(1))));
    assertTrue(e.getMessage().contains("node n1 did not become healthy"), e.getMessage());
    assertTrue(calls.contains("env.close"));
    assertTrue(Files.exists(e.runDir().resolve("error.txt")));
    assertTrue(Files.exists(e.runDir().resolve("logs").resolve("n1.log")));
    assertTrue(!Files.exists(e.runDir().resolve("results.json")), "nothing is judged");
  }

  @Test
  void metricsAreParsedFromPrometheusText() {
    ObjectNode m = MetricsScraper.parse("# HELP x\n# TYPE deliverycheck_backlog gauge\ndeliverycheck_backlog 3\n"
        + "deliverycheck_ack_latency_seconds_bucket{le=\"0.1\"} 4\ndeliverycheck_ack_latency_seconds_sum 0.25\n"
        + "deliverycheck_ack_latency_seconds_count 4\nfoo{a=\"b c\"} 2.5\n");
    assertEquals(3, m.get("deliverycheck_backlog").asLong());
    assertEquals(0.25, m.get("deliverycheck_ack_latency_seconds_sum").asDouble());
    assertEquals(4, m.get("deliverycheck_ack_latency_seconds_count").asLong());
    assertTrue(m.has("foo{a=\"b c\"}"));
    assertTrue(!m.has("deliverycheck_ack_latency_seconds_bucket{le=\"0.1\"}"));
  }
}
