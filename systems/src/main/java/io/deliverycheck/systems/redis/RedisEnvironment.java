package io.deliverycheck.systems.redis;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.systems.nats.BrokerProcess;
import io.deliverycheck.systems.nats.SingleBrokerEnvironment;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Redis (Streams) as a system under test: one private redis-server (the Debian package) with the
 * append-only file on ({@code appendonly yes}, {@code appendfsync} from {@link RedisConfig}) and RDB
 * snapshots off ({@code save ""}), so the AOF is the only thing that makes an acknowledged write
 * durable. Its own port on 127.0.0.1, directory and log; clients reach it through the proxy
 * ({@link #clientEndpoint}, {@code redis://host:port}).
 *
 * <p>One node: Redis replication is asynchronous and failover needs Sentinel (or Cluster) and a
 * client that follows it; that is left for later (docs/systems.md, "Redis: how it runs").
 *
 * <p>Healthy: {@code PING} answers {@code +PONG} (during an AOF replay it answers {@code -LOADING}).
 * Run folder: {@code redis/redis.conf}, {@code redis/appendonlydir/}, {@code logs/n1.log}.
 */
public final class RedisEnvironment extends SingleBrokerEnvironment {

    private final RedisConfig config;
    private final ObjectNode systemOp;
    private final Duration retryHorizon;

    public RedisEnvironment(RedisConfig config) {
        this(config, null, Duration.ZERO);
    }

    /**
     * @param systemOp the {@code system} op the run records (the version is filled in at setup), or
     *     null: the environment claims nothing itself; the client mapping decides the claims
     * @param retryHorizon how long a correct server may take to hand an unacknowledged entry out again
     */
    public RedisEnvironment(RedisConfig config, ObjectNode systemOp, Duration retryHorizon) {
        super("redis", "redis", config.startTimeout());
        this.config = config;
        this.systemOp = systemOp == null ? null : systemOp.deepCopy();
        this.retryHorizon = retryHorizon;
    }

    /** The {@code system} op given at construction, with the version the server reported; null without one. */
    @Override
    public ObjectNode system() {
        if (systemOp == null) {
            return null;
        }
        ObjectNode v = systemOp.deepCopy();
        v.put("version", version());
        return v;
    }

    @Override
    public Duration retryHorizon() {
        return retryHorizon;
    }

    public RedisConfig config() {
        return config;
    }

    /** The configuration as the settings of a {@code system} op. */
    public ObjectNode settings() {
        ObjectNode s = JsonNodeFactory.instance.objectNode();
        s.put("appendonly", "yes");
        s.put("appendfsync", config.appendfsync());
        s.put("nodes", 1);
        return s;
    }

    @Override
    protected String queryVersion() throws Exception {
        BrokerProcess.Result r = BrokerProcess.run(List.of(config.binary(), "--version"), Duration.ofSeconds(10), "redis-server");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("v=(\\S+)").matcher(r.output());
        if (r.exitCode() != 0 || !m.find()) {
            throw new IllegalStateException(config.binary() + " --version failed (" + r.exitCode() + "): " + r.output());
        }
        return m.group(1);
    }

    @Override
    protected List<String> prepare(Path dataDir, int port, InetSocketAddress proxy, Path log) throws Exception {
        Path conf = dataDir.resolve("redis.conf");
        BrokerProcess.writeAtomically(conf, "# Written by deliverycheck (RedisEnvironment); do not edit.\n"
                + "bind " + HOST + "\n"
                + "port " + port + "\n"
                + "daemonize no\n"
                + "dir \"" + dataDir + "\"\n"
                + "logfile \"" + log + "\"\n"
                + "loglevel notice\n"
                + "appendonly yes\n"
                + "appendfsync " + config.appendfsync() + "\n"
                + "save \"\"\n"
                + "tcp-keepalive 60\n");
        return List.of(config.binary(), conf.toString());
    }

    /** The AOF and RDB files are on disk, fsynced as {@code appendfsync} says. */
    @Override
    protected boolean offersPowerLoss() {
        return true;
    }

    @Override
    protected String problem() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(HOST, brokerPort()), 1000);
            s.setSoTimeout(2000);
            OutputStream out = s.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String line = readLine(s.getInputStream());
            return line.equals("+PONG") ? null : "PING answered " + line;
        } catch (IOException e) {
            return "PING: " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage());
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != -1 && c != '\n') {
            if (c != '\r') {
                sb.append((char) c);
            }
        }
        return sb.toString();
    }
}
