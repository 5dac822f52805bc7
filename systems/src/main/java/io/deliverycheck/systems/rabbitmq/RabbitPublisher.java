package io.deliverycheck.systems.rabbitmq;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.deliverycheck.workloads.Outcome;
import io.deliverycheck.workloads.PlannedSend;
import io.deliverycheck.workloads.SendLink;
import io.deliverycheck.workloads.WorkloadContext;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One publisher connection with publisher confirms, shared by a window of sender processes: each
 * process's send is one {@code basic.publish} per recipient user (to the user's fanout exchange,
 * persistent, {@code mandatory}), and the send is
 * <ul>
 *   <li>{@code ok} when the broker confirmed ({@code basic.ack}) every one of them, none returned;</li>
 *   <li>{@code fail} when every one of them was returned unroutable (no queue took it);</li>
 *   <li>{@code info} on a {@code basic.nack} (the broker "refuses responsibility": it may still have
 *       enqueued it in some queues), a partial return, no confirm within the request timeout, or a
 *       lost connection.</li>
 * </ul>
 * Publishes run on the connection's own thread, one at a time (an AMQP channel must not be written by
 * two threads); confirms arrive on the client's connection thread. A lost connection completes every
 * unconfirmed send {@code info}; the next attempt reconnects, to the next node when the current one
 * refuses.
 */
final class RabbitPublisher implements SendLink {
    private final WorkloadContext ctx;
    private final int index;
    private final RabbitClients.Options options;
    private final ScheduledExecutorService timers;
    private final ExecutorService thread;
    private int nodeIndex;
    private Connection connection;
    private Channel channel;
    private String node;
    /** Unconfirmed publishes of the current channel, by publish sequence number. */
    private ConcurrentSkipListMap<Long, Part> unconfirmed = new ConcurrentSkipListMap<>();
    private volatile boolean closed;

