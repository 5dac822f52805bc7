package io.deliverycheck.systems.redis;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.workloads.Outcome;
import io.deliverycheck.workloads.PlannedSend;
import io.deliverycheck.workloads.SendLink;
import io.deliverycheck.workloads.WorkloadContext;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One publisher connection shared by a window of sender processes: each process's send is one
 * {@code XADD dc:s:<user> * id <id> from <from> op <value>} per recipient user, pipelined, and the
 * send is {@code ok} when every XADD answered with its entry id, {@code info} otherwise (an error
 * reply, a timeout, a lost connection): Lettuce re-sends what was queued when its connection is
 * lost, so even an error reply does not prove that no earlier transmission of the same XADD was
 * applied. An {@code info} is retried with the same id; Redis has no deduplication, so a copy that
 * was stored after all is delivered twice (at-least-once allows it).
 */
final class RedisPublisher implements SendLink {
    private final WorkloadContext ctx;
    private final ScheduledExecutorService timers;
    private final ExecutorService thread;
    private final StatefulRedisConnection<String, String> connection;
    private final RedisAsyncCommands<String, String> redis;
    private volatile boolean closed;

    RedisPublisher(WorkloadContext ctx, RedisClient client, int index, ScheduledExecutorService timers) {
        this.ctx = ctx;
        this.timers = timers;
        this.thread = Executors.newSingleThreadExecutor(RedisClients.daemon("redis-publisher-" + index));
        this.connection = client.connect();
        this.redis = connection.async();
    }

    @Override
    public void execute(Runnable task) {
        try {
            thread.execute(task);
        } catch (RejectedExecutionException e) {
            // closed: the workload is over
        }
    }

    @Override
    public void schedule(long delayMs, Runnable task) {
        try {
            timers.schedule(() -> execute(task), delayMs, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closed
        }
    }

    @Override
    public String node(PlannedSend m, int attempt) {
        return ctx.nodes.get(0);
    }

    @Override
    public CompletionStage<Outcome> send(String target, PlannedSend m, ObjectNode value, int attempt) {
        CompletableFuture<Outcome> result = new CompletableFuture<>();
        if (closed) {
            result.complete(Outcome.info("client closed"));
            return result;
        }
        try {
            timers.schedule(() -> result.complete(Outcome.info("no XADD reply within " + ctx.timeoutMillis() + " ms")),
                    ctx.timeoutMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            result.complete(Outcome.info("client closed"));
            return result;
        }
        List<CompletableFuture<String>> replies = new ArrayList<>();
        try {
            for (String user : m.to()) {
                replies.add(redis.xadd(RedisClients.stream(user), Map.of("id", m.id(), "from", m.from(), "op", value.toString()))
                        .toCompletableFuture());
            }
        } catch (RuntimeException e) {
            result.complete(Outcome.info("XADD not written: " + e.getMessage()));
            return result;
        }
        CompletableFuture.allOf(replies.toArray(CompletableFuture[]::new)).whenComplete((r, e) -> {
            if (e == null) {
                result.complete(Outcome.ok(null));
            } else {
                Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                result.complete(Outcome.info("XADD: " + cause.getMessage()));
            }
        });
        return result;
    }

    void close() {
        closed = true;
        thread.shutdown();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        thread.shutdownNow();
        try {
            connection.close();
        } catch (RuntimeException e) {
            // closing
        }
    }
}
