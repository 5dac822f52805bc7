package io.deliverycheck.systems.sqs;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * How {@link SqsEnvironment} runs ElasticMQ.
 *
 * @param queues FIFO queues to create at start-up (names ending in {@code .fifo}); clients may also
 *     create queues with CreateQueue
 * @param contentBasedDeduplication the queues' {@code contentBasedDeduplication}: true lets SQS
 *     derive the deduplication id from the body, false (the default) requires an explicit
 *     {@code MessageDeduplicationId} on every send
 * @param visibilityTimeout the queues' {@code defaultVisibilityTimeout}: how long a received,
 *     undeleted message stays invisible before it is handed out again (SQS's default 30 s)
 * @param persistMessages {@code messages-storage}: keep queues and messages in an H2 file database
 *     so they survive a restart; off (ElasticMQ's default) keeps messages in memory only
 * @param jvmOptions options of ElasticMQ's JVM
 * @param startTimeout how long start-up (and a restart) may take until it serves
 */
public record SqsConfig(List<String> queues, boolean contentBasedDeduplication, Duration visibilityTimeout,
                        boolean persistMessages, List<String> jvmOptions, Duration startTimeout) {

    private static final Pattern FIFO_NAME = Pattern.compile("[A-Za-z0-9_-]{1,75}\\.fifo");

    public SqsConfig {
        queues = List.copyOf(queues);
        for (String q : queues) {
            if (!FIFO_NAME.matcher(q).matches()) {
                throw new IllegalArgumentException("SQS queue " + q + ": a FIFO queue name is 1 to 75 of [A-Za-z0-9_-] then .fifo");
            }
        }
        Objects.requireNonNull(visibilityTimeout, "visibilityTimeout");
        if (visibilityTimeout.isNegative() || visibilityTimeout.toSeconds() > 43200) {
            throw new IllegalArgumentException("SQS visibility timeout " + visibilityTimeout.toSeconds() + " s: expected 0 to 43200 s");
        }
        jvmOptions = List.copyOf(jvmOptions);
        Objects.requireNonNull(startTimeout, "startTimeout");
    }

    /** No queues made up front, explicit deduplication ids, 30 s visibility, messages in memory (ElasticMQ's default). */
    public static SqsConfig defaults() {
        return new SqsConfig(List.of(), false, Duration.ofSeconds(30), false,
                List.of("-Xmx256m", "-XX:+UseSerialGC"), Duration.ofSeconds(60));
    }

    public SqsConfig withQueues(List<String> names) {
        return new SqsConfig(names, contentBasedDeduplication, visibilityTimeout, persistMessages, jvmOptions, startTimeout);
    }

    public SqsConfig withContentBasedDeduplication(boolean on) {
        return new SqsConfig(queues, on, visibilityTimeout, persistMessages, jvmOptions, startTimeout);
    }

    public SqsConfig withVisibilityTimeout(Duration timeout) {
        return new SqsConfig(queues, contentBasedDeduplication, timeout, persistMessages, jvmOptions, startTimeout);
    }

    public SqsConfig withPersistMessages(boolean on) {
        return new SqsConfig(queues, contentBasedDeduplication, visibilityTimeout, on, jvmOptions, startTimeout);
    }

    public SqsConfig withStartTimeout(Duration timeout) {
        return new SqsConfig(queues, contentBasedDeduplication, visibilityTimeout, persistMessages, jvmOptions, timeout);
    }
}
