/**
 * Apache Kafka (KRaft) as a system under test: this package is Kafka's room (shared DESIGN.md,
 * "Systems under test"): {@link io.deliverycheck.systems.kafka.KafkaSystem} is the door
 * ({@code --system kafka}: options, claims, faults), {@link io.deliverycheck.systems.kafka.KafkaMapping}
 * the client mapping (a topic per user, a consumer group per device:
 * {@link io.deliverycheck.systems.kafka.KafkaPublisher}, {@link io.deliverycheck.systems.kafka.KafkaDevice}),
 * {@link io.deliverycheck.systems.kafka.BenchKafka} the plain client of {@code bench systems}, and
 * the environment below is how it runs.
 *
 * <h2>{@link io.deliverycheck.systems.kafka.KafkaEnvironment}</h2>
 * An {@code Environment} with the abilities {@code Killable}, {@code Pausable},
 * {@code Partitionable}, {@code LinkDelayable} and {@code ClientDisconnectable}, configured by a
 * {@link io.deliverycheck.systems.kafka.KafkaClusterConfig} (nodes, broker settings such as
 * {@code unclean.leader.election.enable} or {@code min.insync.replicas}, the brokers' JVM):
 * <ul>
 *   <li>Each broker is its own JVM running {@link io.deliverycheck.systems.kafka.KafkaBrokerMain}
 *       on the harness's class path (the {@code org.apache.kafka:kafka_2.13} jars from Maven
 *       Central, no distribution): it formats its log directory with the run's cluster id unless
 *       formatted already, then runs {@code kafka.Kafka}. n1..n3 are broker+controller nodes (a static
 *       3-voter KRaft quorum), further nodes brokers only. Processes are owned through
 *       {@code OwnedProcesses} and exit when their stdin (a pipe from the harness) ends.</li>
 *   <li>Every link goes through a harness {@code TcpProxy}: one per broker for clients
 *       ({@code clientEndpoint(node)} = {@code kafka://127.0.0.1:port}, and the {@code CLIENT}
 *       listener advertises it), one per ordered pair of brokers for replication and one per pair
 *       for the quorum. Brokers find each other by name through a hosts file of their own
 *       ({@link io.deliverycheck.systems.kafka.KafkaLayout}), so each pair has its own proxy and a
 *       grudge cuts exactly the links it names ({@link io.deliverycheck.systems.kafka.KafkaLinks}).</li>
 *   <li>kill = SIGKILL, restart on the same data, ports and settings; pause = SIGSTOP/SIGCONT;
 *       partition (between brokers, and between the member {@code clients} and brokers), link delay
 *       and client disconnects in the proxies. Healthy = every broker is among
 *       the live (registered, unfenced) brokers and answers a request addressed to it.</li>
 *   <li>Run folder: {@code logs/kafka-nI.log}, {@code kafka/nI/server.properties},
 *       {@code kafka/nI/hosts}, {@code kafka/nI/data/}, and {@code kafka/lib/}: log4j-api and
 *       log4j-to-slf4j, which Kafka needs and only the brokers get (with log4j on the shared class
 *       path Vert.x would log through it in every JVM of the harness).</li>
 *   <li>The {@code system} op and the redelivery horizon are constructor arguments: whoever maps
 *       clients and claims gives them; the environment itself claims nothing.</li>
 * </ul>
 *
 * <h2>{@link io.deliverycheck.systems.kafka.KafkaPlainBench}</h2>
 * The environment's own throughput probe (one topic): an idempotent
 * {@code acks=all} producer with a window of unacknowledged sends and a consumer group that commits
 * after every poll; messages per second and latency percentiles, nothing recorded.
 *
 * <p>The brokers log through {@link io.deliverycheck.systems.kafka.BrokerLogProvider}, an SLF4J
 * backend chosen with {@code -Dslf4j.provider} only in the broker JVMs.
 */
package io.deliverycheck.systems.kafka;
