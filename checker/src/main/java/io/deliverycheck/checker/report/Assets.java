package io.deliverycheck.checker.report;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;

/** The report's static assets (vendored Vega and Vega-Lite, its script and style), from the classpath. */
final class Assets {
  private static final ConcurrentHashMap<String, String> CACHE = new ConcurrentHashMap<>();

  private Assets() {}

  /** The named resource of this package as text, with any source-map comment removed. */
  static String text(String name) {
    return CACHE.computeIfAbsent(
        name,
        n -> {
          try (InputStream in = Assets.class.getResourceAsStream(n)) {
            if (in == null) throw new IllegalStateException("report asset missing from the classpath: " + n);
            String s = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return s.replaceAll("//# sourceMappingURL=\\S+", "");
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
  }

  /** Vega then Vega-Lite, ready to inline in one script element. */
  static String vega() {
    return text("vendor/vega.min.js") + "\n" + text("vendor/vega-lite.min.js");
  }
}
