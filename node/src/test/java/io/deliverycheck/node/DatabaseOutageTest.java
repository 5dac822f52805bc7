package io.deliverycheck.node;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The database goes away and comes back: answers stay honest, the node recovers by itself. */
class DatabaseOutageTest {
  private static EmbeddedPostgres pg(Path dir, int port) throws Exception {
    return EmbeddedPostgres.builder().setDataDirectory(dir).setCleanDataDirectory(false).setPort(port)
        .setServerConfig("fsync", "on").setServerConfig("synchronous_commit", "on").start();
  }

  @Test
  void sendsDuringAnOutageAreNotAcceptedAndTheNodeRecovers() throws Exception {
    Path dir = TestSupport.tempDir().resolve("pg");
    int port = Database.freePort();
    EmbeddedPostgres pg = pg(dir, port);
    try (TestSupport t = new TestSupport()) {
      NodeConfig c = t.config(t.name("out"));
      c.pgUrl = "postgresql://postgres@127.0.0.1:" + port + "/postgres";
      Node n = t.start(c);
      String user = t.name("u");
      t.register(n, user, "phone");
      assertEquals(200, t.send(n, "m1", "k1", "s", user).status());
      pg.close();
      // while down: never "accepted"; refused connections are a certain "not committed"
      await().atMost(Duration.ofSeconds(30)).until(() -> t.call("GET", n.url() + "/health", null, null).status() == 503);
      TestSupport.Resp r = t.send(n, "m2", "k2", "s", user);
      assertTrue(r.status() == 503 || r.status() == 500, r.text());
      assertTrue(r.body().containsKey("committed"), r.text());
      pg = pg(dir, port);
      await().atMost(Duration.ofSeconds(30)).until(() -> t.call("GET", n.url() + "/health", null, null).status() == 200);
      assertEquals(200, t.send(n, "m3", "k3", "s", user).status());
      TestSupport.Socket dev = t.device(n, user, "phone");
      await().atMost(Duration.ofSeconds(10)).until(() -> dev.applied.contains("m1") && dev.applied.contains("m3"));
      dev.close();
    } finally {
      pg.close();
    }
  }
}
