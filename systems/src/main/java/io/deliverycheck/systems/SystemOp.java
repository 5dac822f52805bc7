package io.deliverycheck.systems;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The value of the history's {@code system} op (HISTORY.md): name, version, settings and claims. */
public final class SystemOp {

    private SystemOp() {
    }

    /**
     * {@code {"name":..,"version":..,"settings":{..},"guarantee":..,"receipts":..,"order":..,"source":..}};
     * {@code version} may be null when the environment fills it in once the system runs.
     */
    public static ObjectNode of(String name, String version, Settings settings, int nodes, Claims claims) {
        ObjectNode v = JsonNodeFactory.instance.objectNode();
        v.put("name", name);
        if (version != null) {
            v.put("version", version);
        }
        ObjectNode s = settings.toJson();
        s.put("nodes", nodes);
        v.set("settings", s);
        claims.writeTo(v);
        if (claims.source() != null) {
            v.put("source", claims.source());
        }
        return v;
    }
}
