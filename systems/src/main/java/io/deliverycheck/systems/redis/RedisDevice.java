package io.deliverycheck.systems.redis;

import io.deliverycheck.checker.history.Op;
import io.deliverycheck.checker.history.OpType;
import io.deliverycheck.workloads.WorkloadContext;
import io.lettuce.core.Consumer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XAutoClaimArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.models.stream.ClaimedMessages;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A device process {@code d:<user>/<device>}: its own connection and a thread that, as consumer
 * {@code c} of its group {@code g:<device>} on its user's stream,
 * <ul>
 *   <li>reads new entries ({@code XREADGROUP ... COUNT count BLOCK 1000 STREAMS dc:s:<user> >});</li>
 *   <li>every half {@code claim-idle} (at least every 500 ms) takes back its own entries pending
 *       longer than {@code claim-idle} ({@code XAUTOCLAIM}, following the cursor): entries Redis
 *       handed out on a read whose reply the device never got (a lost connection, a timeout), or
 *       whose XACK was lost;</li>
 *   <li>applies each entry in the order handed: a {@code receive} is recorded, then the {@code ack}
 *       invoked, {@code XACK} sent, and the ack {@code ok} when Redis answered, {@code info} when
 *       not.</li>
 * </ul>
 */
final class RedisDevice {
    private final WorkloadContext ctx;
    private final String user;
    private final String device;
    private final String stream;
    private final String group;
    private final RedisClients.Options options;
    private final StatefulRedisConnection<String, String> connection;
    private final RedisCommands<String, String> redis;
    private final Thread thread;
    private volatile boolean closed;

    RedisDevice(WorkloadContext ctx, RedisClient client, String user, String device, RedisClients.Options options) {
        this.ctx = ctx;
        this.user = user;
        this.device = device;
        this.stream = RedisClients.stream(user);
        this.group = RedisClients.group(device);
        this.options = options;
        this.connection = client.connect();
        this.connection.setTimeout(RedisClients.BLOCK.plusMillis(Math.max(1000, ctx.timeoutMillis())));
        this.redis = connection.sync();
        this.thread = new Thread(this::run, "redis-device-" + user + "-" + device);
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    private void run() {
        Consumer<String> me = Consumer.from(group, "c");
        long claimEvery = Math.max(TimeUnit.MILLISECONDS.toNanos(500), options.claimIdle().toNanos() / 2);
        long nextClaim = System.nanoTime() + claimEvery;
        while (!closed && !ctx.closed()) {
            try {
                if (System.nanoTime() >= nextClaim) {
                    claim(me);
                    nextClaim = System.nanoTime() + claimEvery;
                }
                List<StreamMessage<String, String>> batch = redis.xreadgroup(me,
                        XReadArgs.Builder.count(options.count()).block(RedisClients.BLOCK),
                        XReadArgs.StreamOffset.lastConsumed(stream));
                apply(batch);
            } catch (RuntimeException e) {
                // disconnected, restarting (-LOADING) or timed out: Lettuce reconnects; try again shortly
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
            }
        }
    }

    /** XAUTOCLAIM from the start of the pending entries list to its end (bounded: 20 pages). */
    private void claim(Consumer<String> me) {
        String cursor = "0-0";
        for (int page = 0; page < 20 && !closed; page++) {
            ClaimedMessages<String, String> claimed = redis.xautoclaim(stream,
                    XAutoClaimArgs.Builder.xautoclaim(me, options.claimIdle(), cursor).count(options.count()));
            apply(claimed.getMessages());
            cursor = claimed.getId();
            if (cursor == null || cursor.equals("0-0")) {
                return;
            }
        }
    }

    private void apply(List<StreamMessage<String, String>> entries) {
        if (entries == null) {
            return;
        }
        for (StreamMessage<String, String> m : entries) {
            if (closed || ctx.closed()) {
                return;
            }
            String id = m.getBody() == null ? null : m.getBody().get("id");
            if (id == null) {
                continue; // an entry deleted while pending: nothing to apply
            }
            String node = ctx.nodes.get(0);
            ctx.received(user, device, id, node);
            Op ack = ctx.ackInvoked(user, device, id, node);
            try {
                redis.xack(stream, group, m.getId());
                ctx.ackDone(ack, OpType.OK, null);
            } catch (RuntimeException e) {
                ctx.ackDone(ack, OpType.INFO, "XACK: " + e.getMessage());
            }
        }
    }

    /** Stops reading (the thread ends within a read's block). */
    void stop() {
        closed = true;
    }

    void close() {
        closed = true;
        try {
            thread.join(4000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            connection.close();
        } catch (RuntimeException e) {
            // closing
        }
    }
}
