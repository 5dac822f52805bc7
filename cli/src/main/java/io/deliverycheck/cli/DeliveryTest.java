package io.deliverycheck.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.Guarantee;
import io.deliverycheck.checker.runner.FaultPlan;
import io.deliverycheck.checker.runner.Nemesis;
import io.deliverycheck.checker.runner.RunResult;
import io.deliverycheck.checker.runner.Runner;
import io.deliverycheck.checker.runner.SetupException;
import io.deliverycheck.checker.runner.TestSpec;
import io.deliverycheck.environments.nemesis.FaultPlans;
import io.deliverycheck.environments.nemesis.NemesisConfig;
import io.deliverycheck.environments.nemesis.ScheduledNemesis;
import io.deliverycheck.workloads.WorkloadConfig;
import io.deliverycheck.workloads.Workloads;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.BiFunction;

/**
 * The Java API of {@code deliverycheck test}: one call runs a whole verification from a JUnit test.
 *
 * <pre>{@code
 * RunResult r = DeliveryTest.builder()
 *     .guarantee(Guarantee.EXACTLY_ONCE)
 *     .nemesis("partition", "kill")
 *     .timeLimit(Duration.ofSeconds(20))
 *     .seed(7)
 *     .run();
 * assertEquals(Validity.VALID, r.result().valid(), r.result().summary());
 * }</pre>
 *
 * Defaults are those of the command: 3 reference nodes with their own embedded PostgreSQL
 * ({@code local} environment), exactly-once, the {@code chat} workload at 10 sends/s over 10 users
 * with 2 devices each, partitions + kills + pauses for 60 s, quiet period 5 s, drain cap 60 s,
 * results under the repository's {@code results/} (see {@link ResultsDir}).
 */
public final class DeliveryTest {
  private final Builder b;

  private DeliveryTest(Builder b) {
    this.b = b;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The test as a value: what {@link Runner} runs. */
  public TestSpec spec() {
    WorkloadConfig wc = WorkloadConfig.defaults(b.seed).withKind(b.workload).withGuarantee(b.guarantee)
        .withRate(b.rate).withUsers(b.users, b.devicesPerUser).withToken(b.token);
    if (b.requestTimeout != null) {
      wc = wc.withTimeouts(b.requestTimeout, wc.maxAttempts());
    }
    if (b.poisonFraction >= 0) {
      wc = wc.withPoisonFraction(b.poisonFraction);
    }
    final WorkloadConfig workload = wc;
    List<String> faults = NemesisConfig.parse(b.nemesis);
    ObjectNode config = JsonNodeFactory.instance.objectNode();
    config.put("nodes", b.nodes);
    config.put("workload", b.workload);
    ArrayNode n = config.putArray("nemesis");
    faults.forEach(n::add);
    config.put("rate", b.rate);
    config.put("users", b.users);
    config.put("devices_per_user", b.devicesPerUser);
    ArrayNode bugs = config.putArray("bugs");
    b.bugs.forEach(bugs::add);
    config.put("env", b.env);
    config.put("senders", workload.senders());
    config.put("max_attempts", workload.maxAttempts());
    config.put("request_timeout_ms", workload.requestTimeout().toMillis());
    if (b.plan != null) {
      config.put("fault_plan", "given");
    }
    return TestSpec.builder()
        .name(b.name)
        .seed(b.seed)
        .guarantee(b.guarantee)
        .environment(seed -> Environments.create(b.env, b.nodes, b.guarantee, b.bugs, b.token))
        .workload(seed -> Workloads.create(workload.withSeed(seed)))
        .nemesis((nodes, seed, limit) -> nemesis(faults, nodes, seed, limit))
        .timeLimit(b.timeLimit)
        .quiet(b.quiet)
        .drainCap(b.drainCap)
        .resultsRoot(b.results != null ? b.results : ResultsDir.find())
        .config(config)
        .progress(b.progress)
        .build();
  }

  private Nemesis nemesis(List<String> faults, List<String> nodes, long seed, Duration limit) {
    if (b.plan != null) {
      return new ScheduledNemesis(b.plan.apply(nodes, seed));
    }
    if (faults.isEmpty()) {
      return new ScheduledNemesis(FaultPlan.empty(seed));
    }
    long t = Math.max(10, limit.toSeconds());
    NemesisConfig c = NemesisConfig.of(faults, limit).withTiming(
        Duration.ofMillis(Math.max(1000, t * 1000 / 20)), Duration.ofMillis(Math.max(2000, t * 1000 / 6)),
        Duration.ofMillis(Math.max(2000, t * 1000 / 12)), Duration.ofMillis(Math.max(3000, t * 1000 / 5)));
    return new ScheduledNemesis(FaultPlans.generate(seed, nodes, c));
  }

  /** Runs the test once with its seed. */
  public RunResult run() throws SetupException, IOException {
    return Runner.run(spec());
  }

  /** Runs the test {@code n} times with seeds seed, seed+1, ...; stops at a setup failure. */
  public List<RunResult> runs(int n) throws SetupException, IOException {
    TestSpec spec = spec();
    List<RunResult> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(Runner.run(spec.withSeed(spec.seed() + i)));
    }
    return out;
  }

