package io.deliverycheck.systems.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.ShutdownSignalException;
import io.deliverycheck.checker.history.Op;
import io.deliverycheck.checker.history.OpType;
import io.deliverycheck.workloads.WorkloadContext;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A device process {@code d:<user>/<device>}: one connection, one channel with prefetch
 * {@code prefetch}, one consumer with manual acks on the device's durable queue. Each delivery it is
 * handed, in the order handed, is applied: a {@code receive} is recorded, then the {@code ack} is
 * invoked, {@code basic.ack} written on the delivery's channel, and the ack completed {@code ok}
 * (AMQP 0-9-1 has no reply to {@code basic.ack}: {@code ok} says the device wrote it on an open
 * channel) or {@code info} when the channel is already closed (the broker will hand the message out
 * again, and the device records that delivery too: a duplicate the broker made is a duplicate).
 *
 * <p>When its connection or channel closes, or the broker cancels the consumer (a classic queue's
 * node went down), the device reconnects after a jittered backoff (100 ms to 2 s, from the seed) to
 * the next node.
 */
final class RabbitDevice {
    private final WorkloadContext ctx;
    private final String user;
    private final String device;
    private final String queue;
    private final RabbitClients.Options options;
    private final ScheduledExecutorService timers;
    private final ExecutorService dispatch;
    private final ExecutorService reconnects;
    private final SplittableRandom random;
    /** Serialises the device's ops across channels (an old channel may still dispatch while a new one starts). */
    private final Object ops = new Object();
    private int nodeIndex;
    private int failures;
    private Connection connection;
    private volatile int generation;
    private volatile boolean consuming;
    private volatile boolean closed;

    RabbitDevice(WorkloadContext ctx, String user, String device, int index, RabbitClients.Options options,
            ScheduledExecutorService timers, ExecutorService dispatch, ExecutorService reconnects) {
        this.ctx = ctx;
        this.user = user;
        this.device = device;
        this.queue = RabbitClients.queue(user, device);
        this.options = options;
        this.timers = timers;
        this.dispatch = dispatch;
        this.reconnects = reconnects;
        this.random = new SplittableRandom(ctx.config.seed() * 31 + 1_000_000_007L + index);
        this.nodeIndex = index % ctx.nodes.size();
    }

    void start() {
        later(0);
    }

    boolean consuming() {
        return consuming;
    }

    /** Connects after {@code delayMs}, on a reconnect thread (never a timer or a connection thread). */
    private void later(long delayMs) {
        try {
            timers.schedule(() -> onReconnectThread(this::connect), delayMs, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closed
        }
    }

    private void onReconnectThread(Runnable r) {
        try {
            reconnects.execute(r);
        } catch (RejectedExecutionException e) {
            // closed
        }
    }

    private synchronized void connect() {
        if (closed) {
            return;
        }
        String node = ctx.nodes.get(nodeIndex);
        int gen = ++generation;
        Connection c = null;
        try {
            c = RabbitClients.factory(ctx, node, options.heartbeatSeconds())
                    .newConnection(dispatch, "deliverycheck-" + user + "-" + device);
            Channel ch = c.createChannel();
            ch.basicQos(options.prefetch());
            Connection conn = c;
            c.addShutdownListener(cause -> lost(gen, cause));
            ch.addShutdownListener(cause -> lost(gen, cause));
            connection = c;
            ch.basicConsume(queue, false, "dc-" + user + "-" + device, new Consumer(ch, node, gen, conn));
            failures = 0;
        } catch (Exception e) {
            if (c != null) {
                c.abort(1000);
            }
            retry(gen);
        }
    }

    /** The connection or channel of generation {@code gen} closed (called on the client's connection thread). */
    private void lost(int gen, ShutdownSignalException cause) {
        onReconnectThread(() -> retry(gen));
    }

    private synchronized void retry(int gen) {
        if (gen != generation || closed) {
            return;
        }
        generation++;
        consuming = false;
        Connection c = connection;
        connection = null;
        if (c != null) {
            try {
                c.abort(1000);
            } catch (RuntimeException e) {
                // already closed
            }
        }
        failures++;
        nodeIndex = (nodeIndex + 1) % ctx.nodes.size();
        long base = Math.min(2000, 50L << Math.min(failures, 6));
        later(base / 2 + random.nextLong(base / 2 + 1) + 1);
    }

    /** Deliveries of one channel; the client dispatches them one at a time, in order. */
    private final class Consumer extends DefaultConsumer {
        private final String node;
        private final int gen;

        Consumer(Channel ch, String node, int gen, Connection conn) {
            super(ch);
            this.node = node;
            this.gen = gen;
        }

        @Override
        public void handleConsumeOk(String consumerTag) {
            if (gen == generation) {
                consuming = true;
            }
        }

        @Override
        public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
            synchronized (ops) {
                if (closed || ctx.closed()) {
                    return;
                }
                String id = props.getMessageId() == null ? "?" : props.getMessageId();
                ctx.received(user, device, id, node);
                Op ack = ctx.ackInvoked(user, device, id, node);
                try {
                    getChannel().basicAck(envelope.getDeliveryTag(), false);
                    ctx.ackDone(ack, OpType.OK, null);
                } catch (Exception e) {
                    ctx.ackDone(ack, OpType.INFO, "basic.ack not written: " + e.getMessage());
                }
            }
        }

        @Override
        public void handleCancel(String consumerTag) {
            onReconnectThread(() -> retry(gen));
        }
    }

    void close() {
        Connection c;
        synchronized (this) {
            closed = true;
            consuming = false;
            c = connection;
            connection = null;
        }
        if (c != null) {
            try {
                c.abort(2000);
            } catch (RuntimeException e) {
                // already closed
            }
        }
    }
}
