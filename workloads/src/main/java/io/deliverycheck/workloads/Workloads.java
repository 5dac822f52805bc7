package io.deliverycheck.workloads;

import io.deliverycheck.checker.runner.Workload;
import java.util.List;

/** The registry of workloads by name: {@code chat}, {@code payments}, {@code poison}. */
public final class Workloads {
  public static final List<String> NAMES = List.of("chat", "payments", "poison");

  private Workloads() {}

  /** A fresh workload of {@code config.kind()} against the reference node's HTTP/WebSocket protocol. */
  public static Workload create(WorkloadConfig config) {
    return new DeliveryWorkload(config, new HttpClients());
  }

  /** A fresh workload of {@code config.kind()} whose clients are {@code clients} (a system's adapter). */
  public static Workload create(WorkloadConfig config, ClientAdapter clients) {
    return new DeliveryWorkload(config, clients);
  }
}
