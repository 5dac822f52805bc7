package io.deliverycheck.workloads;

import java.util.List;

/**
 * A system's clients for the generic delivery workload: the one part a system under test adds to
 * the shared sender processes, send plan, generator, delivery tracker and statistics. The reference
 * node's is {@code HttpClients} (HTTP POST, device WebSockets, receipt sockets); each broker has its
 * own in the systems module.
 *
 * <p>Order of calls: {@link #prepare} (before the {@code roster} op), {@link #connect} (after it),
 * {@link #senders}, then, at the end, {@link #disconnect} and {@link #close}. Devices record their
 * observations through the {@link WorkloadContext} ({@code received}, {@code ackInvoked},
 * {@code ackDone}): one {@code receive} per delivery the system hands out, before the ack, never
 * deduplicated on the system's behalf (except where the system's own protocol says a device
 * applies a redelivered message once, as the reference node's exactly-once devices do).
 */
public interface ClientAdapter {

  /**
   * Makes the system ready for the roster: register devices, declare exchanges, queues, topics.
   * Blocks, bounded; throws naming what failed.
   */
  void prepare(WorkloadContext ctx) throws Exception;

  /** Connects every device (and any other observer); returns once all are consuming, else throws naming the missing ones. */
  void connect(WorkloadContext ctx) throws Exception;

  /** One link per sender process {@code c0..c<n-1>}, in process order. Called once, after {@link #connect}. */
  List<SendLink> senders(WorkloadContext ctx);

  /** Stops consuming and sending (ops still open stay open); bounded. */
  void disconnect();

  /** Releases every connection and thread; nothing is recorded after it. Idempotent. */
  void close();
}
