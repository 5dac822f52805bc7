package io.deliverycheck.node;

import java.nio.file.Path;
import java.util.List;

/** Placeholder: the RabbitMQ side of the benchmark (see docs/benchmarks.md). */
final class BenchRabbit {
  private BenchRabbit() {}

  static List<BenchNodeCommand.Result> run(Path server, Path dir, int durationS, int warmupS, int rate, int window)
      throws Exception {
    throw new UnsupportedOperationException("not built yet");
  }
}
