package io.deliverycheck.systems.redis;

import io.deliverycheck.checker.runner.Environment;
import io.deliverycheck.checker.runner.Fault;
import io.deliverycheck.checker.runner.Workload;
import io.deliverycheck.systems.Claims;
import io.deliverycheck.systems.RunParameters;
import io.deliverycheck.systems.Settings;
import io.deliverycheck.systems.SystemOp;
import io.deliverycheck.systems.SystemOption;
import io.deliverycheck.systems.SystemUnderTest;
import io.deliverycheck.systems.bench.PlainClient;
import io.deliverycheck.systems.nats.BrokerProcess;
import io.deliverycheck.workloads.Workloads;
import java.time.Duration;
import java.util.List;

/**
 * Redis Streams (Debian's {@code redis-server}) as a system under test: one private server with
 * the append-only file ({@link RedisEnvironment}), a stream per user, a consumer group per device,
 * XADD as the send, XREADGROUP and XACK for the devices, XAUTOCLAIM of entries pending too long
 * ({@link RedisClients}). Claims at-least-once; Redis documents that only {@code appendfsync always}
 * keeps every acknowledged write through a crash of the machine, so {@code everysec} (its default)
 * is the documented weaker setting. One server whatever {@code --nodes} says: replication with
 * failover (Sentinel) is not built (docs/systems.md, "Redis Streams: what it claims").
 */
public final class RedisStreamsSystem implements SystemUnderTest {
    /** Where Redis documents the claims. */
    static final String SOURCE = "https://redis.io/docs/latest/develop/data-types/streams/ (consumer groups, pending entries,"
            + " XAUTOCLAIM); https://redis.io/docs/latest/operate/oss_and_stack/management/persistence/ (appendfsync)";

    @Override
    public String name() {
        return "redis-streams";
    }

    @Override
    public String summary() {
        return "Redis Streams (Debian's redis-server, AOF on), one private server; a stream per user, a consumer group per device";
    }

    @Override
    public List<SystemOption> options() {
        return List.of(
                new SystemOption("appendfsync", "everysec", RedisConfig.APPENDFSYNC,
                        "AOF fsync policy (always: fsync before the reply; everysec: Redis's default)"),
                new SystemOption("claim-idle", "5000", List.of(),
                        "XAUTOCLAIM min-idle-time, ms: a device takes back entries read but not acked for this long (>= 100)"),
                new SystemOption("window", "64", List.of(), "XADDs awaiting their reply per publisher connection (>= 1)"),
                new SystemOption("publishers", "1", List.of(), "publisher connections (>= 1)"),
                new SystemOption("count", "100", List.of(), "COUNT of each XREADGROUP and XAUTOCLAIM (>= 1)"),
                new SystemOption("server", "redis-server", List.of(), "the redis-server executable"));
    }

    /** At-least-once for both fsync policies (everysec is the documented weaker one); no order claim. */
    @Override
    public Claims claims(Settings settings) {
        return new Claims("at-least-once", false, "none", SOURCE);
    }

    @Override
    public List<String> faults(Settings settings) {
        List<String> f = new java.util.ArrayList<>(List.of(Fault.KILL, Fault.PAUSE, Fault.DEVICE_DISCONNECT));
        if (io.deliverycheck.environments.disk.PowerLossFs.problem() == null) {
            f.add(Fault.POWER_LOSS); // drawn only when named: the AOF on a power-loss file system
        }
        return f;
    }

    @Override
    public String missing(Settings settings) {
        try {
            BrokerProcess.Result r = BrokerProcess.run(List.of(settings.get("server"), "--version"), Duration.ofSeconds(10),
                    "redis-server");
            return r.exitCode() == 0 ? null : "redis-server " + settings.get("server") + " --version failed: " + r.output();
        } catch (Exception e) {
            return "redis-server not runnable as " + settings.get("server") + ": install it (Debian: apt-get install redis-server)"
                    + " or pass --system-opt server=PATH";
        }
    }

    @Override
    public void validate(RunParameters run, Settings settings) {
        SystemUnderTest.super.validate(run, settings);
        clientOptions(settings);
    }

    RedisClients.Options clientOptions(Settings s) {
        return new RedisClients.Options(Duration.ofMillis(atLeast(s, "claim-idle", 100)), atLeast(s, "window", 1),
                atLeast(s, "publishers", 1), atLeast(s, "count", 1));
    }

    private static int atLeast(Settings s, String name, int min) {
        int v = s.getInt(name);
        if (v < min) {
            throw new IllegalArgumentException("--system-opt " + name + "=" + v + ": must be >= " + min);
        }
        return v;
    }

    RedisConfig redisConfig(Settings s) {
        return RedisConfig.defaults().withAppendfsync(s.get("appendfsync")).withBinary(s.get("server"));
    }

    /**
     * An entry read but never acknowledged stays pending until a device claims it back: after
     * {@code claim-idle} of idleness, at the device's next XAUTOCLAIM (each read blocks at most 1 s),
     * plus a reconnect after a restart.
     */
    static Duration retryHorizon(RedisClients.Options o) {
        return o.claimIdle().plusSeconds(4);
    }

    @Override
    public PlainClient plainClient(RunParameters run, Settings settings) {
        RedisClients.Options o = clientOptions(settings);
        return (env, roster, plan, warmup, duration) -> BenchRedis.run((RedisEnvironment) env, roster, plan, o, warmup, duration);
    }

    @Override
    public Environment environment(RunParameters run, Settings settings) {
        return new RedisEnvironment(redisConfig(settings), SystemOp.of(name(), null, settings, 1, claims(settings)),
                retryHorizon(clientOptions(settings)));
    }

    @Override
    public Workload workload(RunParameters run, Settings settings) {
        return Workloads.create(run.workload(), new RedisClients(clientOptions(settings)));
    }
}
