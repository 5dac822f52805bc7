package io.deliverycheck.systems.sqs;

import io.deliverycheck.checker.history.Op;
import io.deliverycheck.checker.history.OpType;
import io.deliverycheck.workloads.WorkloadContext;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * A device process {@code d:<user>/<device>}: one thread and one SDK client receiving from the
 * device's FIFO queue (ReceiveMessage, up to {@code max-messages} at a time, long polling 1 s). Each
 * message it is handed is applied in the order handed: a {@code receive} recorded, then the
 * {@code ack} invoked as a DeleteMessage with the message's receipt handle, completed {@code ok} on
 * its 200 within the request timeout, {@code fail} when the queue refuses the handle (its visibility timeout expired: the
 * message is handed out again), {@code info} when the call failed or timed out. The message id is the
 * body. A failed receive is retried after a jittered pause (100 ms to 1 s).
 */
final class SqsDevice {
    private final WorkloadContext ctx;
    private final String user;
    private final String device;
    private final String queueUrl;
    private final SqsClients.Options options;
    private final SqsClient sqs;
    private final Thread thread;
    private volatile boolean polling;
    private volatile boolean closed;

    SqsDevice(WorkloadContext ctx, URI endpoint, String user, String device, String queueUrl, SqsClients.Options options) {
        this.ctx = ctx;
        this.user = user;
        this.device = device;
        this.queueUrl = queueUrl;
        this.options = options;
        // a long poll of 1 s plus 10 s: ElasticMQ's first answers to 20 new clients took longer than 3 s on a
        // loaded machine; a slow receive only delays the device, it decides no op's outcome
        this.sqs = SqsClients.client(endpoint, Duration.ofSeconds(11));
        this.thread = new Thread(this::loop, "sqs-device-" + user + "-" + device);
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    boolean polling() {
        return polling;
    }

    private void loop() {
        java.util.SplittableRandom random = new java.util.SplittableRandom(ctx.config.seed() * 31 + (user + device).hashCode());
        while (!closed && !ctx.closed()) {
            List<Message> got;
            try {
                got = sqs.receiveMessage(b -> b.queueUrl(queueUrl).maxNumberOfMessages(options.maxMessages()).waitTimeSeconds(1))
                        .messages();
                polling = true;
            } catch (RuntimeException e) {
                pause(100 + random.nextLong(900));
                continue;
            }
            for (Message m : got) {
                if (closed || ctx.closed()) {
                    return;
                }
                apply(m);
            }
        }
    }

    private void apply(Message m) {
        String id = m.body();
        ctx.received(user, device, id, "n1");
        Op ack = ctx.ackInvoked(user, device, id, "n1");
        try {
            sqs.deleteMessage(b -> b.queueUrl(queueUrl).receiptHandle(m.receiptHandle())
                    .overrideConfiguration(o -> o.apiCallTimeout(Duration.ofMillis(ctx.timeoutMillis()))));
            ctx.ackDone(ack, OpType.OK, null);
        } catch (AwsServiceException e) {
            boolean refused = e.statusCode() >= 400 && e.statusCode() < 500;
            ctx.ackDone(ack, refused ? OpType.FAIL : OpType.INFO, "DeleteMessage: " + e.awsErrorDetails().errorCode()
                    + " (HTTP " + e.statusCode() + ")");
        } catch (RuntimeException e) {
            ctx.ackDone(ack, OpType.INFO, "DeleteMessage: " + e.getMessage());
        }
    }

    private void pause(long ms) {
        try {
            TimeUnit.MILLISECONDS.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closed = true;
        }
    }

    void close() {
        closed = true;
        polling = false;
        try {
            thread.join(3000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sqs.close();
    }
}