    RabbitPublisher(WorkloadContext ctx, int index, RabbitClients.Options options, ScheduledExecutorService timers) {
        this.ctx = ctx;
        this.index = index;
        this.options = options;
        this.timers = timers;
        this.thread = Executors.newSingleThreadExecutor(RabbitClients.daemon("rabbitmq-publisher-" + index));
        this.nodeIndex = index % ctx.nodes.size();
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

    /** The node of the open connection, else the node the next connect goes to. Publisher thread. */
    @Override
    public String node(PlannedSend m, int attempt) {
        return channel != null && channel.isOpen() ? node : ctx.nodes.get(nodeIndex);
    }

    /** Publisher thread. */
    @Override
    public CompletionStage<Outcome> send(String target, PlannedSend m, ObjectNode value, int attempt) {
        Send send = new Send(m.to().size());
        if (closed) {
            send.complete(Outcome.info("client closed"));
            return send.result;
        }
        try {
            ensureConnected(target);
        } catch (Exception e) {
            nodeIndex = (nodeIndex + 1) % ctx.nodes.size();
            send.complete(Outcome.info("cannot connect to " + target + ": " + e.getMessage()));
            return send.result;
        }
        timers.schedule(() -> send.complete(Outcome.info("no publisher confirm within " + ctx.timeoutMillis() + " ms")),
                ctx.timeoutMillis(), TimeUnit.MILLISECONDS);
        byte[] body = value.toString().getBytes(StandardCharsets.UTF_8);
        Channel ch = channel;
        ConcurrentSkipListMap<Long, Part> parts = unconfirmed;
        for (String user : m.to()) {
            long seq = ch.getNextPublishSeqNo();
            AMQP.BasicProperties props = new AMQP.BasicProperties.Builder()
                    .deliveryMode(2)
                    .contentType("application/json")
                    .messageId(m.id())
                    .headers(Map.of("from", m.from(), "attempt", attempt, "dc-seq", seq))
                    .build();
            parts.put(seq, new Part(send));
            try {
                ch.basicPublish(RabbitClients.exchange(user), "", true, props, body);
            } catch (Exception e) {
                parts.remove(seq);
                send.complete(Outcome.info("publish failed: " + e.getMessage()));
                dropConnection();
                break;
            }
        }
        return send.result;
    }

    /** Opens a connection and a confirm-mode channel to {@code target} unless one is open. Publisher thread. */
    private void ensureConnected(String target) throws Exception {
        if (channel != null && channel.isOpen()) {
            return;
        }
        dropConnection();
        Connection c = RabbitClients.factory(ctx, target, options.heartbeatSeconds())
                .newConnection("deliverycheck-publisher-" + index);
        try {
            Channel ch = c.createChannel();
            ch.confirmSelect();
            ConcurrentSkipListMap<Long, Part> parts = new ConcurrentSkipListMap<>();
            ch.addConfirmListener((seq, multiple) -> settle(parts, seq, multiple, Part::acked),
                    (seq, multiple) -> settle(parts, seq, multiple, Part::nacked));
            ch.addReturnListener(r -> {
                Object seq = r.getProperties().getHeaders() == null ? null : r.getProperties().getHeaders().get("dc-seq");
                Part p = seq instanceof Number n ? parts.get(n.longValue()) : null;
                if (p != null) {
                    p.returned = true;
                }
            });
            ch.addShutdownListener(cause -> lost(parts, cause.getMessage()));
            c.addShutdownListener(cause -> lost(parts, cause.getMessage()));
            connection = c;
            channel = ch;
            unconfirmed = parts;
            node = target;
        } catch (Exception e) {
            c.abort(1000);
            throw e;
        }
    }

    /** Confirms (or nacks) for {@code seq}, or everything up to it when {@code multiple}. Connection thread. */
    private static void settle(ConcurrentSkipListMap<Long, Part> parts, long seq, boolean multiple,
            java.util.function.Consumer<Part> how) {
        if (multiple) {
            ConcurrentNavigableMap<Long, Part> head = parts.headMap(seq, true);
            List<Part> done = new ArrayList<>(head.values());
            head.clear();
            done.forEach(how);
        } else {
            Part p = parts.remove(seq);
            if (p != null) {
                how.accept(p);
            }
        }
    }

    /** The channel or connection closed: every unconfirmed publish of it is now unknown. */
    private static void lost(ConcurrentSkipListMap<Long, Part> parts, String why) {
        List<Part> open = new ArrayList<>(parts.values());
        parts.clear();
        for (Part p : open) {
            p.send.complete(Outcome.info("connection lost before the confirm: " + why));
        }
    }

    private void dropConnection() {
        Connection c = connection;
        connection = null;
        channel = null;
        node = null;
        if (c != null) {
            try {
                c.abort(1000);
            } catch (RuntimeException e) {
                // already gone
            }
        }
    }

    void close() {
        closed = true;
        execute(this::dropConnection);
        thread.shutdown();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        thread.shutdownNow();
    }

    /** One publish of a send (one recipient user's exchange). */
    private static final class Part {
        final Send send;
        volatile boolean returned;

        Part(Send send) {
            this.send = send;
        }

        void acked() {
            send.settled(returned ? Settle.RETURNED : Settle.ACKED);
        }

        void nacked() {
            send.settled(Settle.NACKED);
        }
    }

    private enum Settle { ACKED, RETURNED, NACKED }

    /** A send of k publishes: its outcome once all k are settled, or the first unknown. */
    private static final class Send {
        final CompletableFuture<Outcome> result = new CompletableFuture<>();
        private int left;
        private int acked;
        private int returned;
        private int nacked;

        Send(int parts) {
            this.left = parts;
        }

        synchronized void settled(Settle s) {
            switch (s) {
                case ACKED -> acked++;
                case RETURNED -> returned++;
                default -> nacked++;
            }
            if (--left > 0) {
                return;
            }
            if (acked > 0 && returned == 0 && nacked == 0) {
                complete(Outcome.ok(null));
            } else if (returned > 0 && acked == 0 && nacked == 0) {
                complete(Outcome.fail("returned unroutable: no queue is bound to the exchange", false));
            } else {
                complete(Outcome.info("basic.nack or partial return (acked " + acked + ", returned " + returned
                        + ", nacked " + nacked + "): the broker refused responsibility for some copies"));
            }
        }

        void complete(Outcome o) {
            result.complete(o);
        }
    }
}
