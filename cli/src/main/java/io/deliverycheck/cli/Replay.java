package io.deliverycheck.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.deliverycheck.checker.Guarantee;
import io.deliverycheck.checker.runner.FaultPlan;
import io.deliverycheck.checker.runner.RunResult;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A stored run as the recipe of its replays: its {@code test.json} (system, nodes, guarantee,
 * workload, rate, bugs, seed, ...) and its {@code faults.json}, so {@code shrink} can run it again
 * with a smaller plan, a shorter workload or a lower rate, and print the {@code test} command that
 * does the same.
 */
record Replay(Path runDir, JsonNode test, FaultPlan plan, Set<String> violations) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Reads a run folder; a missing or unreadable file is an IllegalArgumentException naming it. */
  static Replay of(Path runDir) {
    Path dir = runDir.toAbsolutePath().normalize();
    try {
      dir = dir.toRealPath(); // results/x/latest moves with the next run: name the run itself
    } catch (IOException e) {
      // reported below as a missing test.json
    }
    JsonNode test = read(dir.resolve("test.json"));
    JsonNode results = read(dir.resolve("results.json"));
    FaultPlan plan;
    try {
      plan = FaultPlan.read(dir.resolve("faults.json"));
    } catch (IOException e) {
      throw new IllegalArgumentException(e.getMessage());
    }
    Set<String> violations = new LinkedHashSet<>();
    results.path("violations").forEach(v -> violations.add(v.asText()));
    return new Replay(dir, test, plan, violations);
  }

  private static JsonNode read(Path file) {
    try {
      return JSON.readTree(file.toFile());
    } catch (NoSuchFileException | java.io.FileNotFoundException e) {
      throw new IllegalArgumentException(file + ": no such file (is this a run folder?)");
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": not JSON: " + e.getMessage());
    }
  }

  long seed() {
    return test.path("seed").asLong();
  }

  Duration timeLimit() {
    return Duration.ofMillis(Math.round(test.path("time_limit_s").asDouble(60) * 1000));
  }

  double rate() {
    return test.path("rate").asDouble(10);
  }

  String name() {
    return test.path("name").asText("default");
  }

  List<String> bugs() {
    List<String> out = new ArrayList<>();
    test.path("bugs").forEach(b -> out.add(b.asText()));
    return out;
  }

  /** The run's settings with {@code plan}, {@code limit} and {@code rate} instead of its own, under the test name {@code name}. */
  DeliveryTest.Builder builder(String name, FaultPlan plan, Duration limit, double rate, Path results) {
    DeliveryTest.Builder b = DeliveryTest.builder().name(name)
        .system(test.path("system").asText("reference"))
        .systemOptions(strings("system_options"))
        .nodes(test.path("nodes").asInt(3))
        .guarantee(Guarantee.parse(test.path("guarantee").asText()))
        .workload(test.path("workload").asText("chat"))
        .users(test.path("users").asInt(10))
        .devicesPerUser(test.path("devices_per_user").asInt(2))
        .bugs(bugs())
        .env(test.path("env").asText("local"))
        .seed(seed())
        .timeLimit(limit)
        .rate(rate)
        .requestTimeout(Duration.ofMillis(test.path("request_timeout_ms").asLong(2000)))
        .quiet(Duration.ofMillis(test.path("drain").path("requested_quiet_ms").asLong(5000)))
        .drainCap(Duration.ofMillis(test.path("drain").path("requested_cap_ms").asLong(60_000)))
        .faultPlan((nodes, seed) -> plan)
        .results(results);
    if (test.hasNonNull("hosts")) {
      b.hosts(Path.of(test.path("hosts").asText()));
    }
    if (test.has("poison_share")) {
      b.poisonFraction(test.path("poison_share").asDouble());
    }
    return b;
  }

  /** The one {@code bin/deliverycheck test} command that replays {@code planFile} with this run's settings. */
  String command(Path planFile, Duration limit, double rate, String name) {
    List<String> a = new ArrayList<>(List.of("bin/deliverycheck", "test"));
    String system = test.path("system").asText("reference");
    if (!system.equals("reference")) {
      a.add("--system");
      a.add(system);
    }
    for (String o : strings("system_options")) {
      a.add("--system-opt");
      a.add(o);
    }
    if (test.path("nodes").asInt(3) != 3) {
      a.add("--nodes");
      a.add(test.path("nodes").asText());
    }
    for (String bug : bugs()) {
      a.add("--bug");
      a.add(bug);
    }
    a.add("--guarantee");
    a.add(test.path("guarantee").asText());
    if (!test.path("workload").asText("chat").equals("chat")) {
      a.add("--workload");
      a.add(test.path("workload").asText());
    }
    if (test.has("poison_share") && test.path("workload").asText("chat").equals("chat")
        && test.path("poison_share").asDouble() != io.deliverycheck.workloads.WorkloadConfig.CHAT_POISON) {
      a.add("--poison-fraction");
      a.add(test.path("poison_share").asText());
    }
    if (test.path("users").asInt(10) != 10) {
      a.add("--users");
      a.add(test.path("users").asText());
    }
    if (test.path("devices_per_user").asInt(2) != 2) {
      a.add("--devices-per-user");
      a.add(test.path("devices_per_user").asText());
    }
    if (!test.path("env").asText("local").equals("local")) {
      a.add("--env");
      a.add(test.path("env").asText());
    }
    if (test.hasNonNull("hosts")) {
      a.add("--hosts");
      a.add(test.path("hosts").asText());
    }
    long quiet = test.path("drain").path("requested_quiet_ms").asLong(5000);
    if (quiet != 5000) {
      a.add("--quiet-period");
      a.add(String.valueOf(Math.max(1, quiet / 1000)));
    }
    long cap = test.path("drain").path("requested_cap_ms").asLong(60_000);
    if (cap != 60_000) {
      a.add("--drain-cap");
      a.add(String.valueOf(Math.max(1, cap / 1000)));
    }
    long timeout = test.path("request_timeout_ms").asLong(2000);
    if (timeout != 2000) {
      a.add("--request-timeout-ms");
      a.add(String.valueOf(timeout));
    }
    a.addAll(List.of("--seed", String.valueOf(seed()), "--time-limit", String.valueOf(limit.toSeconds()),
        "--rate", rate == Math.rint(rate) ? String.valueOf((long) rate) : String.valueOf(rate),
        "--fault-plan", planFile.toString(), "--name", name));
    return String.join(" ", a);
  }

  private List<String> strings(String field) {
    List<String> out = new ArrayList<>();
    test.path(field).forEach(x -> out.add(x.asText()));
    return out;
  }

  /** What a finished replay showed, for the shrinker. */
  static Shrinker.Outcome outcome(RunResult r) {
    Set<String> v = new LinkedHashSet<>(r.result().violations());
    long first = -1;
    if (!v.isEmpty()) {
      try {
        first = firstViolationMs(r.runDir());
      } catch (IOException e) {
        first = -1;
      }
    }
    return new Shrinker.Outcome(v, r.runDir().toString(), first);
  }

  /**
   * When the first message of the violations' examples was first sent, in ms from the workload's
   * first send; -1 when no example names a message.
   */
  static long firstViolationMs(Path runDir) throws IOException {
    JsonNode results = JSON.readTree(runDir.resolve("results.json").toFile());
    Set<String> ids = new LinkedHashSet<>();
    for (JsonNode v : results.path("violations")) {
      for (JsonNode ex : results.path(v.asText())) {
        if (ex.hasNonNull("id")) {
          ids.add(ex.path("id").asText());
        }
      }
    }
    if (ids.isEmpty()) {
      return -1;
    }
    long origin = -1;
    long first = -1;
    try (BufferedReader r = Files.newBufferedReader(runDir.resolve("history.jsonl"), StandardCharsets.UTF_8)) {
      String line;
      while ((line = r.readLine()) != null) {
        if (!line.contains("\"send\"")) {
          continue;
        }
        JsonNode op = JSON.readTree(line);
        if (!op.path("f").asText().equals("send")) {
          continue;
        }
        long t = op.path("time").asLong();
        if (origin < 0) {
          origin = t;
        }
        if (ids.contains(op.path("value").path("id").asText())) {
          first = t;
          break;
        }
      }
    }
    return first < 0 ? -1 : (first - origin) / 1_000_000;
  }
}
