package io.deliverycheck.cli;

import io.deliverycheck.checker.Guarantee;
import io.deliverycheck.checker.runner.Environment;
import io.deliverycheck.environments.EnvironmentConfig;
import io.deliverycheck.environments.local.LocalEnvironment;
import io.deliverycheck.environments.netns.NetnsEnvironment;
import io.deliverycheck.workloads.fake.FakeCluster;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;

/** Makes the environment a test names: {@code local}, {@code netns} or {@code fake}. */
final class Environments {
  static final List<String> KINDS = List.of("local", "netns", "fake");

  private Environments() {}

  /** The node flags every environment passes: the guarantee and the planted bugs. */
  static List<String> nodeFlags(Guarantee g, List<String> bugs) {
    List<String> flags = new ArrayList<>(List.of("--guarantee", g.wire()));
    for (String b : bugs) {
      flags.add("--bug");
      flags.add(b);
    }
    return flags;
  }

  private static EnvironmentConfig config(int nodes, Guarantee g, List<String> bugs, String token) {
    return EnvironmentConfig.defaults(nodes).withNodeFlags(nodeFlags(g, bugs)).withToken(token);
  }

  static Environment create(String kind, int nodes, Guarantee g, List<String> bugs, String token) {
    switch (kind) {
      case "fake":
        return new FakeCluster(nodes, g, new HashSet<>(bugs));
      case "local":
        return new LocalEnvironment(config(nodes, g, bugs, token));
      case "netns":
        return new NetnsEnvironment(config(nodes, g, bugs, token));
      default:
        throw new IllegalArgumentException("--env " + kind + ": choose one of " + KINDS);
    }
  }
}
