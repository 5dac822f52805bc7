package io.deliverycheck.systems.sqs;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.workloads.Outcome;
import io.deliverycheck.workloads.PlannedSend;
import io.deliverycheck.workloads.SendLink;
import io.deliverycheck.workloads.WorkloadContext;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * The senders' SDK client, shared by {@code window} sender processes (the SDK's client is
 * synchronous, so {@code window} threads make the calls). A send is one SendMessage per device of
 * each recipient user, to the device's FIFO queue, with the message id as its body and its
 * {@code MessageDeduplicationId}, and the sender user ({@code from}) as its {@code MessageGroupId}.
 * It is {@code ok} when every SendMessage answered 200, {@code fail} when the queues refused every
 * one (HTTP 4xx: not stored), {@code info} otherwise (a timeout, a lost connection, a 5xx, a mix).
 * An {@code info} is retried by the generic sender with the same id, so the same deduplication id:
 * within the deduplication interval SQS accepts it and does not enqueue it again.
 *
 * <p>Each attempt has one deadline, the request timeout from its {@link #send}: its SendMessage
 * calls share it (each call's {@code apiCallTimeout} is what is left of it), and a call not begun by
 * then is not made. So a call thread is never held past the attempt's outcome, and the
 * {@code window} threads are enough for the {@code window} processes. (Before, a paused or slow
 * ElasticMQ held each thread for up to 2 s per SendMessage of a send, the request timeout completed
 * the op {@code info} while its calls went on, and the retries queued behind them: after the first
 * fault, every send waited in the queue longer than its timeout and ended {@code info}, and the stale
 * calls still sent the messages when their turn came.)
 */
final class SqsSender implements SendLink {
    private final WorkloadContext ctx;
    private final Map<String, String> queueUrls;
    private final ScheduledExecutorService timers;
    private final ExecutorService dispatch = Executors.newSingleThreadExecutor(SqsClients.daemon("sqs-sender-dispatch"));
    private final ExecutorService calls;
    private final SqsClient sqs;
    private volatile boolean closed;

    SqsSender(WorkloadContext ctx, URI endpoint, Map<String, String> queueUrls, SqsClients.Options options,
            ScheduledExecutorService timers) {
        this.ctx = ctx;
        this.queueUrls = queueUrls;
        this.timers = timers;
        this.calls = Executors.newFixedThreadPool(options.window(), SqsClients.daemon("sqs-sender"));
        this.sqs = SqsClients.client(endpoint, Duration.ofMillis(ctx.timeoutMillis()));
    }

    @Override
    public void execute(Runnable task) {
        try {
            dispatch.execute(task);
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
        return "n1";
    }

    @Override
    public CompletionStage<Outcome> send(String target, PlannedSend m, ObjectNode value, int attempt) {
        CompletableFuture<Outcome> result = new CompletableFuture<>();
        if (closed) {
            result.complete(Outcome.info("client closed"));
            return result;
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ctx.timeoutMillis());
        try {
            calls.execute(() -> result.complete(sendAll(m, deadline)));
        } catch (RejectedExecutionException e) {
            result.complete(Outcome.info("client closed"));
            return result;
        }
        timers.schedule(() -> result.complete(Outcome.info("no answer to every SendMessage within " + ctx.timeoutMillis() + " ms")),
                ctx.timeoutMillis(), TimeUnit.MILLISECONDS);
        return result;
    }

    /**
     * One SendMessage per device queue of every recipient, all within {@code deadline}
     * ({@link System#nanoTime}); a call thread. A call not begun by the deadline is not made: that
     * part was certainly not stored, but the attempt is {@code info} unless every part was refused.
     */
    private Outcome sendAll(PlannedSend m, long deadline) {
        int parts = 0;
        int ok = 0;
        int refused = 0;
        String error = null;
        for (String user : m.to()) {
            for (String device : ctx.roster.devicesOf(user)) {
                parts++;
                String url = queueUrls.get(user + "/" + device);
                long left = deadline - System.nanoTime();
                if (left <= 0 || closed) {
                    error = (closed ? "client closed" : "no time left within " + ctx.timeoutMillis() + " ms") + " for SendMessage to "
                            + SqsClients.queue(user, device) + " (not sent)";
                    continue;
                }
                Duration budget = Duration.ofNanos(left);
                try {
                    sqs.sendMessage(b -> b.queueUrl(url).messageBody(m.id()).messageGroupId(m.from())
                            .messageDeduplicationId(m.id()).overrideConfiguration(o -> o.apiCallTimeout(budget)));
                    ok++;
                } catch (AwsServiceException e) {
                    if (e.statusCode() >= 400 && e.statusCode() < 500) {
                        refused++;
                    }
                    error = "SendMessage to " + SqsClients.queue(user, device) + ": " + e.awsErrorDetails().errorCode()
                            + " (HTTP " + e.statusCode() + ")";
                } catch (RuntimeException e) {
                    error = "SendMessage to " + SqsClients.queue(user, device) + ": " + e.getMessage();
                }
            }
        }
        if (ok == parts) {
            return Outcome.ok(null);
        }
        if (refused == parts) {
            return Outcome.fail(error, false);
        }
        return Outcome.info(error + " (" + ok + " of " + parts + " accepted)");
    }

    void close() {
        closed = true;
        dispatch.shutdownNow();
        calls.shutdownNow();
        sqs.close();
    }
}
