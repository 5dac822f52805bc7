package io.deliverycheck.systems.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeConfigsOptions;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.config.ConfigResource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Whether the brokers are healthy, asked through the client proxies with one admin client: a broker
 * is healthy when the cluster lists it among its live (registered, unfenced) brokers and a request
 * addressed to it ({@code DescribeConfigs} of that broker) is answered by it.
 */
final class KafkaHealth implements AutoCloseable {

    private static final int PROBE_TIMEOUT_MS = 3000;
    private static final long POLL_MS = 250;

    private final Admin admin;

    KafkaHealth(String bootstrap) {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(AdminClientConfig.CLIENT_ID_CONFIG, "deliverycheck-health");
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Integer.toString(PROBE_TIMEOUT_MS));
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Integer.toString(PROBE_TIMEOUT_MS));
        p.put(AdminClientConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MS_CONFIG, "1000");
        p.put(AdminClientConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS_CONFIG, "2000");
        p.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "500");
        p.put(AdminClientConfig.RETRY_BACKOFF_MAX_MS_CONFIG, "500");
        p.put(AdminClientConfig.METADATA_MAX_AGE_CONFIG, "1000");
        this.admin = Admin.create(p);
    }

    /** The ids of the brokers the cluster lists as live; throws what went wrong when nobody answered. */
    Set<Integer> liveBrokers() throws InterruptedException, ExecutionException, TimeoutException {
        return admin.describeCluster(new DescribeClusterOptions().timeoutMs(PROBE_TIMEOUT_MS)).nodes()
                .get(PROBE_TIMEOUT_MS + 1000L, TimeUnit.MILLISECONDS)
                .stream().map(Node::id).collect(Collectors.toCollection(TreeSet::new));
    }

    /** True when broker {@code id} itself answers a request addressed to it. */
    boolean answers(int id) {
        try {
            ConfigResource r = new ConfigResource(ConfigResource.Type.BROKER, Integer.toString(id));
            admin.describeConfigs(List.of(r), new DescribeConfigsOptions().timeoutMs(PROBE_TIMEOUT_MS)).all()
                    .get(PROBE_TIMEOUT_MS + 1000L, TimeUnit.MILLISECONDS);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException | TimeoutException e) {
            return false;
        }
    }

    /**
     * Waits until every broker of {@code ids} (node name to broker id) is live and answers. Throws
     * {@link IllegalStateException} naming the first node that is not, with the last answer, at the
     * deadline (with its {@code log}), or at once when {@code exited} reports that its process ended
     * (a message naming its exit code and log).
     */
    void await(Map<String, Integer> ids, Duration timeout, Function<String, String> exited, Function<String, Path> log)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String problem = null;
            String culprit = null;
            for (String node : ids.keySet()) {
                String gone = exited.apply(node);
                if (gone != null) {
                    throw new IllegalStateException(gone);
                }
            }
            try {
                Set<Integer> live = liveBrokers();
                for (Map.Entry<String, Integer> e : ids.entrySet()) {
                    if (!live.contains(e.getValue())) {
                        culprit = e.getKey();
                        problem = "not among the live brokers " + live;
                        break;
                    }
                    if (!answers(e.getValue())) {
                        culprit = e.getKey();
                        problem = "listed live but does not answer requests addressed to it";
                        break;
                    }
                }
            } catch (ExecutionException e) {
                problem = "no broker answered a metadata request: " + e.getCause();
            } catch (TimeoutException e) {
                problem = "no broker answered a metadata request in " + PROBE_TIMEOUT_MS + " ms";
            }
            if (problem == null) {
                return;
            }
            if (System.nanoTime() > deadline) {
                String c = culprit;
                String who = c == null ? String.join(", ", ids.keySet()) : c;
                String logs = ids.keySet().stream().filter(n -> c == null || n.equals(c))
                        .map(n -> log.apply(n).toString()).collect(Collectors.joining(", "));
                throw new IllegalStateException("kafka " + who + " not healthy after " + timeout.toSeconds() + " s: " + problem
                        + "; see " + logs);
            }
            Thread.sleep(POLL_MS); // polling remote processes' health, not a test wait
        }
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(2));
    }
}
