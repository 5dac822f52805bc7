package io.deliverycheck.node;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** NodeMain as the harness runs it: a child JVM that prints READY, serves, and stops cleanly on SIGTERM. */
@Tag("slow")
class NodeProcessTest {
  @Test
  void startsServesAndStopsOnSigterm() throws Exception {
    Path dir = TestSupport.tempDir();
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"), NodeMain.class.getName(),
        "--id", "p1", "--data-dir", dir.resolve("p1").toString(), "--log-dir", dir.resolve("logs").toString(),
        "--token", "tok").redirectErrorStream(true).start();
    List<String> lines = new CopyOnWriteArrayList<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String l; (l = r.readLine()) != null; ) {
          lines.add(l);
        }
      } catch (Exception e) {
        // process gone
      }
    });
    reader.start();
    try {
      await().atMost(Duration.ofSeconds(90)).until(() -> lines.stream().anyMatch(l -> l.startsWith("READY p1 ")));
      String url = lines.stream().filter(l -> l.startsWith("READY p1 ")).findFirst().get().split(" ")[2];
      HttpResponse<String> health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url + "/health"))
          .header("Authorization", "Bearer tok").build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, health.statusCode());
      assertTrue(health.body().contains("\"db\":\"up\""), health.body());
      long pgPid = Long.parseLong(Files.readAllLines(dir.resolve("p1/pg/postmaster.pid")).get(0).trim());
      p.destroy(); // SIGTERM
      assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
      await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(pgPid).map(h -> !h.isAlive()).orElse(true));
      String log = Files.readString(dir.resolve("logs/p1.log"));
      assertTrue(log.contains("stopped node p1"), log);
      assertFalse(Files.exists(dir.resolve("p1/pg/postmaster.pid")));
    } finally {
      p.destroyForcibly();
    }
  }
}
