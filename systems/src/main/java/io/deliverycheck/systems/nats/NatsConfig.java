package io.deliverycheck.systems.nats;

import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * How {@link NatsEnvironment} runs its cluster.
 *
 * @param servers how many nats-server processes (3 for a cluster that survives one failure)
 * @param syncInterval JetStream's {@code sync_interval}: {@code always} (fsync every write), a
 *     duration such as {@code 1s} or {@code 500ms}, or null for the server's default (2 min from
 *     nats-server 2.10 on; 2.9 has no such option and syncs every 60 s)
 * @param binary the nats-server executable (a name on the PATH or a path)
 * @param startTimeout how long start-up (and a restart) may take until healthy
 */
public record NatsConfig(int servers, String syncInterval, String binary, Duration startTimeout) {

    private static final Pattern DURATION = Pattern.compile("\\d+(ms|s|m|h)");

    public NatsConfig {
        if (servers < 1) {
            throw new IllegalArgumentException("NATS servers must be at least 1, not " + servers);
        }
        if (syncInterval != null && !syncInterval.equals("always") && !DURATION.matcher(syncInterval).matches()) {
            throw new IllegalArgumentException("NATS sync_interval=" + syncInterval + ": expected always or a duration like 1s, 500ms, 2m");
        }
        Objects.requireNonNull(binary, "binary");
        Objects.requireNonNull(startTimeout, "startTimeout");
    }

    /** Three servers, the server's own sync interval, nats-server from the PATH, 60 s to start. */
    public static NatsConfig defaults() {
        return new NatsConfig(3, null, "nats-server", Duration.ofSeconds(60));
    }

    public NatsConfig withServers(int n) {
        return new NatsConfig(n, syncInterval, binary, startTimeout);
    }

    public NatsConfig withSyncInterval(String interval) {
        return new NatsConfig(servers, interval, binary, startTimeout);
    }

    public NatsConfig withBinary(String path) {
        return new NatsConfig(servers, syncInterval, path, startTimeout);
    }

    public NatsConfig withStartTimeout(Duration timeout) {
        return new NatsConfig(servers, syncInterval, binary, timeout);
    }
}
