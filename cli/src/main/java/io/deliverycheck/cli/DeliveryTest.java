package io.deliverycheck.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.Guarantee;
import io.deliverycheck.checker.runner.Environment;
import io.deliverycheck.checker.runner.FaultPlan;
import io.deliverycheck.checker.runner.Nemesis;
import io.deliverycheck.checker.runner.RunResult;
import io.deliverycheck.checker.runner.Runner;
import io.deliverycheck.checker.runner.SetupException;
import io.deliverycheck.checker.runner.TestSpec;
import io.deliverycheck.environments.nemesis.FaultPlans;
import io.deliverycheck.environments.nemesis.NemesisConfig;
import io.deliverycheck.environments.nemesis.ScheduledNemesis;
import io.deliverycheck.systems.RunParameters;
import io.deliverycheck.systems.Systems;
import io.deliverycheck.workloads.WorkloadConfig;
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
 * with 2 devices each (no poison unless {@code poisonFraction}), partitions, kills and pauses (of
 * those the system offers), composed and overlapping, for 60 s, quiet period 5 s (raised to the
 * system's retry horizon, 9 s for the reference node), drain cap 60 s, results under the
 * repository's {@code results/} (see {@link ResultsDir}). {@code system("rabbitmq")}
 * (with {@code systemOptions("queue-type=classic", ...)}) runs another system under test (module
 * systems); the guarantee judged is then the system's claim unless {@link Builder#guarantee} is set.
 */
public final class DeliveryTest {
  private final Builder b;

  private DeliveryTest(Builder b) {
    this.b = b;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The system under test with its settings (validated by {@link Builder#build}). */
  private Systems.Chosen chosen() {
    return b.chosen();
  }

  /** The guarantee the checker judges: the one asked for, else what the system claims. */
  public Guarantee guarantee() {
    return b.guarantee != null ? b.guarantee : Guarantee.parse(chosen().claims().guarantee());
  }

  /** The name of the system under test (a system file's {@code name}). */
  public String system() {
    return b.described != null ? b.described.name() : b.system;
  }

  /** The nemesis names the run uses (the default narrowed to what the system offers, see {@link Builder#nemesisDefaulted}). */
  public List<String> nemesis() {
    return b.nemesis;
  }

  /** The test as a value: what {@link Runner} runs. */
  public TestSpec spec() {
    Systems.Chosen chosen = chosen();
    Guarantee judged = guarantee();
    WorkloadConfig wc = WorkloadConfig.defaults(b.seed).withKind(b.workload).withGuarantee(judged)
        .withRate(b.rate).withUsers(b.users, b.devicesPerUser).withToken(b.token);
    if (b.requestTimeout != null) {
      wc = wc.withTimeouts(b.requestTimeout, wc.maxAttempts());
    }
    if (b.poisonFraction >= 0) {
      wc = wc.withPoisonFraction(b.poisonFraction);
    } else if (!chosen.system().workloads().contains("poison")) {
      wc = wc.withPoisonFraction(0); // its devices do not play poison: chat stays plain
    }
    final WorkloadConfig workload = wc;
    List<String> faults = NemesisConfig.parse(b.nemesis);
    ObjectNode config = JsonNodeFactory.instance.objectNode();
    config.put("system", chosen.system().name());
    if (b.described != null) {
      config.put("system_file", b.described.file().file().toString());
    }
    config.set("system_settings", chosen.settings().toJson());
    ArrayNode opts = config.putArray("system_options");
    b.systemOptions.forEach(opts::add);
    config.put("nodes", b.nodes);
    config.put("workload", b.workload);
    config.put("poison_share", workload.poisonShare());
    ArrayNode n = config.putArray("nemesis");
    faults.forEach(n::add);
    config.put("rate", b.rate);
    config.put("users", b.users);
    config.put("devices_per_user", b.devicesPerUser);
    ArrayNode bugs = config.putArray("bugs");
    b.bugs.forEach(bugs::add);
    config.put("env", b.env);
    if (b.hosts != null) {
      config.put("hosts", b.hosts.toAbsolutePath().toString());
    }
    config.put("senders", workload.senders());
    config.put("max_attempts", workload.maxAttempts());
    config.put("request_timeout_ms", workload.requestTimeout().toMillis());
    if (b.plan != null) {
      config.put("fault_plan", "given");
    }
    return TestSpec.builder()
        .name(b.name)
        .seed(b.seed)
        .guarantee(judged)
        .environment(seed -> prepared(chosen.system().environment(new RunParameters(b.nodes, b.env, workload.withSeed(seed), b.hosts),
            chosen.settings()), seed))
        .workload(seed -> chosen.system().workload(new RunParameters(b.nodes, b.env, workload.withSeed(seed), b.hosts),
            chosen.settings()))
        .nemesis((env, seed, limit) -> nemesis(env, seed, limit))
        .timeLimit(b.timeLimit)
        .quiet(b.quiet)
        .drainCap(b.drainCap)
        .resultsRoot(b.results != null ? b.results : ResultsDir.find())
        .config(config)
        .progress(b.progress)
        .build();
  }

  /**
   * Tells a fresh environment which fault kinds the run may inject ({@link Environment#prepareFaults}):
   * those of the given plan, else those the nemesis names ({@code all}: every kind).
   */
  private Environment prepared(Environment env, long seed) {
    java.util.Set<String> kinds = new java.util.LinkedHashSet<>();
    if (b.plan != null) {
      b.plan.apply(env.nodes(), seed).faults().forEach(f -> kinds.add(f.kind()));
    } else {
      for (String c : NemesisConfig.parse(b.nemesis)) {
        kinds.add(NemesisConfig.kindOf(c));
      }
    }
    env.prepareFaults(kinds);
    return env;
  }

  private Nemesis nemesis(Environment env, long seed, Duration limit) {
    if (b.plan != null) {
      return new ScheduledNemesis(b.plan.apply(env.nodes(), seed));
    }
    List<String> faults = NemesisConfig.parseFor(b.nemesis, env.faultKinds());
    if (faults.isEmpty()) {
      return new ScheduledNemesis(FaultPlan.empty(seed));
    }
    return new ScheduledNemesis(FaultPlans.generate(seed, env, composed(faults, limit)));
  }

  /**
   * The default schedule: {@link NemesisConfig#DEFAULT_LANES} lanes of overlapping faults, quiet
   * intervals in [T/60, T/10] (at least 0.5 and 1 s) and windows log-uniform in [T/60, T/4] (at
   * least 0.5 and 2 s): for 30 s, 0.5-3 s quiet and 0.5-7.5 s faults, every named kind at least once.
   */
  static NemesisConfig composed(List<String> faults, Duration limit) {
    long ms = Math.max(10_000, limit.toMillis());
    return NemesisConfig.of(faults, limit).withTiming(
        Duration.ofMillis(Math.max(500, ms / 60)), Duration.ofMillis(Math.max(1000, ms / 10)),
        Duration.ofMillis(Math.max(500, ms / 60)), Duration.ofMillis(Math.max(2000, ms / 4)))
        .withLanes(NemesisConfig.DEFAULT_LANES);
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
    private Guarantee guarantee;
    private String system = Systems.DEFAULT;
    private io.deliverycheck.systems.file.DescribedSystem described;
    private List<String> systemOptions = List.of();
    private String workload = "chat";
    private List<String> nemesis = List.of("partition", "kill", "pause");
    private boolean nemesisDefaulted;
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
    private Path hosts;
    private String token;
    private TestSpec.ProgressListener progress;

    public Builder name(String v) { name = v; return this; }
    public Builder nodes(int v) { nodes = v; return this; }
    /** The guarantee the checker judges (for the reference system also the nodes' mode); default: what the system claims. */
    public Builder guarantee(Guarantee v) { guarantee = Objects.requireNonNull(v); return this; }
    /** The system under test by name ({@code reference}, {@code rabbitmq}, ...; {@code deliverycheck systems} lists them). */
    public Builder system(String v) { system = Objects.requireNonNull(v); return this; }
    /**
     * A system described by a file ({@code --system-file}, docs/systems.md), read and validated now:
     * a bad file throws {@link IllegalArgumentException} with one line naming the field.
     */
    public Builder systemFile(Path file) { described = io.deliverycheck.systems.file.DescribedSystem.read(file); return this; }
    /** The system's {@code K=V} options. */
    public Builder systemOptions(String... v) { systemOptions = List.of(v); return this; }
    public Builder systemOptions(List<String> v) { systemOptions = List.copyOf(v); return this; }
    public Builder workload(String v) { workload = v; return this; }
    /**
     * Fault kinds ({@code partition}, {@code kill}, {@code pause}, {@code db-restart}, {@code link-delay},
     * {@code device-disconnect}, {@code power-loss}, {@code clock-skew}, {@code corrupt-file}; also
     * {@code partition-<shape>}, {@code partition-refuse}, {@code partition-drop}), {@code all} (every kind the environment offers); none for no faults.
     * {@link #build} refuses a kind the environment cannot inject.
     */
    public Builder nemesis(String... v) { nemesis = List.of(v); plan = null; return this; }
    public Builder nemesis(List<String> v) { nemesis = List.copyOf(v); plan = null; return this; }
    /**
     * The nemesis is the default, not the user's choice: {@link #build} narrows it to the kinds the
     * system offers (sqs-fifo, one server, has no partition) instead of refusing them; if none is
     * left, every kind it offers ({@code all}), or none.
     */
    public Builder nemesisDefaulted(boolean v) { nemesisDefaulted = v; return this; }
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
    /** {@code local} (default), {@code netns}, {@code ssh} (with {@link #hosts}) or {@code fake} (in-process fake cluster, for demos). */
    public Builder env(String v) { env = v; return this; }
    public Builder results(Path v) { results = v; return this; }
    /** The hosts file of the {@code ssh} environment (docs/real-hosts.md). */
    public Builder hosts(Path v) { hosts = v; return this; }
    public Builder token(String v) { token = v; return this; }
    public Builder progress(TestSpec.ProgressListener v) { progress = v; return this; }

    Systems.Chosen chosen() {
      return described != null ? Systems.choose(described, systemOptions, guarantee, bugs)
          : Systems.choose(system, systemOptions, guarantee, bugs);
    }

    public DeliveryTest build() {
      TestSpec.checkName(name);
      if (described != null && !system.equals(Systems.DEFAULT)) {
        throw new IllegalArgumentException("--system " + system + " and --system-file: give one of them");
      }
      Systems.Chosen chosen = chosen();
      if (nodes < 1 || nodes > 9) {
        throw new IllegalArgumentException("--nodes " + nodes + ": must be between 1 and 9");
      }
      if (env.equals("ssh")) {
        if (hosts == null) {
          throw new IllegalArgumentException("--env ssh needs --hosts FILE (docs/real-hosts.md)");
        }
        io.deliverycheck.environments.ssh.HostsFile.read(hosts)
            .requireNodes(io.deliverycheck.environments.EnvironmentConfig.defaults(nodes).nodeNames());
      } else if (hosts != null) {
        throw new IllegalArgumentException("--hosts is for --env ssh, not --env " + env);
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
      Guarantee judged = guarantee != null ? guarantee : Guarantee.parse(chosen.claims().guarantee());
      WorkloadConfig wc = new WorkloadConfig(workload, judged, seed, rate, users, devicesPerUser, 0, 3,
          Duration.ofSeconds(2), 0.2, Double.NaN, token);
      chosen.system().validate(new RunParameters(nodes, env, wc), chosen.settings());
      java.util.List<String> offered = chosen.system().faults(chosen.settings());
      if (nemesisDefaulted && plan == null) {
        List<String> narrowed = NemesisConfig.parse(nemesis).stream()
            .filter(c -> offered.contains(NemesisConfig.kindOf(c)))
            .toList();
        if (narrowed.isEmpty()) {
          narrowed = NemesisConfig.parseFor(List.of("all"), offered).isEmpty() ? List.of("none") : List.of("all");
        }
        nemesis = narrowed;
      }
      checkNemesis(nemesis, offered);
      String missing = chosen.system().missing(chosen.settings());
      if (missing != null) {
        throw new IllegalArgumentException((described != null ? "--system-file " + described.file().file() : "--system " + system)
            + ": " + missing);
      }
      return new DeliveryTest(this);
    }

    public RunResult run() throws SetupException, IOException {
      return build().run();
    }
  }

  /**
   * Refuses, before anything starts, fault names the system cannot suffer: {@code all} means every
   * kind {@code env} offers ({@link Environment#faultKinds}); a kind it lacks, named explicitly, is
   * a user error naming what it offers.
   */
  static void checkNemesis(List<String> names, Environment env) {
    checkNemesis(names, env.faultKinds());
  }

  static void checkNemesis(List<String> names, java.util.Collection<String> kinds) {
    try {
      NemesisConfig.parseFor(names, kinds);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--nemesis " + String.join(",", names) + ": " + e.getMessage());
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
