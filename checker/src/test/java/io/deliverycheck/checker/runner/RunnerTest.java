package io.deliverycheck.checker.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
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
    volatile long lastReceive = -1;
    int received;
    long lateDuplicateAfterMs = -1;
    /** When the sender is told "delivered" of every message, after the sends are done; -1: never. */
    long receiptsAfterMs = -1;
    volatile long resolved;
    int openSends;

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

    @Override public boolean awaitOpenSends(Duration timeout) {
      calls.add("workload.await");
      if (lateDuplicateAfterMs >= 0) { // a redelivery that comes after everything owed arrived
        Thread t = new Thread(() -> {
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(lateDuplicateAfterMs));
          rec.ok("d:u1/phone", "receive", JsonNodeFactory.instance.objectNode().put("id", "m" + (n - 1))
              .put("recipient", "u1").put("device", "phone"), "n1");
          lastReceive = rec.now();
        });
        t.setDaemon(true);
        t.start();
      }
      if (receiptsAfterMs >= 0) { // the sender is told late, long after the last receive
        Thread t = new Thread(() -> {
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(receiptsAfterMs));
          for (int i = 0; i < n; i++) {
            rec.ok("r:u0", "receipt", JsonNodeFactory.instance.objectNode().put("id", "m" + i)
                .put("recipient", "u1").put("device", "phone").put("state", "delivered"), "n1");
          }
          resolved = n;
        });
        t.setDaemon(true);
        t.start();
      }
      return openSends == 0;
    }

    @Override public WorkloadStats stats() {
      return new WorkloadStats(n, 0, n, n, 0, 0, received, 0, 0, n, received, lastReceive, resolved);
    }

    @Override public void close() { calls.add("workload.close"); }
  }

  final class MemoryEnvironment implements Environment, ClientDisconnectable, DatabaseRestartable, Killable, LinkDelayable, Partitionable, Pausable {
    final boolean failSetup;
    Duration horizon = Duration.ZERO;
    boolean unhealthy;
    boolean brokenMetricsFile;
    boolean claimsReceipts;
    boolean noAdminEndpoint;

    MemoryEnvironment(boolean failSetup) {
      this.failSetup = failSetup;
    }

    @Override public void setup(Path runDir, Recorder rec) throws Exception {
      calls.add("env.setup");
      Files.writeString(runDir.resolve("logs").resolve("n1.log"), "node log\n");
      if (brokenMetricsFile) {
        Files.createDirectories(runDir.resolve("metrics.jsonl")); // the scraper cannot open it
      }
      if (failSetup) {
        throw new IllegalStateException("node n1 did not become healthy; see logs/n1.log");
      }
    }
    @Override public Duration retryHorizon() { return horizon; }
    @Override public ObjectNode system() {
      return claimsReceipts ? JsonNodeFactory.instance.objectNode().put("name", "memory")
          .put("guarantee", "exactly-once").put("receipts", true).put("order", "none") : null;
    }
    @Override public void awaitHealthy(Duration timeout) {
      calls.add("env.awaitHealthy");
      if (unhealthy) {
        throw new IllegalStateException("node n1 not healthy after 60 s; see logs/n1.log");
      }
    }
    @Override public List<String> nodes() { return List.of("n1"); }
    @Override public URI clientEndpoint(String node) { return URI.create("http://127.0.0.1:1"); }
    @Override public URI adminEndpoint(String node) { return noAdminEndpoint ? null : URI.create("http://127.0.0.1:1"); }
    @Override public void kill(String node) {}
    @Override public void restart(String node) {}
    @Override public void pause(String node) {}
    @Override public void resume(String node) {}
    @Override public List<String> partitionMembers() { return List.of("n1"); }
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
    Exception healFailure;
    Recorder rec;
    MemoryNemesis(long seed) { this.seed = seed; }
    @Override public FaultPlan plan() { return FaultPlan.empty(seed); }
    @Override public void start(Environment env, Recorder rec) { calls.add("nemesis.start"); this.rec = rec; }
    @Override public void healAll() throws Exception {
      calls.add("nemesis.heal");
      if (healFailure instanceof HealException) { // as ScheduledNemesis: the stop op says it
        rec.info("nemesis", "restart", JsonNodeFactory.instance.objectNode().put("node", "n1"), "IOException: no such file");
      }
      if (healFailure != null) {
        throw healFailure;
      }
    }
  }

  MemoryEnvironment env = new MemoryEnvironment(false);
  MemoryWorkload workload = new MemoryWorkload(20, 0);
  MemoryNemesis nemesis = new MemoryNemesis(9);

  TestSpec spec(boolean failSetup, int missing, Duration quiet) {
    return TestSpec.builder().name("memory").seed(9).guarantee(Guarantee.EXACTLY_ONCE)
        .environment(s -> new MemoryEnvironment(failSetup))
        .workload(s -> new MemoryWorkload(20, missing))
        .nemesis((env, s, limit) -> new MemoryNemesis(s))
        .timeLimit(Duration.ofMillis(200)).quiet(quiet).drainCap(Duration.ofSeconds(5))
        .resultsRoot(results).build();
  }

  /** A spec of the fields {@link #env}, {@link #workload} and {@link #nemesis}, set up by each test. */
  TestSpec.Builder configured(Duration quiet) {
    return TestSpec.builder().name("memory").seed(9).guarantee(Guarantee.EXACTLY_ONCE)
        .environment(s -> env)
        .workload(s -> workload)
        .nemesis((e, s, limit) -> nemesis)
        .timeLimit(Duration.ofMillis(200)).quiet(quiet).drainCap(Duration.ofSeconds(5))
        .resultsRoot(results);
  }

  static List<JsonNode> history(RunResult r) throws Exception {
    List<JsonNode> ops = new ArrayList<>();
    for (String line : Files.readAllLines(r.history())) {
      ops.add(new ObjectMapper().readTree(line));
    }
    return ops;
  }

  static List<JsonNode> errorOps(RunResult r) throws Exception {
    return history(r).stream().filter(o -> o.get("f").asText().equals("error")).toList();
  }

  static JsonNode drained(RunResult r) throws Exception {
    List<JsonNode> ops = history(r);
    JsonNode last = ops.get(ops.size() - 1);
    assertEquals("drained", last.get("f").asText(), "drained is the last op");
    return last.get("value");
  }

  @Test
  void runsThePhasesInOrderAndLeavesAJudgedFolder() throws Exception {
    RunResult r = Runner.run(spec(false, 0, Duration.ofSeconds(1)));
    assertEquals(List.of("env.setup", "workload.setup", "nemesis.start", "workload.start", "workload.stop",
        "nemesis.heal", "env.awaitHealthy", "workload.await", "workload.close", "env.close"), calls);
    assertEquals(0, r.exitCode());
    assertEquals(List.of(), r.harnessErrors());
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
  void aSystemWithoutAnAdminEndpointIsNotScrapedAndNotAnError() throws Exception {
    env.noAdminEndpoint = true;
    RunResult r = Runner.run(configured(Duration.ofMillis(300)).build());
    assertEquals(0, r.exitCode(), r.harnessErrors().toString());
    assertEquals(List.of(), r.harnessErrors());
    assertEquals(List.of(), Files.readAllLines(r.runDir().resolve("metrics.jsonl")), "no lines of errors about a missing endpoint");
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

  @Test
  void theDrainWaitsAQuietPeriodAfterEverythingArrivedAndSeesALateDuplicate() throws Exception {
    workload.lateDuplicateAfterMs = 600;
    long t0 = System.nanoTime();
    RunResult r = Runner.run(configured(Duration.ofSeconds(1)).build());
    assertTrue(System.nanoTime() - t0 >= 1_600_000_000L, "a quiet second after the late receive");
    assertEquals("all-delivered", r.drainReason());
    assertEquals(Validity.INVALID, r.result().valid(), r.result().summary());
    assertEquals(1L, r.result().counts().get("duplicated"), "the redelivery after all arrived was observed");
    assertTrue(drained(r).get("drain_ms").asLong() >= 1600, drained(r).toString());
  }

  @Test
  void whereReceiptsAreClaimedTheDrainWaitsUntilEverySenderIsTold() throws Exception {
    env.claimsReceipts = true;
    workload.receiptsAfterMs = 1500; // everything was received at once; the receipts come 1.5 s later
    long t0 = System.nanoTime();
    RunResult r = Runner.run(configured(Duration.ofMillis(300)).drainCap(Duration.ofSeconds(10)).build());
    assertTrue(System.nanoTime() - t0 >= 1_500_000_000L, "the drain outlasted the quiet period");
    JsonNode d = drained(r);
    assertEquals("all-delivered", r.drainReason(), d.toString());
    assertEquals(20, d.get("resolved").asLong(), d.toString());
    assertEquals(Validity.VALID, r.result().valid(), r.result().summary());
    assertEquals(0L, r.result().counts().get("unresolved"));
  }

  @Test
  void whereReceiptsAreClaimedAndNeverComeTheCapEndsTheDrainAndTheSendersAreUnresolved() throws Exception {
    env.claimsReceipts = true;
    RunResult r = Runner.run(configured(Duration.ofMillis(300)).drainCap(Duration.ofSeconds(2)).build());
    JsonNode d = drained(r);
    assertEquals("cap", r.drainReason(), d.toString());
    assertTrue(d.get("drain_ms").asLong() >= 2000, d.toString());
    assertEquals(0, d.get("resolved").asLong(), d.toString());
    assertEquals(Validity.INVALID, r.result().valid(), r.result().summary());
    assertEquals(20L, r.result().counts().get("unresolved"));
  }

  @Test
  void withoutAReceiptsClaimTheDrainDoesNotWaitForReceipts() throws Exception {
    long t0 = System.nanoTime();
    RunResult r = Runner.run(configured(Duration.ofMillis(300)).drainCap(Duration.ofSeconds(10)).build());
    assertEquals("all-delivered", r.drainReason());
    assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "bounded by the quiet period, not the cap");
    assertTrue(!drained(r).has("resolved"), drained(r).toString());
  }

  @Test
  void theQuietPeriodIsAtLeastTheRetryHorizonAndTheCapGrowsToHoldIt() throws Exception {
    env.horizon = Duration.ofMillis(1500);
    RunResult r = Runner.run(configured(Duration.ofMillis(300)).drainCap(Duration.ofSeconds(1)).build());
    JsonNode d = drained(r);
    assertEquals(1500, d.get("quiet_ms").asLong(), d.toString());
    assertEquals(1500, d.get("retry_horizon_ms").asLong());
    assertTrue(d.get("drain_ms").asLong() >= 1500, d.toString());
    JsonNode test = new ObjectMapper().readTree(r.runDir().resolve("test.json").toFile());
    assertEquals(1500, test.get("retry_horizon_ms").asLong());
    assertEquals(1500, test.get("quiet_ms").asLong(), "the effective quiet period");
    assertEquals(3000, test.get("drain_cap_ms").asLong(), "the cap holds the horizon and a quiet period");
    assertEquals(300, test.get("drain").get("requested_quiet_ms").asLong());
    assertEquals(1000, test.get("drain").get("requested_cap_ms").asLong());
    assertEquals(0, r.exitCode(), r.result().summary());
  }

  @Test
  void aNemesisThatCannotBeBuiltIsAHarnessErrorAndExitsFour() throws Exception {
    RunResult r = Runner.run(configured(Duration.ofMillis(300))
        .nemesis((e, s, limit) -> { throw new IllegalArgumentException("tc: netem not available"); }).build());
    List<JsonNode> errors = errorOps(r);
    assertEquals(1, errors.size(), errors.toString());
    assertEquals("harness", errors.get(0).get("process").asText());
    assertEquals("nemesis", errors.get(0).get("value").get("what").asText());
    assertTrue(errors.get(0).get("value").get("message").asText().contains("tc: netem not available"), errors.toString());
    assertEquals(Validity.VALID, r.result().valid(), "the verdict is on what was observed");
    assertEquals(4, r.exitCode(), "a run whose faults did not happen is not a pass");
    assertEquals(1, r.harnessErrorCount());
    assertTrue(r.harnessErrors().get(0).startsWith("nemesis: making the nemesis"), r.harnessErrors().toString());
    assertTrue(drained(r).get("healed").asBoolean(), "nothing was broken, so everything is healed");
    JsonNode results = new ObjectMapper().readTree(r.runDir().resolve("results.json").toFile());
    assertEquals(1, results.get("run").get("harness_errors").size());
    assertTrue(Files.readString(r.runDir().resolve("error.txt")).contains("tc: netem not available"));
  }

  @Test
  void aFaultThatCannotBeHealedMakesTheDrainUnhealedAndIsRecordedOnce() throws Exception {
    nemesis.healFailure = new HealException("restart: IOException: no such file", List.of("restart n2: timed out"));
    RunResult r = Runner.run(configured(Duration.ofMillis(300)).build());
    assertFalse(drained(r).get("healed").asBoolean());
    List<JsonNode> errors = errorOps(r);
    assertEquals(1, errors.size(), "only the failure no nemesis op shows: " + errors);
    assertEquals("heal", errors.get(0).get("value").get("what").asText());
    assertEquals(List.of("nemesis restart n1: IOException: no such file", "heal: restart n2: timed out"), r.harnessErrors());
    assertEquals(4, r.exitCode());
  }

  @Test
  void aHealThatThrowsAnythingElseIsOneErrorOp() throws Exception {
    nemesis.healFailure = new IllegalStateException("proxy gone");
    RunResult r = Runner.run(configured(Duration.ofMillis(300)).build());
    assertFalse(drained(r).get("healed").asBoolean());
    assertEquals(List.of("heal: healing the faults: IllegalStateException: proxy gone"), r.harnessErrors());
  }

  @Test
  void aNodeNotHealthyAfterHealingMakesTheDrainUnhealed() throws Exception {
    env.unhealthy = true;
    RunResult r = Runner.run(configured(Duration.ofMillis(300)).build());
    assertFalse(drained(r).get("healed").asBoolean());
    assertEquals("health", errorOps(r).get(0).get("value").get("what").asText());
    assertEquals(4, r.exitCode());
  }

  @Test
  void sendsStillOpenAndAFailingScraperAreHarnessErrors() throws Exception {
    workload.openSends = 1;
    env.brokenMetricsFile = true;
    RunResult r = Runner.run(configured(Duration.ofMillis(300)).build());
    List<String> whats = errorOps(r).stream().map(o -> o.get("value").get("what").asText()).toList();
    assertEquals(List.of("metrics", "open-sends"), whats);
    assertTrue(drained(r).get("healed").asBoolean(), "neither breaks a fault's healing");
    assertEquals(4, r.exitCode());
  }

  @Test
  void anInvalidVerdictStaysExitOneWithHarnessErrors() throws Exception {
    workload.lateDuplicateAfterMs = 100; // duplicated is judged whether or not the drain healed
    env.unhealthy = true;
    RunResult r = Runner.run(configured(Duration.ofMillis(500)).build());
    assertEquals(Validity.INVALID, r.result().valid(), r.result().summary());
    assertTrue(r.harnessErrorCount() > 0);
    assertEquals(1, r.exitCode(), "a violation observed is a violation");
  }
}
