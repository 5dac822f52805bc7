package io.deliverycheck.systems;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * Free TCP ports for a server process that binds them <em>later</em> (a broker started after its
 * configuration file is written). A port picked by binding port 0 comes from the kernel's ephemeral
 * range, the same range every outgoing connection on the machine takes its source port from, so on
 * a busy machine it may be taken before the broker binds it (seen here: RabbitMQ failed to start with
 * {@code dist_port_already_used}). These ports come from below the ephemeral range
 * ({@code /proc/sys/net/ipv4/ip_local_port_range}), where only explicit binds can take them; each is
 * checked free by binding it, and none is handed out twice by this JVM.
 */
public final class ServicePorts {
    private static final int LOW = 20000;
    private static final Set<Integer> GIVEN = new HashSet<>();
    private static int next = -1;

    private ServicePorts() {
    }

    /** A port free on {@code host} now, outside the ephemeral range. */
    public static synchronized int free(String host) throws IOException {
        int high = ephemeralLow() - 1;
        if (high <= LOW) {
            return io.deliverycheck.environments.process.Ports.free(host);
        }
        int span = high - LOW + 1;
        if (next < 0) {
            // spread concurrent harnesses over the range: start where this process's id points
            next = (int) (ProcessHandle.current().pid() * 7919L % span);
        }
        for (int tries = 0; tries < span; tries++) {
            int port = LOW + next;
            next = (next + 1) % span;
            if (GIVEN.contains(port)) {
                continue;
            }
            try (ServerSocket s = new ServerSocket()) {
                s.setReuseAddress(false);
                s.bind(new InetSocketAddress(host, port));
                GIVEN.add(port);
                return port;
            } catch (IOException taken) {
                // try the next one
            }
        }
        throw new IOException("no free port between " + LOW + " and " + high + " on " + host);
    }

    /**
     * The first port of the kernel's ephemeral range (32768 when it cannot be read). Read line-wise:
     * {@code Files.readString} returns only the first byte of this procfs file here.
     */
    static int ephemeralLow() {
        try (var in = Files.newBufferedReader(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))) {
            String line = in.readLine();
            return Integer.parseInt(line.trim().split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return 32768;
        }
    }
}
