package io.deliverycheck.node;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A private RabbitMQ for the benchmark: its own node name, ports (AMQP, distribution, epmd), data and
 * log directories, no plugins. Never touches the system broker. {@link #close} stops the server and
 * the epmd it started (found by its ERL_EPMD_PORT), by PID.
 */
final class PrivateRabbit implements AutoCloseable {
  final int port;
  private final int epmdPort;
  private final Process server;

  private PrivateRabbit(Process server, int port, int epmdPort) {
    this.server = server;
    this.port = port;
    this.epmdPort = epmdPort;
  }

  static PrivateRabbit start(Path serverScript, Path dir) throws Exception {
    if (!Files.isExecutable(serverScript)) {
      throw new IOException(serverScript + " is not an executable rabbitmq-server");
    }
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("enabled_plugins"), "[].\n");
    Files.writeString(dir.resolve("rabbitmq-env.conf"), "");
    int port = Database.freePort();
    int dist = Database.freePort();
    int epmd = Database.freePort();
    ProcessBuilder pb = new ProcessBuilder(serverScript.toString());
    Map<String, String> env = pb.environment();
    env.put("HOME", dir.toString());
    env.put("RUNNING_UNDER_SYSTEMD", "1");
    env.put("RABBITMQ_NODENAME", "dcbench" + ProcessHandle.current().pid() + "@localhost");
    env.put("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1");
    env.put("RABBITMQ_NODE_PORT", Integer.toString(port));
    env.put("RABBITMQ_DIST_PORT", Integer.toString(dist));
    env.put("ERL_EPMD_PORT", Integer.toString(epmd));
    env.put("ERL_EPMD_ADDRESS", "127.0.0.1");
    env.put("RABBITMQ_MNESIA_BASE", dir.resolve("mnesia").toString());
    env.put("RABBITMQ_LOG_BASE", dir.resolve("log").toString());
    env.put("RABBITMQ_ENABLED_PLUGINS_FILE", dir.resolve("enabled_plugins").toString());
    env.put("RABBITMQ_CONF_ENV_FILE", dir.resolve("rabbitmq-env.conf").toString());
    env.put("RABBITMQ_CONFIG_FILE", dir.resolve("rabbitmq").toString());
    env.put("RABBITMQ_PID_FILE", dir.resolve("pid").toString());
    pb.redirectErrorStream(true).redirectOutput(dir.resolve("server.out").toFile());
    Process p = pb.start();
    PrivateRabbit r = new PrivateRabbit(p, port, epmd);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (true) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 500);
        return r;
      } catch (IOException e) {
        if (!p.isAlive() || System.nanoTime() > deadline) {
          r.close();
          throw new IOException("private RabbitMQ did not start (see " + dir.resolve("server.out") + ")");
        }
        Thread.sleep(200);
      }
    }
  }

  @Override
  public void close() {
    ProcessHandle h = server.toHandle();
    h.descendants().forEach(ProcessHandle::destroy);
    h.destroy();
    try {
      if (!server.waitFor(30, TimeUnit.SECONDS)) {
        h.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    // epmd daemonizes (parent 1): find ours by the port in its environment
    ProcessHandle.allProcesses().filter(ph -> ph.info().command().map(c -> c.endsWith("/epmd")).orElse(false))
        .filter(ph -> {
          try {
            String envs = new String(Files.readAllBytes(Path.of("/proc", Long.toString(ph.pid()), "environ")),
                StandardCharsets.UTF_8);
            return envs.contains("ERL_EPMD_PORT=" + epmdPort + "\0");
          } catch (IOException | RuntimeException e) {
            return false;
          }
        }).forEach(ProcessHandle::destroy);
  }
}
