package io.deliverycheck.checker.runner;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Counters of a running workload, for the progress line, the drain decision and the summary.
 *
 * @param slots planned send slots so far (open loop: one per 1/rate seconds)
 * @param missedSlots slots skipped because every sender process was busy
 * @param achievedRate first-attempt sends per second over the generation period
 * @param sendsOk send ops completed {@code ok} (attempts, not messages)
 * @param owed owed triples (message, recipient, device) of messages with an ok send
 * @param delivered owed triples with at least one receive
 * @param lastReceiveNanos recorder time of the last receive, or -1
 * @param resolved owed triples whose sender was told a final state ({@code delivered}, {@code read}
 *     or {@code failed}, of the triple or of its recipient: HISTORY.md's {@code unresolved} rule)
 */
public record WorkloadStats(
    long slots,
    long missedSlots,
    double achievedRate,
    long sendsOk,
    long sendsInfo,
    long sendsFail,
    long receives,
    long acks,
    long receipts,
    long owed,
    long delivered,
    long lastReceiveNanos,
    long resolved) {

  public static final WorkloadStats EMPTY = new WorkloadStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, 0);

  /** True when every owed triple has been received at least once. */
  public boolean allDelivered() {
    return delivered >= owed;
  }

  /** True when every owed triple's sender was told a final state (meaningful where receipts are claimed). */
  public boolean allResolved() {
    return resolved >= owed;
  }

  public ObjectNode toJson() {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("slots", slots);
    o.put("missed_slots", missedSlots);
    o.put("achieved_rate", Math.round(achievedRate * 100) / 100.0);
    o.put("sends_ok", sendsOk);
    o.put("sends_info", sendsInfo);
    o.put("sends_fail", sendsFail);
    o.put("receives", receives);
    o.put("acks", acks);
    o.put("receipts", receipts);
    o.put("owed", owed);
    o.put("delivered", delivered);
    o.put("resolved", resolved);
    return o;
  }
}
