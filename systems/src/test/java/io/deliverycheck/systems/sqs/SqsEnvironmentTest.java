package io.deliverycheck.systems.sqs;

import io.deliverycheck.checker.history.Recorder;
import io.deliverycheck.checker.runner.Fault;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A private ElasticMQ (its own JVM) with message storage on: a FIFO round trip with the AWS SDK v2
 * SQS client (explicit deduplication id, message group, DeleteMessage as the ack), redelivery after
 * the visibility timeout, messages and a CreateQueue queue surviving a SIGKILL once written, every
 * fault ability, and close leaving no process.
 */
class SqsEnvironmentTest {

    private static final String QUEUE = "d-u2-phone.fifo";

    @Test
    void roundTripEveryFaultAndNothingLeftBehind(@TempDir Path dir) throws Exception {
        SqsEnvironment env = new SqsEnvironment(SqsConfig.defaults().withQueues(List.of(QUEUE))
                .withVisibilityTimeout(Duration.ofSeconds(2)).withPersistMessages(true));
        List<Long> pids = new ArrayList<>();
        try (Recorder rec = Recorder.open(dir.resolve("history.jsonl")); env) {
            env.setup(dir, rec);
            pids.add(env.pids().get("n1"));
            assertEquals(Set.of(Fault.KILL, Fault.PAUSE, Fault.DEVICE_DISCONNECT), env.faultKinds());
            assertEquals(Duration.ofSeconds(2).plus(SqsEnvironment.RECEIVE_MARGIN), env.retryHorizon());
            assertTrue(env.version().matches("\\d+\\.\\d+\\.\\d+.*"), env.version());
            assertTrue(Files.readString(dir.resolve("sqs/application.conf")).contains("fifo = true"));

            try (SqsClient sqs = client(env.clientEndpoint("n1"))) {
                String url = sqs.getQueueUrl(b -> b.queueName(QUEUE)).queueUrl();
                assertEquals(env.clientEndpoint("n1").getPort(), URI.create(url).getPort(), "queue URLs point at the proxy");
                Map<QueueAttributeName, String> attrs = sqs.getQueueAttributes(b -> b.queueUrl(url)
                        .attributeNames(QueueAttributeName.ALL)).attributes();
                assertEquals("true", attrs.get(QueueAttributeName.FIFO_QUEUE));
                assertEquals("false", attrs.get(QueueAttributeName.CONTENT_BASED_DEDUPLICATION));

                String first = send(sqs, url, "m1");
                assertEquals(first, send(sqs, url, "m1"), "the same deduplication id within the window is the same message");
                Message m1 = receiveOne(sqs, url);
                assertEquals("m1", m1.body());
                // not deleted: handed out again after the visibility timeout
                Message again = receiveOne(sqs, url);
                assertEquals("m1", again.body());
                assertNotEquals(m1.receiptHandle(), again.receiptHandle());
                sqs.deleteMessage(b -> b.queueUrl(url).receiptHandle(again.receiptHandle()));

                // a queue made by CreateQueue and a message written to H2 survive a kill
                String other = sqs.createQueue(b -> b.queueName("d-u3-phone.fifo")
                        .attributes(Map.of(QueueAttributeName.FIFO_QUEUE, "true"))).queueUrl();
                FileTime before = Files.getLastModifiedTime(dir.resolve("sqs/messages.mv.db"));
                send(sqs, url, "m2");
                await().atMost(Duration.ofSeconds(10)).until(() -> Files.getLastModifiedTime(dir.resolve("sqs/messages.mv.db")).compareTo(before) > 0);
                long pid = env.pids().get("n1");
                env.kill("n1");
                assertFalse(alive(pid));
                env.restart("n1");
                assertNotEquals(pid, env.pids().get("n1"));
                pids.add(env.pids().get("n1"));
                assertEquals(other, sqs.getQueueUrl(b -> b.queueName("d-u3-phone.fifo")).queueUrl());
                Message m2 = receiveOne(sqs, url);
                assertEquals("m2", m2.body());
                sqs.deleteMessage(b -> b.queueUrl(url).receiptHandle(m2.receiptHandle()));

                // pause and resume
                long pid2 = env.pids().get("n1");
                env.pause("n1");
                assertEquals("T", state(pid2));
                env.resume("n1");
                assertNotEquals("T", state(pid2));
                env.awaitHealthy(Duration.ofSeconds(20));

                // client disconnect closes the pooled connections; the next request opens a new one
                long accepted = env.clientProxy().counts()[0];
                env.disconnectClients("n1");
                send(sqs, url, "m3");
                assertTrue(env.clientProxy().counts()[0] > accepted, "a new connection after the disconnect");

                // client link cut: requests fail until restored
                env.cutClients("n1");
                assertThrows(SdkClientException.class, () -> send(sqs, url, "m4"));
                env.restoreClients("n1");
                await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> send(sqs, url, "m4") != null);
                List<String> rest = new ArrayList<>();
                await().atMost(Duration.ofSeconds(20)).until(() -> {
                    for (Message m : sqs.receiveMessage(b -> b.queueUrl(url).maxNumberOfMessages(10).waitTimeSeconds(1)).messages()) {
                        rest.add(m.body());
                        sqs.deleteMessage(b -> b.queueUrl(url).receiptHandle(m.receiptHandle()));
                    }
                    return rest.size() >= 2;
                });
                assertEquals(List.of("m3", "m4"), rest, "FIFO order within the group");
            }
        }
        for (long pid : pids) {
            assertFalse(alive(pid), "pid " + pid + " still alive after close");
        }
    }

    /** Slow tier: a second ElasticMQ JVM start, 15 to 20 s each on this 2-core machine under load. */
    @Test
    @Tag("slow")
    void plainThroughputLoopConsumesEveryMessage(@TempDir Path dir) throws Exception {
        try (Recorder rec = Recorder.open(dir.resolve("history.jsonl")); SqsEnvironment env = new SqsEnvironment(SqsConfig.defaults())) {
            env.setup(dir, rec);
            try (SqsClient sqs = client(env.clientEndpoint("n1"))) {
                sqs.createQueue(b -> b.queueName("kept.fifo").attributes(Map.of(QueueAttributeName.FIFO_QUEUE, "true")));
            }
            assertTrue(Files.readString(dir.resolve("sqs/queues.conf")).contains("kept.fifo"),
                    "without message storage, queues-storage keeps the queues made by CreateQueue");
            io.deliverycheck.systems.nats.PlainLoop.Result r = SqsPlainBench.run(env, SqsPlainBench.Params.defaults(500));
            System.out.println(r.summary()); // diagnostics only (target/surefire-reports/*-output.txt), never a recorded result
            assertEquals(500, r.accept().getTotalCount(), r.summary());
            assertEquals(500, r.endToEnd().getTotalCount(), r.summary());
        }
    }

    @Test
    void aBadQueueNameIsOneClearLine() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SqsConfig.defaults().withQueues(List.of("plain")));
        assertEquals("SQS queue plain: a FIFO queue name is 1 to 75 of [A-Za-z0-9_-] then .fifo", e.getMessage());
    }

    static SqsClient client(URI endpoint) {
        return SqsClient.builder().endpointOverride(endpoint).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("x", "x")))
                .httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(c -> c.retryStrategy(AwsRetryStrategy.doNotRetry()))
                .build();
    }

    static String send(SqsClient sqs, String url, String id) {
        return sqs.sendMessage(b -> b.queueUrl(url).messageBody(id).messageGroupId("u1").messageDeduplicationId(id)).messageId();
    }

    static Message receiveOne(SqsClient sqs, String url) {
        List<Message> got = new ArrayList<>();
        await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> {
            got.addAll(sqs.receiveMessage(b -> b.queueUrl(url).maxNumberOfMessages(1).waitTimeSeconds(1)).messages());
            return !got.isEmpty();
        });
        return got.get(0);
    }

    static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    static String state(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        return stat.substring(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    }
}
