package io.deliverycheck.workloads;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.concurrent.CompletionStage;

/**
 * How one sender process reaches the system: its system's {@link ClientAdapter} gives one per
 * process, and the processes that share a connection share its link (a window of W unconfirmed
 * publishes on one connection is W processes with one link).
 *
 * <p>Contract: {@link #send} returns at once (never blocks the caller for the network) and its stage
 * completes exactly once with the attempt's {@link Outcome}, within the workload's request timeout
 * (a timeout is {@code info}); an exception completing it is recorded as {@code info}. The generic
 * sender records the invocation before {@code send} and the completion after, so the link itself
 * records nothing.
 */
public interface SendLink {

  /** Runs {@code task} where this link's sends start (its connection's thread or event loop). */
  void execute(Runnable task);

  /** Runs {@code task} after {@code delayMs} milliseconds, as {@link #execute} would. */
  void schedule(long delayMs, Runnable task);

  /** The node attempt {@code attempt} of {@code m} goes to (recorded in the invocation). */
  String node(PlannedSend m, int attempt);

  /** Sends one attempt; {@code value} is the op's value (id, key, from, to, attempt). */
  CompletionStage<Outcome> send(String node, PlannedSend m, ObjectNode value, int attempt);
}
