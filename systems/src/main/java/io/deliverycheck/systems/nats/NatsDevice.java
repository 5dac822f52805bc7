package io.deliverycheck.systems.nats;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.history.Op;
import io.deliverycheck.checker.history.OpType;
import io.deliverycheck.workloads.WorkloadContext;
import io.nats.client.Connection;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.impl.NatsJetStreamMetaData;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A device process {@code d:<user>/<device>}: its own connection (servers in order from the
 * device's home node), a pull subscription bound to its durable consumer, and a thread that fetches
 * up to {@code fetch} messages at a time (waiting at most 1 s) and applies each in the order
 * handed: a {@code receive} is recorded (with the server's account of the delivery: its subject,
 * consumer and sequences, {@link #delivery}), then the {@code ack} is invoked and
 * <ul>
 *   <li>with {@code ack-sync=false}: {@code +ACK} is published to the message's reply subject and
 *       the ack is {@code ok} when the client took it (JetStream does not answer a plain ack), or
 *       {@code info} when it could not;</li>
 *   <li>with {@code ack-sync=true} (the double ack): the ack waits for the server's confirmation,
 *       {@code ok} when it came within the request timeout, {@code info} when not.</li>
 * </ul>
 * A message whose ack was lost is handed out again after AckWait, and the device records that
 * delivery too: a duplicate the system made is a duplicate.
 */
final class NatsDevice {
    private final WorkloadContext ctx;
    private final NatsClients clients;
    private final String user;
    private final String device;
    private final NatsClients.Options options;
    private final int first;
    private final String home;
    private final Thread thread;
    private Connection connection;
    private JetStreamSubscription subscription;
    private volatile boolean closed;

    NatsDevice(WorkloadContext ctx, NatsClients clients, String user, String device, int index, NatsClients.Options options) {
        this.ctx = ctx;
        this.clients = clients;
        this.user = user;
        this.device = device;
        this.options = options;
        this.first = index % ctx.nodes.size();
        this.home = ctx.nodes.get(first);
        this.thread = new Thread(this::run, "nats-device-" + user + "-" + device);
        this.thread.setDaemon(true);
    }

    /** Connects and binds to the consumer (retried until {@code deadline}), then starts fetching. */
    void start(long deadline) throws Exception {
        while (true) {
            try {
                connection = Nats.connect(NatsClients.connection(ctx, first, "deliverycheck-" + user + "-" + device));
                subscription = connection.jetStream().subscribe(NatsClients.subject(user),
                        PullSubscribeOptions.bind(NatsClients.STREAM, NatsClients.consumer(user, device)));
                break;
            } catch (Exception e) {
                if (connection != null) {
                    connection.close();
                    connection = null;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("device " + user + "/" + device + " could not bind to its consumer "
                            + NatsClients.consumer(user, device) + " within 30 s: " + e.getMessage(), e);
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(250));
            }
        }
        thread.start();
    }

    private void run() {
        while (!closed && !ctx.closed()) {
            List<Message> batch;
            try {
                batch = subscription.fetch(options.fetch(), Duration.ofSeconds(1));
            } catch (RuntimeException e) {
                // disconnected or reconnecting: jnats reconnects; ask again shortly
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
                continue;
            }
            for (Message m : batch) {
                if (closed || ctx.closed()) {
                    return;
                }
                if (!m.isJetStream()) {
                    continue; // a status message (e.g. 408 request expired)
                }
                apply(m);
            }
        }
    }

    private void apply(Message m) {
        String id = m.getHeaders() == null ? null : m.getHeaders().getFirst(NatsPublisher.ID_HEADER);
        String node = clients.nodeOf(connection, home);
        ctx.received(user, device, id == null ? "?" : id, node, delivery(m));
        Op ack = ctx.ackInvoked(user, device, id == null ? "?" : id, node);
        try {
            if (options.ackSync()) {
                m.ackSync(Duration.ofMillis(ctx.timeoutMillis()));
            } else {
                m.ack();
            }
            ctx.ackDone(ack, OpType.OK, null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            ctx.ackDone(ack, OpType.INFO, "interrupted");
        } catch (Exception e) {
            ctx.ackDone(ack, OpType.INFO, (options.ackSync() ? "AckSync: " : "ack not written: ") + e);
        }
    }

    /**
     * What the server said about one delivery, recorded with its {@code receive} (HISTORY.md allows
     * such fields; the checker does not judge them): the message's {@code subject} as it came off
     * the wire, and from its ack subject ({@code $JS.ACK.<stream>.<consumer>.<delivered>.<stream
     * seq>.<consumer seq>...}) the {@code stream}, the {@code consumer} that handed it out, its
     * {@code stream_seq}, {@code consumer_seq} and {@code delivered} count. A receive the checker
     * calls misrouted then says whether the consumer handed out a message of another user's
     * subject (NATS), or the message was stored under this user's subject (the publisher), or
     * another consumer's delivery reached this device. An ack subject jnats cannot parse is kept
     * whole as {@code reply}.
     */
    static ObjectNode delivery(Message m) {
        ObjectNode v = JsonNodeFactory.instance.objectNode();
        v.put("subject", m.getSubject());
        try {
            NatsJetStreamMetaData meta = m.metaData();
            v.put("stream", meta.getStream());
            v.put("consumer", meta.getConsumer());
            v.put("stream_seq", meta.streamSequence());
            v.put("consumer_seq", meta.consumerSequence());
            v.put("delivered", meta.deliveredCount());
        } catch (RuntimeException e) {
            v.put("reply", m.getReplyTo());
        }
        return v;
    }

    /** Stops fetching (the thread ends within about a second). */
    void stop() {
        closed = true;
    }

    void close() {
        closed = true;
        try {
            thread.join(3000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Connection c = connection;
        if (c != null) {
            try {
                c.close();
            } catch (Exception e) {
                // closing
            }
        }
    }
}
