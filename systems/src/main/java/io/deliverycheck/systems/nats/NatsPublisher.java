package io.deliverycheck.systems.nats;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.workloads.Outcome;
import io.deliverycheck.workloads.PlannedSend;
import io.deliverycheck.workloads.SendLink;
import io.deliverycheck.workloads.WorkloadContext;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.Nats;
import io.nats.client.PublishOptions;
import io.nats.client.api.PublishAck;
import io.nats.client.impl.Headers;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
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
 * JetStream publish per recipient user, to the subject {@code dc.u.<user>}, with the
 * {@code Nats-Msg-Id} {@code <id>.<user>} (the same on every attempt, so the stream's duplicate
 * window drops a retry of a stored copy), and the send is
 * <ul>
 *   <li>{@code ok} when every publish got its PubAck (a PubAck that says "duplicate" is the server
 *       saying the copy is already stored); the op's {@code msg} lists each copy's stream sequence,
 *       {@code u2:41,u3:42dup};</li>
 *   <li>{@code info} on an error reply, a lost connection, or no PubAck within the request timeout:
 *       the server may have stored a copy.</li>
 * </ul>
 * Publishes start on the publisher's own thread; PubAcks complete on jnats's threads.
 */
final class NatsPublisher implements SendLink {
    static final String ID_HEADER = "Dc-Id";

    private final WorkloadContext ctx;
    private final NatsClients clients;
    private final ScheduledExecutorService timers;
    private final ExecutorService thread;
    private final Connection connection;
    private final JetStream js;
    private final String home;
    private volatile boolean closed;

    NatsPublisher(WorkloadContext ctx, NatsClients clients, int index, ScheduledExecutorService timers) throws Exception {
        this.ctx = ctx;
        this.clients = clients;
        this.timers = timers;
        this.thread = Executors.newSingleThreadExecutor(NatsClients.daemon("nats-publisher-" + index));
        int first = index % ctx.nodes.size();
        this.home = ctx.nodes.get(first);
        this.connection = Nats.connect(NatsClients.connection(ctx, first, "deliverycheck-publisher-" + index));
        this.js = connection.jetStream();
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

    /** The server the connection is on now (jnats moves it when one goes away). */
    @Override
    public String node(PlannedSend m, int attempt) {
        return clients.nodeOf(connection, home);
    }

    @Override
    public CompletionStage<Outcome> send(String target, PlannedSend m, ObjectNode value, int attempt) {
        CompletableFuture<Outcome> result = new CompletableFuture<>();
        if (closed) {
            result.complete(Outcome.info("client closed"));
            return result;
        }
        try {
            timers.schedule(() -> result.complete(Outcome.info("no PubAck within " + ctx.timeoutMillis() + " ms")),
                    ctx.timeoutMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            result.complete(Outcome.info("client closed"));
            return result;
        }
        byte[] body = value.toString().getBytes(StandardCharsets.UTF_8);
        List<CompletableFuture<PublishAck>> acks = new ArrayList<>();
        try {
            for (String user : m.to()) {
                Headers h = new Headers().put(ID_HEADER, m.id()).put("Dc-From", m.from());
                acks.add(js.publishAsync(NatsClients.subject(user), h, body,
                        PublishOptions.builder().messageId(m.id() + "." + user).expectedStream(NatsClients.STREAM).build()));
            }
        } catch (RuntimeException e) {
            result.complete(Outcome.info("publish not written: " + e.getMessage()));
            return result;
        }
        CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).whenComplete((r, e) -> {
            if (e == null) {
                // the stream sequence of each copy, "dup" where the server said it had it already
                StringBuilder seqs = new StringBuilder();
                for (int i = 0; i < acks.size(); i++) {
                    PublishAck a = acks.get(i).join();
                    seqs.append(i == 0 ? "" : ",").append(m.to().get(i)).append(':').append(a.getSeqno())
                            .append(a.isDuplicate() ? "dup" : "");
                }
                result.complete(Outcome.ok(seqs.toString()));
            } else {
                Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                result.complete(Outcome.info("no PubAck: " + cause.getMessage()));
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
        } catch (Exception e) {
            // closing
        }
    }
}
