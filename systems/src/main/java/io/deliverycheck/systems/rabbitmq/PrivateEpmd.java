package io.deliverycheck.systems.rabbitmq;

import io.deliverycheck.environments.process.OwnedProcesses;
import io.deliverycheck.systems.ServicePorts;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The run's own Erlang port mapper: {@code epmd -port P -address 127.0.0.1} in the foreground (not
 * {@code -daemon}), so it is a child of the harness, owned through {@link OwnedProcesses} and stopped
 * by its PID. Every private RabbitMQ node of the run (and the {@code rabbitmqctl} the harness runs
 * against them) gets {@code ERL_EPMD_PORT=P}: they find this epmd already running, never start one
 * of their own, and never register with the machine's epmd on 4369.
 */
final class PrivateEpmd implements AutoCloseable {
    final int port;
    private final Process process;

    private PrivateEpmd(int port, Process process) {
        this.port = port;
        this.process = process;
    }

    /** Starts epmd on a free loopback port and waits (bounded) until it accepts connections. */
    static PrivateEpmd start(Path epmd, Path outFile, Duration timeout) throws IOException, InterruptedException {
        if (!Files.isExecutable(epmd)) {
            throw new IOException(epmd + " is not an executable epmd (Debian: apt-get install erlang-base)");
        }
        int port = ServicePorts.free("127.0.0.1");
        ProcessBuilder pb = new ProcessBuilder(epmd.toString(), "-port", Integer.toString(port), "-address", "127.0.0.1")
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(outFile.toFile()));
        pb.environment().remove("ERL_EPMD_PORT");
        Process p = OwnedProcesses.start(pb, "epmd :" + port);
        PrivateEpmd e = new PrivateEpmd(port, p);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return e;
            } catch (IOException notYet) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    e.close();
                    throw new IOException("the private epmd on port " + port + " did not start (see " + outFile + ")");
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
            }
        }
    }

    /** Stops epmd by its PID (SIGTERM, then SIGKILL). Idempotent; never throws. */
    @Override
    public void close() {
        try {
            process.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (!process.isAlive()) {
                OwnedProcesses.release(process.pid());
            }
        }
    }
}
