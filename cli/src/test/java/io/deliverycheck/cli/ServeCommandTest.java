package io.deliverycheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServeCommandTest {
  @TempDir Path tmp;

  @Test
  void servesTheIndexReportsAndNothingOutside() throws Exception {
    Path results = Files.createDirectories(tmp.resolve("results"));
    Path run = Files.createDirectories(results.resolve("t1/20261122T010203"));
    Files.writeString(run.resolve("results.json"), "{\"valid\":true,\"guarantee\":\"exactly-once\",\"counts\":{}}");
    Files.writeString(tmp.resolve("secret.txt"), "no");
    HttpClient http = HttpClient.newHttpClient();
    try (ResultsServer server = ResultsServer.start(results, 0)) {
      URI base = server.address();
      assertTrue(base.toString().startsWith("http://127.0.0.1:"));
      HttpResponse<String> index = http.send(HttpRequest.newBuilder(base).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, index.statusCode());
      assertTrue(index.body().contains("t1/20261122T010203/results.json"), index.body());
      HttpResponse<String> report = http.send(HttpRequest.newBuilder(base.resolve("t1/20261122T010203/report.html")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, report.statusCode());
      assertTrue(report.body().contains("data-verdict=\"valid\""), "report generated on first visit");
      HttpResponse<String> outside = http.send(HttpRequest.newBuilder(URI.create(base + "..%2Fsecret.txt")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(404, outside.statusCode());
      HttpResponse<String> listing = http.send(HttpRequest.newBuilder(base.resolve("t1/")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertTrue(listing.body().contains("20261122T010203/"));
    }
  }
}
