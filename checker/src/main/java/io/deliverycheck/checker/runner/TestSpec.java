package io.deliverycheck.checker.runner;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.Guarantee;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * A test is a value: where the system runs, what clients do, how it breaks, what is judged, and
 * for how long. Parts that hold resources (environment, workload, nemesis) are given as factories
 * of the seed, so one spec can be run many times ({@link #withSeed}) and every run starts fresh.
 *
 * @param name the test's name: the folder {@code results/<name>/}
 * @param seed the seed of the workload and the fault plan
 * @param guarantee what the checker judges
 * @param environment makes the environment of one run
 * @param workload makes the workload of one run
 * @param nemesis makes the nemesis once the environment is set up
 * @param timeLimit how long the workload and the faults run
 * @param quiet the drain ends when no receive arrived for this long
 * @param drainCap the drain never lasts longer than this
 * @param resultsRoot the {@code results/} folder
 * @param config extra fields of {@code test.json} (nodes, workload, rate, bugs, env, ...)
 * @param progress called about once a second while the test runs
 */
public record TestSpec(
    String name,
    long seed,
    Guarantee guarantee,
    EnvironmentFactory environment,
    WorkloadFactory workload,
    NemesisFactory nemesis,
    Duration timeLimit,
    Duration quiet,
    Duration drainCap,
    Path resultsRoot,
    ObjectNode config,
    ProgressListener progress) {

  public TestSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(guarantee, "guarantee");
    Objects.requireNonNull(environment, "environment");
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(nemesis, "nemesis");
    Objects.requireNonNull(resultsRoot, "resultsRoot");
    checkName(name);
    config = config == null ? JsonNodeFactory.instance.objectNode() : config.deepCopy();
    progress = progress == null ? p -> {} : progress;
  }

  /**
   * Throws IllegalArgumentException unless {@code name} can be a folder name under results/:
   * letters, digits, '.', '_' or '-' only (so a command line can check it before any run starts).
   */
  public static void checkName(String name) {
    if (name == null || !name.matches("[A-Za-z0-9._-]+") || name.equals(".") || name.equals("..")) {
      throw new IllegalArgumentException("test name '" + name + "': use letters, digits, '.', '_' or '-'");
    }
  }

  /** The same test with another seed. */
  public TestSpec withSeed(long newSeed) {
    return new TestSpec(name, newSeed, guarantee, environment, workload, nemesis, timeLimit, quiet,
        drainCap, resultsRoot, config, progress);
  }

  /** Makes the environment of one run. */
  @FunctionalInterface
  public interface EnvironmentFactory {
    Environment create(long seed) throws Exception;
  }

  /** Makes the workload of one run; it must be a pure function of the seed and its settings. */
  @FunctionalInterface
  public interface WorkloadFactory {
    Workload create(long seed);
  }

  /**
   * Makes the nemesis of one run once the environment is set up: its nodes, the fault kinds it
   * offers ({@link Environment#faultKinds}) and the members a partition may name.
   */
  @FunctionalInterface
  public interface NemesisFactory {
    Nemesis create(Environment env, long seed, Duration timeLimit);
  }

  /** Receives the live progress of a run. */
  @FunctionalInterface
  public interface ProgressListener {
    void onProgress(Progress progress);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Defaults: name {@code default}, seed from the clock, exactly-once, 60 s, quiet 5 s, cap 60 s. */
  public static final class Builder {
    private String name = "default";
    private long seed = System.currentTimeMillis();
    private Guarantee guarantee = Guarantee.EXACTLY_ONCE;
    private EnvironmentFactory environment;
    private WorkloadFactory workload;
    private NemesisFactory nemesis;
    private Duration timeLimit = Duration.ofSeconds(60);
    private Duration quiet = Duration.ofSeconds(5);
    private Duration drainCap = Duration.ofSeconds(60);
    private Path resultsRoot = Path.of("results");
    private ObjectNode config;
    private ProgressListener progress;

    public Builder name(String v) { name = v; return this; }
    public Builder seed(long v) { seed = v; return this; }
    public Builder guarantee(Guarantee v) { guarantee = v; return this; }
    public Builder environment(EnvironmentFactory v) { environment = v; return this; }
    public Builder workload(WorkloadFactory v) { workload = v; return this; }
    public Builder nemesis(NemesisFactory v) { nemesis = v; return this; }
    public Builder timeLimit(Duration v) { timeLimit = v; return this; }
    public Builder quiet(Duration v) { quiet = v; return this; }
    public Builder drainCap(Duration v) { drainCap = v; return this; }
    public Builder resultsRoot(Path v) { resultsRoot = v; return this; }
    public Builder config(ObjectNode v) { config = v; return this; }
    public Builder progress(ProgressListener v) { progress = v; return this; }

    public TestSpec build() {
      return new TestSpec(name, seed, guarantee, environment, workload, nemesis, timeLimit, quiet,
          drainCap, resultsRoot, config, progress);
    }
  }
}
