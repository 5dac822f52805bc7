package io.deliverycheck.environments;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Duration;
import java.util.List;

/**
 * What the reference node's command-line flags say about a run, for every environment that runs it
 * (local processes, network namespaces, SSH hosts): its claims and its redelivery horizon.
 */
public final class ReferenceNodeFlags {

    private ReferenceNodeFlags() {
    }

    /**
     * The reference node's claims: its mode (from {@code --guarantee}, default exactly-once), durable
     * receipts, no order; its flags as settings. Planted bugs are settings, not claims: a node with a
     * bug still claims its mode, and the checker judges whether it keeps it.
     *
     * @param env the environment's name as a setting, or null to leave it out
     */
    public static ObjectNode system(List<String> flags, int nodes, String env) {
        ObjectNode v = JsonNodeFactory.instance.objectNode();
        v.put("name", "reference");
        String version = ReferenceNodeFlags.class.getPackage().getImplementationVersion();
        v.put("version", version == null ? "dev" : version);
        ObjectNode settings = v.putObject("settings");
        settings.put("nodes", nodes);
        if (env != null) {
            settings.put("env", env);
        }
        ArrayNode bugs = settings.putArray("bugs");
        for (int i = 0; i + 1 < flags.size(); i++) {
            if (flags.get(i).startsWith("--")) {
                if (flags.get(i).equals("--bug")) {
                    bugs.add(flags.get(i + 1));
                } else {
                    settings.put(flags.get(i).substring(2), flags.get(i + 1));
                }
            }
        }
        v.put("guarantee", flag(flags, "--guarantee", "exactly-once"));
        v.put("receipts", true);
        v.put("order", "none");
        return v;
    }

    /**
     * The redelivery horizon: after that long without a new push, no correct node will push again.
     * A row's next attempt is due at most the ack timeout's cap ({@code --ack-timeout-max-ms}, default
     * 4000, at least {@code --ack-timeout-ms}: the timeout adapts to ack latency within them) plus the
     * backoff cap ({@code --backoff-max-ms}, 5000) after its push; a dead node's lease ({@code
     * --lease-ms}, 3000) can hold it that much longer; and a due row is claimed at a poll, at most 5
     * polls later ({@code --poll-ms}, 100: idle nodes skip up to 4). A push held by a device's window
     * ({@code --max-in-flight}) is written at the latest one ack timeout after the push before it.
     * Defaults: 4000 + 5000 + 3000 + 500 = 12.5 s.
     */
    public static Duration retryHorizon(List<String> flags) {
        long min = Long.parseLong(flag(flags, "--ack-timeout-ms", "1000"));
        long cap = Math.max(min, Long.parseLong(flag(flags, "--ack-timeout-max-ms", "4000")));
        return Duration.ofMillis(cap
                + Long.parseLong(flag(flags, "--backoff-max-ms", "5000"))
                + Long.parseLong(flag(flags, "--lease-ms", "3000"))
                + 5 * Long.parseLong(flag(flags, "--poll-ms", "100")));
    }

    /** The value of the last {@code name} among the flags, or {@code dflt}. */
    public static String flag(List<String> flags, String name, String dflt) {
        String v = dflt;
        for (int i = 0; i + 1 < flags.size(); i++) {
            if (flags.get(i).equals(name)) {
                v = flags.get(i + 1);
            }
        }
        return v;
    }
}
