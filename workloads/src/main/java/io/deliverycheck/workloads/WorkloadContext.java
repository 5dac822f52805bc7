package io.deliverycheck.workloads;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.history.Op;
import io.deliverycheck.checker.history.OpType;
import io.deliverycheck.checker.history.Recorder;
import io.deliverycheck.checker.runner.Environment;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * What every client of one delivery workload shares, whatever the system: the recorder, the
 * environment's nodes, the settings, the roster, the delivery tracker the drain waits on, the
 * counters, and the process names. A system's {@link ClientAdapter} records what its devices
 * observe through {@link #received} and {@link #ackInvoked}/{@link #ackDone}, so every system's
 * history has the same shape (HISTORY.md): one {@code receive} per delivery the device was handed,
 * recorded before its {@code ack} is invoked, never deduplicated on the system's behalf.
 *
 * <p>Thread-safe: the recorder, the tracker and the counters are; a device process must still call
 * these methods one op at a time (at most one op open per process).
 */
public final class WorkloadContext {
  public final Recorder rec;
  public final Environment env;
  public final List<String> nodes;
  public final WorkloadConfig config;
  public final Roster roster;
  final DeliveryTracker tracker;
  final LongAdder sendsOk = new LongAdder();
  final LongAdder sendsInfo = new LongAdder();
  final LongAdder sendsFail = new LongAdder();
  final LongAdder receives = new LongAdder();
  final LongAdder acks = new LongAdder();
  final LongAdder receipts = new LongAdder();
  private volatile boolean closed;

  WorkloadContext(Recorder rec, Environment env, WorkloadConfig config, Roster roster, DeliveryTracker tracker) {
    this.rec = rec;
    this.env = env;
    this.nodes = List.copyOf(env.nodes());
    this.config = config;
    this.roster = roster;
    this.tracker = tracker;
  }

  /** The sender process {@code c<i>}. */
  public static String senderProcess(int index) {
    return "c" + index;
  }

  /** The device process {@code d:<user>/<device>}. */
  public static String deviceProcess(String user, String device) {
    return "d:" + user + "/" + device;
  }

  /** True once the workload is closed: nothing may be recorded any more. */
  public boolean closed() {
    return closed;
  }

  void close() {
    closed = true;
  }

  /** The request timeout in ms: a send or ack with no answer by then is {@code info}. */
  public long timeoutMillis() {
    return config.requestTimeout().toMillis();
  }

  /**
   * Records that {@code user}'s {@code device} applied message {@code id} once more (a {@code
   * receive} ok op of its device process), handed out by {@code node}; counts it for the drain.
   * Nothing is recorded once the workload is closed.
   */
  public void received(String user, String device, String id, String node) {
    received(user, device, id, node, null);
  }

  /**
   * As {@link #received(String, String, String, String)}, with {@code extra}'s fields added to the
   * receive's value (what the system said about this delivery, e.g. its subject and sequence;
   * HISTORY.md lets a value carry fields the checker does not judge). {@code extra} may not name
   * {@code id}, {@code recipient} or {@code device}: those say who received what, and only the
   * arguments may.
   */
  public void received(String user, String device, String id, String node, ObjectNode extra) {
    if (closed) {
      return;
    }
    ObjectNode value = deliveryValue(id, user, device);
    if (extra != null) {
      extra.fieldNames().forEachRemaining(k -> {
        if (value.has(k)) {
          throw new IllegalArgumentException("a receive's extra fields may not name \"" + k + "\"");
        }
      });
      value.setAll(extra);
    }
    rec.ok(deviceProcess(user, device), "receive", value, node);
    receives.increment();
    tracker.received(id, user, device, rec.now());
  }

  /** Invokes the device's {@code ack} of {@code id} at {@code node}; null once the workload is closed. */
  public Op ackInvoked(String user, String device, String id, String node) {
    if (closed) {
      return null;
    }
    return rec.invoke(deviceProcess(user, device), "ack", deliveryValue(id, user, device), node);
  }

  /** Completes an ack invoked by {@link #ackInvoked} (a null invocation is ignored). */
  public void ackDone(Op invocation, OpType type, String error) {
    if (invocation == null || closed) {
      return;
    }
    rec.complete(invocation, type, invocation.value(), error);
    if (type == OpType.OK) {
      acks.increment();
    }
  }

  /** The value of a device op: {@code {"id":..,"recipient":..,"device":..}}. */
  public static ObjectNode deliveryValue(String id, String user, String device) {
    ObjectNode v = JsonNodeFactory.instance.objectNode();
    v.put("id", id);
    v.put("recipient", user);
    v.put("device", device);
    return v;
  }
}
