package io.deliverycheck.systems.redis;

import io.deliverycheck.checker.history.Recorder;
import io.deliverycheck.checker.runner.Fault;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.Consumer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XAutoClaimArgs;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.models.stream.ClaimedMessages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A private redis-server with AOF (appendfsync always): a Streams round trip with Lettuce (XADD,
 * XREADGROUP, XACK, XAUTOCLAIM), an acknowledged XADD surviving a SIGKILL, every fault ability, and
 * close leaving no process.
 */
class RedisEnvironmentTest {

    private static final String STREAM = "u:u2";
    private static final String GROUP = "u2-phone";

    /**
     * A power loss (root, /dev/fuse, fuse3: installed by .ci/run; fails rather than skips without
     * them): entries added under {@code appendfsync always} survive it; entries added after
     * {@code CONFIG SET appendfsync no} (the OS flushes, never Redis) were acknowledged and are gone.
     */
    @Test
    void powerLossKeepsWhatTheAofFsyncedAndTakesBackTheRest(@TempDir Path dir) throws Exception {
        assertNull(io.deliverycheck.environments.disk.PowerLossFs.problem(), "the power-loss file system must run here");
        RedisEnvironment env = new RedisEnvironment(RedisConfig.defaults().withAppendfsync("always"));
        env.prepareFaults(Set.of(Fault.POWER_LOSS));
        RedisClient client = null;
        try (Recorder rec = Recorder.open(dir.resolve("history.jsonl")); env) {
            env.setup(dir, rec);
            assertEquals(Set.of(Fault.KILL, Fault.PAUSE, Fault.DEVICE_DISCONNECT, Fault.POWER_LOSS), env.faultKinds());
            assertEquals(dir.toAbsolutePath().resolve("power-loss/n1"), env.dataDir());
            client = RedisClient.create(RedisURI.create(env.clientEndpoint("n1").toString()));
            client.setOptions(ClientOptions.builder().autoReconnect(true).build());
            RedisCommands<String, String> r = client.connect().sync();
            for (int i = 0; i < 20; i++) {
                r.xadd(STREAM, Map.of("id", "s" + i));
            }
            r.configSet("appendfsync", "no");
            for (int i = 0; i < 20; i++) {
                r.xadd(STREAM, Map.of("id", "u" + i));
            }
            assertEquals(40L, r.xlen(STREAM));
            long pid = env.pids().get("n1");
            var dropped = env.powerOff(List.of("n1"));
            assertFalse(alive(pid), "the broker lost power");
            assertTrue(dropped.path("reverted_files").asLong() > 0, dropped.toString());
            env.powerOn(List.of("n1"));
            env.powerOn(List.of("n1")); // idempotent
            long[] len = {-1};
            await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> {
                len[0] = r.xlen(STREAM);
                return true;
            });
            assertEquals(20L, len[0], "the 20 fsynced entries, none of the 20 the OS was left to flush");
        } finally {
            if (client != null) {
                client.shutdown();
            }
        }
        assertFalse(io.deliverycheck.environments.disk.PowerLossFs.isMounted(dir.resolve("power-loss/n1")), "close unmounts");
    }

    @Test
    void roundTripEveryFaultAndNothingLeftBehind(@TempDir Path dir) throws Exception {
        RedisEnvironment env = new RedisEnvironment(RedisConfig.defaults().withAppendfsync("always"));
        List<Long> pids = new ArrayList<>();
        RedisClient client = null;
        try (Recorder rec = Recorder.open(dir.resolve("history.jsonl")); env) {
            env.setup(dir, rec);
            pids.add(env.pids().get("n1"));
            assertEquals(Set.of(Fault.KILL, Fault.PAUSE, Fault.DEVICE_DISCONNECT), env.faultKinds());
            assertNull(env.adminEndpoint("n1"));
            String conf = Files.readString(dir.resolve("redis/redis.conf"));
            assertTrue(conf.contains("appendonly yes") && conf.contains("appendfsync always"), conf);
            assertTrue(env.clientEndpoint("n1").toString().startsWith("redis://127.0.0.1:"));

            client = RedisClient.create(RedisURI.create(env.clientEndpoint("n1").toString()));
            client.setOptions(ClientOptions.builder().autoReconnect(true).build());
            StatefulRedisConnection<String, String> conn = client.connect();
            RedisCommands<String, String> r = conn.sync();
            r.xgroupCreate(XReadArgs.StreamOffset.from(STREAM, "0"), GROUP, XGroupCreateArgs.Builder.mkstream());

            String e1 = r.xadd(STREAM, Map.of("id", "m1"));
            assertEquals(List.of("m1"), ids(read(r)));
            assertEquals(1L, r.xack(STREAM, GROUP, e1));

            // an entry handed out but not acknowledged is claimed again by XAUTOCLAIM
            r.xadd(STREAM, Map.of("id", "m2"));
            assertEquals(List.of("m2"), ids(read(r)));
            ClaimedMessages<String, String> claimed = r.xautoclaim(STREAM,
                    XAutoClaimArgs.Builder.xautoclaim(Consumer.from(GROUP, "laptop"), Duration.ZERO, "0-0").count(10));
            assertEquals(List.of("m2"), ids(claimed.getMessages()));
            r.xack(STREAM, GROUP, claimed.getMessages().get(0).getId());

            // kill right after an acknowledged XADD: with appendfsync always it survives the restart
            r.xadd(STREAM, Map.of("id", "m3"));
            long pid = env.pids().get("n1");
            env.kill("n1");
            assertFalse(alive(pid));
            env.restart("n1");
            assertNotEquals(pid, env.pids().get("n1"));
            pids.add(env.pids().get("n1"));
            List<String> afterRestart = new ArrayList<>();
            await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> {
                afterRestart.addAll(ids(read(r)));
                return !afterRestart.isEmpty();
            });
            assertEquals(List.of("m3"), afterRestart, "the acknowledged XADD survived; the acked entries are not handed out again");

            // pause and resume
            long pid2 = env.pids().get("n1");
            env.pause("n1");
            assertEquals("T", state(pid2));
            env.resume("n1");
            assertNotEquals("T", state(pid2));
            env.awaitHealthy(Duration.ofSeconds(10));

            // client disconnect: the proxy closes the connection, Lettuce reconnects (a new client id)
            long before = r.clientId();
            env.disconnectClients("n1");
            AtomicLong after = new AtomicLong(before);
            await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> {
                after.set(r.clientId());
                return after.get() != before;
            });

            // client link cut: new connections are refused until restored
            env.cutClients("n1");
            RedisClient other = RedisClient.create(RedisURI.Builder.redis("127.0.0.1", env.clientEndpoint("n1").getPort())
                    .withTimeout(Duration.ofSeconds(2)).build());
            try {
                assertThrows(RedisConnectionException.class, () -> other.connect().sync().ping());
                env.restoreClients("n1");
                await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> {
                    try (StatefulRedisConnection<String, String> c = other.connect()) {
                        return c.sync().ping().equals("PONG");
                    }
                });
            } finally {
                other.shutdown();
            }
            conn.close();
        } finally {
            if (client != null) {
                client.shutdown();
            }
        }
        for (long pid : pids) {
            assertFalse(alive(pid), "pid " + pid + " still alive after close");
        }
    }

    @Test
    void plainThroughputLoopConsumesEveryMessage(@TempDir Path dir) throws Exception {
        try (Recorder rec = Recorder.open(dir.resolve("history.jsonl")); RedisEnvironment env = new RedisEnvironment(RedisConfig.defaults())) {
            env.setup(dir, rec);
            io.deliverycheck.systems.nats.PlainLoop.Result r = RedisPlainBench.run(env, RedisPlainBench.Params.defaults(5000));
            System.out.println(r.summary()); // diagnostics only (target/surefire-reports/*-output.txt), never a recorded result
            assertEquals(5000, r.accept().getTotalCount(), r.summary());
            assertEquals(5000, r.endToEnd().getTotalCount(), r.summary());
            assertEquals(0, r.redelivered(), r.summary());
        }
    }

    @Test
    void anUnknownFsyncPolicyIsOneClearLine() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RedisConfig.defaults().withAppendfsync("no"));
        assertEquals("Redis appendfsync=no: choose one of always, everysec", e.getMessage());
    }

    static List<StreamMessage<String, String>> read(RedisCommands<String, String> r) {
        return r.xreadgroup(Consumer.from(GROUP, "phone"), XReadArgs.Builder.count(10),
                XReadArgs.StreamOffset.lastConsumed(STREAM));
    }

    static List<String> ids(List<StreamMessage<String, String>> msgs) {
        return msgs.stream().map(m -> m.getBody().get("id")).toList();
    }

    static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    static String state(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        return stat.substring(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    }
}
