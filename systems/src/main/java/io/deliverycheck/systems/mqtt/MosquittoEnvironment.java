package io.deliverycheck.systems.mqtt;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.runner.Grudge;
import io.deliverycheck.checker.runner.Partitionable;
import io.deliverycheck.systems.nats.BrokerProcess;
import io.deliverycheck.systems.nats.SingleBrokerEnvironment;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * MQTT as a system under test: one private Mosquitto broker (the Debian package) with
 * {@code persistence true}, its own configuration, data directory and log, listening on a free port
 * of 127.0.0.1 behind the client proxy ({@link #clientEndpoint}, {@code mqtt://host:port}).
 *
 * <p>One node: Mosquitto has no clustering (bridges copy messages between brokers, they do not
 * replicate sessions), so a broker crash is survived only through its persistence file. That file
 * is written whole every {@code autosave_interval} seconds (or changes) and at a clean shutdown, not
 * per message: what was accepted since the last save is lost by a SIGKILL (docs/systems.md).
 *
 * <p>Mosquitto drops privileges to the {@code mosquitto} user when started as root; the
 * configuration says {@code user root} so it keeps access to the run folder.
 *
 * <p>Healthy: an MQTT 3.1.1 CONNECT on the broker's own port is answered by a CONNACK accepting it.
 * Run folder: {@code mosquitto/mosquitto.conf}, {@code mosquitto/mosquitto.db}, {@code logs/n1.log}.
 */
public final class MosquittoEnvironment extends SingleBrokerEnvironment implements Partitionable {

    /** The partition member that stands for every client (publishers and devices) behind the proxy. */
    public static final String CLIENTS = "clients";
    private static final Pattern VERSION = Pattern.compile("mosquitto version (\\S+)");
    private final MosquittoConfig config;
    private volatile ObjectNode systemOp;
    private volatile Duration retryHorizon = Duration.ZERO;

    public MosquittoEnvironment(MosquittoConfig config) {
        super("mosquitto", "mqtt", config.startTimeout());
        this.config = config;
    }

    public MosquittoConfig config() {
        return config;
    }

    /**
     * What the system under test claims for this run (the {@code system} op without its version,
     * which {@link #system} adds once the broker runs) and how long a correct broker may take to hand
     * an unacknowledged message out again. Call before {@link #setup}; returns this.
     */
    public MosquittoEnvironment claiming(ObjectNode systemOp, Duration retryHorizon) {
        this.systemOp = systemOp == null ? null : systemOp.deepCopy();
        this.retryHorizon = retryHorizon;
        return this;
    }

    @Override
    public ObjectNode system() {
        ObjectNode op = systemOp;
        if (op == null) {
            return null;
        }
        ObjectNode v = op.deepCopy();
        v.put("version", version());
        return v;
    }

    @Override
    public Duration retryHorizon() {
        return retryHorizon;
    }

    /** {@code n1} and {@link #CLIENTS}: the only link one broker has is the one to its clients. */
    @Override
    public List<String> partitionMembers() {
        return List.of(NODE, CLIENTS);
    }

    /**
     * A grudge that cuts {@code n1} from {@link #CLIENTS} (either way) cuts the client link
     * ({@link #cutClients}); any other grudge over these members restores it. A member that is neither
     * is refused with one line.
     */
    @Override
    public void partition(Grudge grudge) throws Exception {
        for (var e : grudge.refuses().entrySet()) {
            for (String m : concat(e.getKey(), e.getValue())) {
                if (!partitionMembers().contains(m)) {
                    throw new IllegalArgumentException("partition: no member '" + m + "' (members: "
                            + String.join(", ", partitionMembers()) + ")");
                }
            }
        }
        if (grudge.cuts(NODE, CLIENTS)) {
            cutClients(NODE);
        } else {
            restoreClients(NODE);
        }
    }

    private static List<String> concat(String a, java.util.Collection<String> rest) {
        List<String> out = new java.util.ArrayList<>(rest);
        out.add(a);
        return out;
    }

    @Override
    public void heal() throws Exception {
        restoreClients(NODE);
    }

    /** The configuration as the settings of a {@code system} op. */
    public ObjectNode settings() {
        ObjectNode s = JsonNodeFactory.instance.objectNode();
        s.put("persistence", true);
        s.put("max_inflight_messages", config.maxInflightMessages());
        s.put("max_queued_messages", config.maxQueuedMessages());
        s.put("autosave_interval", config.autosaveInterval());
        s.put("autosave_on_changes", config.autosaveOnChanges());
        s.put("nodes", 1);
        return s;
    }

    @Override
    protected String queryVersion() throws Exception {
        // mosquitto -h prints its version on the first line and exits with 3
        BrokerProcess.Result r = BrokerProcess.run(List.of(config.binary(), "-h"), Duration.ofSeconds(10), "mosquitto");
        Matcher m = VERSION.matcher(r.output());
        if (!m.find()) {
            throw new IllegalStateException(config.binary() + " -h did not print a version (" + r.exitCode() + "): " + r.output());
        }
        return m.group(1);
    }

    @Override
    protected List<String> prepare(Path dataDir, int port, InetSocketAddress proxy, Path log) throws Exception {
        Path conf = dataDir.resolve("mosquitto.conf");
        BrokerProcess.writeAtomically(conf, "# Written by deliverycheck (MosquittoEnvironment); do not edit.\n"
                + "per_listener_settings false\n"
                + "listener " + port + " " + HOST + "\n"
                + "allow_anonymous true\n"
                + "set_tcp_nodelay true\n"
                + "user root\n"
                + "persistence true\n"
                + "persistence_location " + dataDir + "/\n"
                + "persistence_file mosquitto.db\n"
                + "autosave_interval " + config.autosaveInterval() + "\n"
                + "autosave_on_changes " + config.autosaveOnChanges() + "\n"
                + "max_inflight_messages " + config.maxInflightMessages() + "\n"
                + "max_queued_messages " + config.maxQueuedMessages() + "\n"
                + "max_queued_bytes 0\n"
                + "log_dest file " + log + "\n"
                + (config.logPackets() ? "log_type all\n" : "log_type error\nlog_type warning\nlog_type notice\nlog_type information\n")
                + "log_timestamp_format %Y-%m-%dT%H:%M:%S\n"
                + "connection_messages true\n");
        return List.of(config.binary(), "-c", conf.toString());
    }

    /** The path of the persistence file (it exists once Mosquitto first saved). */
    public Path persistenceFile() {
        return dataDir().resolve("mosquitto.db");
    }

    /** The persistence file is on disk (written whole at autosave and at shutdown). */
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
            out.write(connectPacket("deliverycheck-health"));
            out.flush();
            InputStream in = s.getInputStream();
            byte[] connack = in.readNBytes(4);
            if (connack.length < 4 || (connack[0] & 0xff) != 0x20) {
                return "no CONNACK to CONNECT (got " + connack.length + " bytes)";
            }
            if (connack[3] != 0) {
                return "CONNACK return code " + connack[3];
            }
            out.write(new byte[]{(byte) 0xe0, 0});
            out.flush();
            return null;
        } catch (IOException e) {
            return "MQTT CONNECT: " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage());
        }
    }

    /** An MQTT 3.1.1 CONNECT with a clean session and a 60 s keep-alive. */
    static byte[] connectPacket(String clientId) {
        byte[] id = clientId.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(new byte[]{0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 60});
        body.write(id.length >> 8);
        body.write(id.length & 0xff);
        body.writeBytes(id);
        ByteArrayOutputStream packet = new ByteArrayOutputStream();
        packet.write(0x10);
        packet.write(body.size());
        packet.writeBytes(body.toByteArray());
        return packet.toByteArray();
    }
}