  /** The builder; every setter validates nothing until {@link #build} or {@link #run}. */
  public static final class Builder {
    private String name = "default";
    private int nodes = 3;
    private Guarantee guarantee = Guarantee.EXACTLY_ONCE;
    private String workload = "chat";
    private List<String> nemesis = List.of("partition", "kill", "pause");
    private BiFunction<List<String>, Long, FaultPlan> plan;
    private Duration timeLimit = Duration.ofSeconds(60);
    private Duration quiet = Duration.ofSeconds(5);
    private Duration drainCap = Duration.ofSeconds(60);
    private double rate = 10;
    private int users = 10;
    private int devicesPerUser = 2;
    private double poisonFraction = -1;
    private Duration requestTimeout;
    private long seed = System.currentTimeMillis() % 1_000_000;
    private List<String> bugs = List.of();
    private String env = "local";
    private Path results;
    private String token;
    private TestSpec.ProgressListener progress;

    public Builder name(String v) { name = v; return this; }
    public Builder nodes(int v) { nodes = v; return this; }
    public Builder guarantee(Guarantee v) { guarantee = Objects.requireNonNull(v); return this; }
    public Builder workload(String v) { workload = v; return this; }
    /** Fault kinds ({@code partition}, {@code kill}, {@code pause}, {@code db-restart}, {@code link-delay}, {@code device-disconnect}); none for no faults. */
    public Builder nemesis(String... v) { nemesis = List.of(v); plan = null; return this; }
    public Builder nemesis(List<String> v) { nemesis = List.copyOf(v); plan = null; return this; }
    /** A fixed fault plan made from the nodes and the seed, instead of a generated one. */
    public Builder faultPlan(BiFunction<List<String>, Long, FaultPlan> v) { plan = v; nemesis = List.of(); return this; }
    public Builder timeLimit(Duration v) { timeLimit = v; return this; }
    public Builder quiet(Duration v) { quiet = v; return this; }
    public Builder drainCap(Duration v) { drainCap = v; return this; }
    public Builder rate(double v) { rate = v; return this; }
    public Builder users(int v) { users = v; return this; }
    public Builder devicesPerUser(int v) { devicesPerUser = v; return this; }
    public Builder poisonFraction(double v) { poisonFraction = v; return this; }
    /** A send, ack or read with no answer by then is recorded {@code info} (default 2 s). */
    public Builder requestTimeout(Duration v) { requestTimeout = v; return this; }
    public Builder seed(long v) { seed = v; return this; }
    public Builder bugs(String... v) { bugs = List.of(v); return this; }
    public Builder bugs(List<String> v) { bugs = List.copyOf(v); return this; }
    /** {@code local} (default), {@code netns} or {@code fake} (in-process fake cluster, for demos). */
    public Builder env(String v) { env = v; return this; }
    public Builder results(Path v) { results = v; return this; }
    public Builder token(String v) { token = v; return this; }
    public Builder progress(TestSpec.ProgressListener v) { progress = v; return this; }

    public DeliveryTest build() {
      if (!Environments.KINDS.contains(env)) {
        throw new IllegalArgumentException("--env " + env + ": choose one of " + Environments.KINDS);
      }
      if (nodes < 1 || nodes > 9) {
        throw new IllegalArgumentException("--nodes " + nodes + ": must be between 1 and 9");
      }
      if (timeLimit.isNegative() || timeLimit.isZero()) {
        throw new IllegalArgumentException("--time-limit " + timeLimit.toSeconds() + ": must be > 0 seconds");
      }
      NemesisConfig.parse(nemesis);
      if (!env.equals("fake")) {
        for (String bug : bugs) {
          try {
            io.deliverycheck.node.Bug.parse(bug);
          } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--bug: " + e.getMessage());
          }
        }
      }
      new WorkloadConfig(workload, guarantee, seed, rate, users, devicesPerUser, 0, 3, Duration.ofSeconds(2), 0.2, 0.05, token);
      return new DeliveryTest(this);
    }

    public RunResult run() throws SetupException, IOException {
      return build().run();
    }
  }

  /** Where results go by default: {@code results/} of the repository holding bin/deliverycheck. */
  public static final class ResultsDir {
    private ResultsDir() {}

    /** Walks up from the working directory to a folder with bin/deliverycheck; else ./results. */
    public static Path find() {
      String repo = System.getProperty("deliverycheck.repo");
      if (repo != null && Files.isRegularFile(Path.of(repo, "bin", "deliverycheck"))) {
        return Path.of(repo, "results");
      }
      for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
        if (Files.isRegularFile(p.resolve("bin").resolve("deliverycheck"))) {
          return p.resolve("results");
        }
      }
      return Path.of("results").toAbsolutePath();
    }
  }
}
