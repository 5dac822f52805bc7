package io.deliverycheck.environments.process;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Asks a node's {@code GET /health} (Contract 2) directly, with a short timeout. */
public final class HealthProbe {

    /** One answer: HTTP status (0 when there was none), the view, and what went wrong. */
    public record Health(int status, List<String> view, String problem) {
        /** 200 and a view holding every one of {@code nodes}. */
        public boolean healthyWith(List<String> nodes) {
            return status == 200 && view.containsAll(nodes);
        }

        public String describe() {
            return status == 0 ? problem : "HTTP " + status + " view " + view + (problem == null ? "" : " " + problem);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final String token;

    public HealthProbe(String token) {
        this.token = token;
    }

    public Health probe(URI admin) {
        HttpRequest.Builder b = HttpRequest.newBuilder(admin.resolve("/health")).timeout(Duration.ofSeconds(3)).GET();
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        try {
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            List<String> view = new ArrayList<>();
            String problem = null;
            try {
                JsonNode body = JSON.readTree(r.body());
                body.path("view").forEach(v -> view.add(v.asText()));
                if (r.statusCode() != 200) {
                    problem = body.toString();
                }
            } catch (Exception e) {
                problem = "unreadable body: " + r.body();
            }
            return new Health(r.statusCode(), view, problem);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Health(0, List.of(), "interrupted");
        } catch (Exception e) {
            return new Health(0, List.of(), e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
        }
    }
}
