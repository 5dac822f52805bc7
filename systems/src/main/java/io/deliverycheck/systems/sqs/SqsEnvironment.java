package io.deliverycheck.systems.sqs;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.systems.nats.BrokerProcess;
import io.deliverycheck.systems.nats.SingleBrokerEnvironment;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * SQS FIFO as a system under test, through ElasticMQ (an implementation of the SQS API, not Amazon
 * SQS): {@code org.elasticmq:elasticmq-server_2.13} from Maven Central, run as a child JVM of the
 * harness with its own {@code application.conf}, listening on a free port of 127.0.0.1 behind the
 * client proxy ({@link #clientEndpoint}, {@code http://host:port}, also the host and port of the
 * queue URLs it hands out).
 *
 * <p>Its classpath is the jars Maven resolved into the local repository, listed at build time in
 * {@code elasticmq.classpath} (systems/pom.xml); ElasticMQ (Scala, Pekko, Logback) never joins the
 * harness's own classpath.
 *
 * <p>Storage: messages live in memory and queue definitions in {@code sqs/queues.conf}
 * ({@code queues-storage}), so queues made by CreateQueue exist again after a restart; unless
 * {@link SqsConfig#persistMessages} puts queues and messages in an H2 file instead
 * ({@code messages-storage}; ElasticMQ uses one or the other). Then a
 * SendMessage is answered after the H2 insert, which H2 writes to its file shortly after a commit,
 * not synchronously. FIFO deduplication ids are kept in memory only, whatever the storage: after a
 * restart, only the messages still in the queue deduplicate (docs/systems.md).
 *
 * <p>Healthy: {@code GET /health} answers 200 on the direct port ({@link #adminEndpoint}).
 * Run folder: {@code sqs/application.conf}, {@code sqs/queues.conf}, {@code sqs/messages.mv.db},
 * {@code logs/n1.out} (its log, on stdout).
 */
public final class SqsEnvironment extends SingleBrokerEnvironment {

    private static final String MAIN = "org.elasticmq.server.Main";
    private static final Pattern VERSION = Pattern.compile("elasticmq-server_2\\.13-([^/]+)\\.jar");
    private final SqsConfig config;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private String classpath;
    private volatile ObjectNode systemOp;

    public SqsEnvironment(SqsConfig config) {
        super("sqs", "http", config.startTimeout());
        this.config = config;
    }

    public SqsConfig config() {
        return config;
    }

    /**
     * What the system under test claims for this run: the {@code system} op without its version,
     * which {@link #system} adds once ElasticMQ runs. Call before {@link #setup}; returns this.
     */
    public SqsEnvironment claiming(ObjectNode systemOp) {
        this.systemOp = systemOp == null ? null : systemOp.deepCopy();
        return this;
    }

    @Override
    public ObjectNode system() {
        ObjectNode op = systemOp;
        if (op == null) {
            return null;
        }
        ObjectNode v = op.deepCopy();
        v.put("version", "elasticmq-" + version());
        return v;
    }

    /** The configuration as the settings of a {@code system} op. */
    public ObjectNode settings() {
        ObjectNode s = JsonNodeFactory.instance.objectNode();
        s.put("implementation", "elasticmq");
        s.put("content_based_deduplication", config.contentBasedDeduplication());
        s.put("visibility_timeout_s", config.visibilityTimeout().toSeconds());
        s.put("persist_messages", config.persistMessages());
        s.put("nodes", 1);
        return s;
    }

    /** {@code logs/n1.out}: ElasticMQ logs to stdout. */
    @Override
    public List<Path> logs() {
        List<Path> both = super.logs();
        return both.isEmpty() ? both : List.of(both.get(1));
    }

    /**
     * How long after the heal a message may still come back: one that ElasticMQ handed out on a
     * ReceiveMessage whose answer was lost (no {@code receive} records it) is handed out again a
     * visibility timeout later, and that hand-out may have been up to a device's ReceiveMessage
     * bound (11 s) before the drain began; {@link #RECEIVE_MARGIN} covers that. The visibility
     * timeout alone could let a drain end just before such a message came back (a false {@code lost}).
     */
    @Override
    public Duration retryHorizon() {
        return config.visibilityTimeout().plus(RECEIVE_MARGIN);
    }

    /** The margin of {@link #retryHorizon} over the visibility timeout. */
    public static final Duration RECEIVE_MARGIN = Duration.ofSeconds(15);

    /** The direct {@code http://127.0.0.1:port} of ElasticMQ (its {@code /health}), not proxied. */
    @Override
    public URI adminEndpoint(String node) {
        super.adminEndpoint(node);
        return URI.create("http://" + HOST + ":" + brokerPort());
    }

    /** ElasticMQ's version, from its jar's name; also checks that every jar of its classpath is there. */
    @Override
    protected String queryVersion() throws IOException {
        List<String> jars = new ArrayList<>();
        for (String resource : List.of("elasticmq.classpath", "elasticmq-shared.classpath")) {
            try (InputStream in = SqsEnvironment.class.getResourceAsStream(resource)) {
                if (in == null) {
                    throw new IllegalStateException("ElasticMQ's classpath list " + resource + " is missing from the build: build the project"
                            + " with Maven (mvn -B -ntp -pl systems -am package -DskipTests)");
                }
                for (String jar : new String(in.readAllBytes(), StandardCharsets.UTF_8).trim().split(java.io.File.pathSeparator)) {
                    if (!jar.isBlank()) {
                        jars.add(jar);
                    }
                }
            }
        }
        for (String jar : jars) {
            if (!Files.isRegularFile(Path.of(jar))) {
                throw new IllegalStateException("ElasticMQ jar " + jar + " is not in the local Maven repository: fetch it by building the"
                        + " project with Maven (mvn -B -ntp -pl systems -am package -DskipTests)");
            }
        }
        classpath = String.join(java.io.File.pathSeparator, jars);
        Matcher m = VERSION.matcher(classpath);
        if (!m.find()) {
            throw new IllegalStateException("no elasticmq-server_2.13 jar in ElasticMQ's classpath list");
        }
        return m.group(1);
    }

    @Override
    protected List<String> prepare(Path dataDir, int port, InetSocketAddress proxy, Path log) throws Exception {
        Path conf = dataDir.resolve("application.conf");
        BrokerProcess.writeAtomically(conf, configText(dataDir, port, proxy));
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(config.jvmOptions());
        cmd.add("-Dconfig.file=" + conf);
        cmd.addAll(List.of("-cp", classpath, MAIN));
        return cmd;
    }

    /** ElasticMQ's {@code application.conf} (HOCON) for this run. */
    String configText(Path dataDir, int port, InetSocketAddress proxy) {
        StringBuilder queues = new StringBuilder();
        for (String q : config.queues()) {
            queues.append("  \"").append(q).append("\" {\n")
                    .append("    fifo = true\n")
                    .append("    contentBasedDeduplication = ").append(config.contentBasedDeduplication()).append('\n')
                    .append("    defaultVisibilityTimeout = ").append(config.visibilityTimeout().toSeconds()).append(" seconds\n")
                    .append("  }\n");
        }
        return "# Written by deliverycheck (SqsEnvironment); do not edit.\n"
                + "include classpath(\"application.conf\")\n"
                + "node-address {\n  protocol = http\n  host = \"" + proxy.getHostString() + "\"\n  port = " + proxy.getPort()
                + "\n  context-path = \"\"\n}\n"
                + "rest-sqs {\n  enabled = true\n  bind-port = " + port + "\n  bind-hostname = \"" + HOST + "\"\n  sqs-limits = strict\n}\n"
                + "generate-node-address = false\n"
                + "aws {\n  region = \"us-east-1\"\n  accountId = \"000000000000\"\n}\n"
                + "queues {\n" + queues + "}\n"
                + "queues-storage {\n  enabled = true\n  path = \"" + dataDir.resolve("queues.conf") + "\"\n}\n"
                + "messages-storage {\n  enabled = " + config.persistMessages() + "\n  uri = \"jdbc:h2:" + dataDir.resolve("messages") + "\"\n}\n";
    }

    @Override
    protected String problem() {
        try {
            HttpRequest req = HttpRequest.newBuilder(URI.create("http://" + HOST + ":" + brokerPort() + "/health"))
                    .timeout(Duration.ofSeconds(3)).GET().build();
            HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? null : "/health: HTTP " + r.statusCode();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        } catch (IOException e) {
            return "/health: " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage());
        }
    }
}
