package io.deliverycheck.systems.redis;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How {@link RedisEnvironment} runs its redis-server.
 *
 * @param appendfsync the AOF fsync policy: {@code always} (fsync before each write is answered) or
 *     {@code everysec} (Redis's default: up to about a second of acknowledged writes can be lost in a
 *     crash)
 * @param binary the redis-server executable (a name on the PATH or a path)
 * @param startTimeout how long start-up (and a restart, which replays the AOF) may take
 */
public record RedisConfig(String appendfsync, String binary, Duration startTimeout) {

    /** The fsync policies the option accepts ({@code no} leaves it to the OS and is not offered). */
    public static final List<String> APPENDFSYNC = List.of("always", "everysec");

    public RedisConfig {
        if (!APPENDFSYNC.contains(appendfsync)) {
            throw new IllegalArgumentException("Redis appendfsync=" + appendfsync + ": choose one of " + String.join(", ", APPENDFSYNC));
        }
        Objects.requireNonNull(binary, "binary");
        Objects.requireNonNull(startTimeout, "startTimeout");
    }

    /** Redis's own default fsync policy (everysec), redis-server from the PATH, 30 s to start. */
    public static RedisConfig defaults() {
        return new RedisConfig("everysec", "redis-server", Duration.ofSeconds(30));
    }

    public RedisConfig withAppendfsync(String policy) {
        return new RedisConfig(policy, binary, startTimeout);
    }

    public RedisConfig withBinary(String path) {
        return new RedisConfig(appendfsync, path, startTimeout);
    }

    public RedisConfig withStartTimeout(Duration timeout) {
        return new RedisConfig(appendfsync, binary, timeout);
    }
}
