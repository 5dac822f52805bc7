package io.deliverycheck.systems.kafka;

import io.deliverycheck.workloads.ClientAdapter;
import io.deliverycheck.workloads.SendLink;
import io.deliverycheck.workloads.WorkloadContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The kafka system's clients for the generic delivery workload (docs/systems.md, "Kafka: the client
 * mapping"):
 * <ul>
 *   <li>{@link #prepare}: a topic {@code dc-<user>} per user ({@code partitions}, replication
 *       {@code replication}, the run's {@code min.insync.replicas} and unclean election), and
 *       {@code dc-warmup}, where each producer sends one record before the workload starts (an
 *       idempotent producer's first send waits for its producer id);</li>
 *   <li>{@link #connect}: one {@link KafkaDevice} per device, a consumer of its own consumer group
 *       {@code dc-<user>-<device>} on its user's topic, from the earliest offset, committing after
 *       each polled batch is recorded;</li>
 *   <li>{@link #senders}: {@code producers} {@link KafkaPublisher}s, each a {@code KafkaProducer}
 *       (asynchronous: its callbacks complete the sends) shared by {@code window} sender processes,
 *       so up to {@code window} sends are unacknowledged on each producer at once.</li>
 * </ul>
 * Every client goes through the environment's client proxies ({@code bootstrap.servers} lists them
 * all, and the brokers advertise them), so client disconnects and client partitions reach them.
 */
final class KafkaMapping implements ClientAdapter {
    /** The device consumers' session timeout (the broker's minimum is 6 s; Kafka's default 45 s). */
    static final int SESSION_TIMEOUT_MS = 10_000;
    /** The topic each producer's warm-up record goes to before the workload; no device reads it. */
    static final String WARMUP_TOPIC = "dc-warmup";

    /**
     * The knobs of the mapping.
     *
     * @param acks            the producer's {@code acks}: {@code all} or {@code 1}
     * @param idempotent      the producer's {@code enable.idempotence}
     * @param replication     replication factor of each user topic
     * @param minInsync       {@code min.insync.replicas} of each user topic (and the brokers)
     * @param uncleanElection {@code unclean.leader.election.enable} of each user topic (and the brokers)
     * @param partitions      partitions of each user topic
     * @param window          sender processes (unacknowledged sends) per producer
     * @param producers       producers
     * @param maxPollRecords  each device consumer's {@code max.poll.records}
     */
    record Options(String acks, boolean idempotent, int replication, int minInsync, boolean uncleanElection, int partitions,
            int window, int producers, int maxPollRecords) {
        Options {
            if (!acks.equals("all") && !acks.equals("1")) {
                throw new IllegalArgumentException("acks " + acks + ": choose all or 1");
            }
            if (idempotent && !acks.equals("all")) {
                throw new IllegalArgumentException("an idempotent producer needs acks=all");
            }
            if (replication < 1 || minInsync < 1 || minInsync > replication || partitions < 1 || window < 1 || producers < 1
                    || maxPollRecords < 1) {
                throw new IllegalArgumentException("replication, min-insync (<= replication), partitions, window, producers"
                        + " and max-poll-records must be >= 1");
            }
        }

        /** Kafka's defaults for a cluster of {@code nodes}: acks=all, idempotent, replication min(3, n), ISR min(2, rf). */
        static Options defaults(int nodes) {
            int rf = Math.min(3, nodes);
            return new Options("all", true, rf, Math.min(2, rf), false, 1, 64, 1, 500);
        }
    }

    private final Options options;
    private ScheduledExecutorService timers;
    private final List<KafkaDevice> devices = new ArrayList<>();
    private final List<KafkaPublisher> publishers = new ArrayList<>();

    KafkaMapping(Options options) {
        this.options = options;
    }

    static String topic(String user) {
        return "dc-" + user;
    }

    static String group(String user, String device) {
        return "dc-" + user + "-" + device;
    }

    static String bootstrap(WorkloadContext ctx) {
        return ((KafkaEnvironment) ctx.env).bootstrapServers();
    }

    /** Creates the user topics (or {@code prefix}-named ones for the plain client), then waits until every one has a leader. */
    static void createTopics(String bootstrap, List<String> topics, Options o, long timeoutMs) throws Exception {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Long.toString(timeoutMs));
        try (Admin admin = Admin.create(p)) {
            List<NewTopic> create = new ArrayList<>();
            for (String t : topics) {
                create.add(new NewTopic(t, o.partitions(), (short) o.replication()).configs(Map.of(
                        "min.insync.replicas", Integer.toString(o.minInsync()),
                        "unclean.leader.election.enable", Boolean.toString(o.uncleanElection()))));
            }
            try {
                admin.createTopics(create).all().get(timeoutMs, TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            }
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
            while (true) {
                boolean led;
                try {
                    led = admin.describeTopics(topics).allTopicNames().get(timeoutMs, TimeUnit.MILLISECONDS).values().stream()
                            .allMatch(d -> d.partitions().stream().allMatch(pi -> pi.leader() != null && !pi.leader().isEmpty()));
                } catch (ExecutionException e) {
                    // a broker whose metadata has not caught up with the creation yet answers "unknown
                    // topic or partition", a retriable error: ask again until the deadline
                    if (!(e.getCause() instanceof org.apache.kafka.common.errors.RetriableException)) {
                        throw e;
                    }
                    led = false;
                }
                if (led) {
                    return;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the topics have no leader after " + timeoutMs + " ms");
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
            }
        }
    }

    /** A producer's settings: the run's acks and idempotence, Kafka's batching, timeouts from the workload's. */
    static Properties producerProps(String bootstrap, Options o, String clientId, long timeoutMs) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        p.put(ProducerConfig.ACKS_CONFIG, o.acks());
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, Boolean.toString(o.idempotent()));
        // the broker waits for the in-sync replicas at most this long; the producer retries within delivery.timeout.ms
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(timeoutMs));
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Long.toString(2 * timeoutMs + 100));
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Long.toString(timeoutMs));
        p.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "1000");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        return p;
    }

    /** A device consumer's settings: its own group, from the earliest offset, manual commits. */
    static Properties consumerProps(String bootstrap, Options o, String group, String clientId) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.toString(o.maxPollRecords()));
        p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, Integer.toString(SESSION_TIMEOUT_MS));
        p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, Integer.toString(SESSION_TIMEOUT_MS / 3));
        p.put(ConsumerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "1000");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        return p;
    }

    @Override
    public void prepare(WorkloadContext ctx) throws Exception {
        timers = Executors.newScheduledThreadPool(1, daemon("kafka-clients"));
        List<String> topics = new ArrayList<>(ctx.roster.users().stream().map(KafkaMapping::topic).toList());
        topics.add(WARMUP_TOPIC);
        try {
            createTopics(bootstrap(ctx), topics, options, Math.max(30_000, 10 * ctx.timeoutMillis()));
        } catch (Exception e) {
            throw new IllegalStateException("creating the kafka topics failed: " + e, e);
        }
    }

    @Override
    public void connect(WorkloadContext ctx) throws Exception {
        int i = 0;
        for (String user : ctx.roster.users()) {
            for (String device : ctx.roster.devicesOf(user)) {
                devices.add(new KafkaDevice(ctx, user, device, i++, options));
            }
        }
        devices.forEach(KafkaDevice::start);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!devices.stream().allMatch(KafkaDevice::consuming)) {
            KafkaDevice failed = devices.stream().filter(d -> d.failure() != null).findFirst().orElse(null);
            if (System.nanoTime() > deadline) {
                long down = devices.stream().filter(d -> !d.consuming()).count();
                throw new IllegalStateException(down + " of " + devices.size()
                        + " kafka devices got no partition of their topic within 90 s"
                        + (failed == null ? "" : " (" + failed.failure() + ")"));
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
    }

    @Override
    public List<SendLink> senders(WorkloadContext ctx) {
        List<SendLink> links = new ArrayList<>();
        for (int p = 0; p < options.producers(); p++) {
            KafkaPublisher pub = new KafkaPublisher(ctx, p, options, timers);
            pub.warm(ctx.roster.users().stream().map(KafkaMapping::topic).toList());
            publishers.add(pub);
            for (int w = 0; w < options.window(); w++) {
                links.add(pub);
            }
        }
        return links;
    }

    @Override
    public void disconnect() {
        devices.forEach(KafkaDevice::close);
        publishers.forEach(KafkaPublisher::close);
    }

    @Override
    public void close() {
        disconnect();
        if (timers != null) {
            timers.shutdownNow();
        }
    }

    static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
