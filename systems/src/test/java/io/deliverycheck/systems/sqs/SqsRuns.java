package io.deliverycheck.systems.sqs;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.history.Op;
import io.deliverycheck.checker.history.OpType;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** What the sqs-fifo tests check in a history beyond its verdict. */
final class SqsRuns {
    private SqsRuns() {
    }

    /**
     * Asserts that every second or later receive of a triple (id, recipient, device) came after the
     * device's DeleteMessage of its previous receive ended without {@code ok} (its answer lost or
     * refused): a redelivery after a visibility timeout, as SQS documents for a message not deleted,
     * never one after a confirmed delete. Returns the number of such redeliveries.
     */
    static int assertRedeliveriesFollowUnconfirmedDeletes(List<Op> ops) {
        Map<String, OpType> lastAck = new HashMap<>();
        Map<String, String> openAck = new HashMap<>();
        int redelivered = 0;
        for (Op o : ops) {
            if (!o.process().startsWith("d:") || o.value() == null) {
                continue;
            }
            String triple = o.value().get("id").asText() + "/" + o.value().get("recipient").asText() + "/"
                    + o.value().get("device").asText();
            if (o.f().equals("receive")) {
                OpType before = lastAck.get(triple);
                if (before == OpType.OK) {
                    throw new AssertionError("received again after its DeleteMessage was confirmed: " + o);
                }
                if (lastAck.containsKey(triple)) {
                    redelivered++;
                }
                lastAck.put(triple, OpType.INVOKE);
            } else if (o.f().equals("ack")) {
                if (o.type() == OpType.INVOKE) {
                    openAck.put(o.process(), triple);
                } else {
                    lastAck.put(openAck.remove(o.process()), o.type());
                }
            }
        }
        return redelivered;
    }

    /**
     * Asserts that every {@code lost} example's message was accepted (its first send {@code ok})
     * before the last {@code kill} of the run: only messages ElasticMQ held when it was killed were
     * lost, none accepted after the last restart. Returns how many examples there were.
     */
    static int assertLostOnlyAcceptedBeforeAKill(List<Op> ops, List<ObjectNode> lost) {
        long lastKill = ops.stream().filter(o -> o.f().equals("kill")).mapToLong(Op::time).max().orElse(-1);
        Map<String, Long> acceptedAt = new HashMap<>();
        for (Op o : ops) {
            if (o.f().equals("send") && o.type() == OpType.OK) {
                acceptedAt.putIfAbsent(o.value().get("id").asText(), o.time());
            }
        }
        for (ObjectNode l : lost) {
            Long at = acceptedAt.get(l.get("id").asText());
            if (at == null || at > lastKill) {
                throw new AssertionError("lost, yet accepted after the last kill (" + lastKill + " ns): " + l + " at " + at);
            }
        }
        return lost.size();
    }
}
