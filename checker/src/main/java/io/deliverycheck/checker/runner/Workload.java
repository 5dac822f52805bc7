package io.deliverycheck.checker.runner;

import io.deliverycheck.checker.history.Recorder;

/**
 * What clients do during a test: Jepsen's client and generator in one role. The runner calls, in
 * order: {@link #setup}, {@link #start}, {@link #stopGenerating}, {@link #awaitOpenSends},
 * {@link #stats} (polled while draining), {@link #close}.
 *
 * <p>Contracts: {@code setup} registers the roster's devices with the system and records the
 * {@code roster} op before any send; every op the workload records follows HISTORY.md (a process
 * has at most one open op, a thrown exception or a timeout becomes {@code info}, never a drop).
 * Devices stay connected and keep recording receives until {@code close}.
 */
public interface Workload extends AutoCloseable {

  /** The workload's registry name, e.g. {@code chat}. */
  String name();

  /** Registers devices, records {@code roster}, connects devices and receipt listeners; blocks. */
  void setup(Environment env, Recorder rec) throws Exception;

  /** Starts the generators on the recorder's clock; returns at once. */
  void start();

  /** Stops scheduling new sends (retries of open sends may still run); returns at once. */
  void stopGenerating();

  /**
   * Waits until no send is open or the timeout passed.
   *
   * @return true when every sender process is idle
   */
  boolean awaitOpenSends(java.time.Duration timeout) throws InterruptedException;

  /** A consistent-enough snapshot of the counters; cheap, callable from any thread. */
  WorkloadStats stats();

  /** Closes every client; ops still open stay open (they count as {@code info}). Idempotent. */
  @Override
  void close();
}
