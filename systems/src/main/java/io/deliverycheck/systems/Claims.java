package io.deliverycheck.systems;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;

/**
 * What a system claims for one set of settings: the {@code system} op of HISTORY.md.
 *
 * @param guarantee {@code at-most-once}, {@code at-least-once} or {@code exactly-once}
 * @param receipts whether it tells senders receipt states
 * @param order {@code none} or {@code per-sender}
 * @param source where the system documents this claim (a URL or a document and section), shown by
 *     {@code deliverycheck systems} and in docs/systems.md
 */
public record Claims(String guarantee, boolean receipts, String order, String source) {

    public Claims {
        Objects.requireNonNull(guarantee, "guarantee");
        Objects.requireNonNull(order, "order");
        if (!order.equals("none") && !order.equals("per-sender")) {
            throw new IllegalArgumentException("order must be none or per-sender, not " + order);
        }
    }

    /** Writes the claim fields into a {@code system} op value. */
    public ObjectNode writeTo(ObjectNode system) {
        system.put("guarantee", guarantee);
        system.put("receipts", receipts);
        system.put("order", order);
        return system;
    }
}
