package io.deliverycheck.workloads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deliverycheck.checker.Guarantee;
import io.deliverycheck.checker.history.Recorder;
import io.deliverycheck.checker.runner.Environment;
import io.deliverycheck.checker.runner.Workload;
import io.deliverycheck.workloads.fake.FakeCluster;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Registering the roster's devices is bounded attempt by attempt: a node that accepts connections
 * and never answers costs each attempt about its request timeout, and registration moves on to the
 * next node; when no node answers, set-up fails in bounded time naming the devices and why, instead
 * of the bare 45 s TimeoutException of the old FakeClusterRunTest flake (DEVELOPERS.md).
 */
class RegistrationTest {
  @TempDir Path dir;
  private final List<AutoCloseable> open = new ArrayList<>();

  /** Accepts TCP connections and holds them without a byte of answer. */
  static final class BlackHole implements AutoCloseable {
    final ServerSocket server;
    final List<Socket> held = new ArrayList<>();

    BlackHole() throws IOException {
      server = new ServerSocket();
      server.bind(new InetSocketAddress("127.0.0.1", 0));
      Thread t = new Thread(() -> {
        try {
          while (true) {
            Socket s = server.accept();
            synchronized (held) {
              held.add(s);
            }
          }
        } catch (IOException closed) {
          // done
        }
      }, "black-hole");
      t.setDaemon(true);
      t.start();
    }

    URI uri() {
      return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    @Override
    public void close() throws IOException {
      server.close();
      synchronized (held) {
        for (Socket s : held) {
          s.close();
        }
      }
    }
  }

  /** The fake cluster, with the client endpoints of some nodes replaced by black holes. */
  static final class Holed implements Environment {
    final FakeCluster fake;
    final java.util.Map<String, URI> holes;

    Holed(FakeCluster fake, java.util.Map<String, URI> holes) {
      this.fake = fake;
      this.holes = holes;
    }

    @Override public void setup(Path runDir, Recorder rec) throws Exception { fake.setup(runDir, rec); }
    @Override public List<String> nodes() { return fake.nodes(); }
    @Override public URI clientEndpoint(String node) {
      return holes.containsKey(node) ? holes.get(node) : fake.clientEndpoint(node);
    }
    @Override public URI adminEndpoint(String node) { return fake.adminEndpoint(node); }
    @Override public List<Path> logs() { return fake.logs(); }
    @Override public void close() { fake.close(); }
  }

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
  }

  private Workload setUp(java.util.Map<String, URI> holes, Duration timeout) throws Exception {
    Files.createDirectories(dir.resolve("logs"));
    Holed env = new Holed(new FakeCluster(3, Guarantee.EXACTLY_ONCE, Set.of()), holes);
    open.add(env);
    Recorder rec = Recorder.open(dir.resolve("h.jsonl"));
    open.add(rec);
    env.setup(dir, rec);
    Workload w = Workloads.create(WorkloadConfig.defaults(3).withUsers(4, 2).withTimeouts(timeout, 3));
    open.add(0, w);
    w.setup(env, rec);
    return w;
  }

  @Test
  void aNodeThatNeverAnswersCostsEachAttemptItsTimeoutAndRegistrationMovesOn() throws Exception {
    BlackHole hole = new BlackHole();
    open.add(hole);
    long t0 = System.nanoTime();
    setUp(java.util.Map.of("n1", hole.uri()), Duration.ofMillis(500));
    double s = (System.nanoTime() - t0) / 1e9;
    System.out.printf("set up with n1 silent in %.1f s%n", s);
    assertTrue(s < 15, "bounded: " + s + " s");
  }

  @Test
  void whenNoNodeAnswersSetUpFailsInBoundedTimeNamingTheDevices() throws Exception {
    BlackHole hole = new BlackHole();
    open.add(hole);
    Duration timeout = Duration.ofMillis(300);
    WorkloadConfig c = WorkloadConfig.defaults(3).withTimeouts(timeout, 3);
    Duration deadline = HttpClients.registerDeadline(c);
    assertEquals(Duration.ofSeconds(5), deadline, "15 attempts' worth, at least 5 s");
    long t0 = System.nanoTime();
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> setUp(
        java.util.Map.of("n1", hole.uri(), "n2", hole.uri(), "n3", hole.uri()), timeout));
    double s = (System.nanoTime() - t0) / 1e9;
    // the deadline, one more attempt, and the fake cluster's own cold start on a loaded machine
    assertTrue(s < deadline.toSeconds() + 2 * (timeout.toMillis() + 1000) / 1000.0 + 15, "bounded: " + s + " s");
    assertTrue(e.getMessage().contains("8 of 8 devices could not be registered"), e.getMessage());
    assertTrue(e.getMessage().contains("u0/phone: attempt "), e.getMessage());
    assertTrue(e.getMessage().contains("timeout") || e.getMessage().contains("no answer"), e.getMessage());
  }
}
