package io.deliverycheck.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.deliverycheck.checker.report.Report;
import io.deliverycheck.checker.report.ResultsIndex;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;

/**
 * A read-only HTTP server over a results folder, bound to 127.0.0.1 (JDK's
 * com.sun.net.httpserver: no dependency). {@code /} regenerates and serves results/index.html; a
 * run's {@code report.html} is generated on first visit when the run has none; folders are
 * listed; nothing outside the results folder is served (symlinks are resolved and checked).
 */
final class ResultsServer implements AutoCloseable {
  private static final Map<String, String> TYPES = Map.of(
      "html", "text/html; charset=utf-8", "json", "application/json", "jsonl", "text/plain; charset=utf-8",
      "log", "text/plain; charset=utf-8", "txt", "text/plain; charset=utf-8", "png", "image/png",
      "svg", "image/svg+xml", "edn", "text/plain; charset=utf-8", "xml", "application/xml", "gz", "application/gzip");

  private final Path root;
  private final HttpServer server;
  private final ExecutorService pool;

  private ResultsServer(Path root, HttpServer server, ExecutorService pool) {
    this.root = root;
    this.server = server;
    this.pool = pool;
  }

  /** Starts serving {@code results} on 127.0.0.1:{@code port} (0: any free port). */
  static ResultsServer start(Path results, int port) throws IOException {
    Path root = results.toRealPath();
    HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
    ExecutorService pool = Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, "deliverycheck-serve");
      t.setDaemon(true);
      return t;
    });
    ResultsServer rs = new ResultsServer(root, s, pool);
    s.createContext("/", rs::handle);
    s.setExecutor(pool);
    s.start();
    return rs;
  }

  URI address() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      if (!ex.getRequestMethod().equals("GET") && !ex.getRequestMethod().equals("HEAD")) {
        send(ex, 405, "text/plain; charset=utf-8", "only GET\n".getBytes(StandardCharsets.UTF_8));
        return;
      }
      String rel = URLDecoder.decode(ex.getRequestURI().getRawPath(), StandardCharsets.UTF_8).replaceFirst("^/+", "");
      if (rel.isEmpty() || rel.equals(ResultsIndex.FILE_NAME)) {
        ResultsIndex.write(root);
        file(ex, root.resolve(ResultsIndex.FILE_NAME));
        return;
      }
      Path p = root.resolve(rel).normalize();
      if (!p.startsWith(root)) {
        notFound(ex);
        return;
      }
      if (p.getFileName().toString().equals(Report.FILE_NAME) && !Files.exists(p) && Files.isDirectory(p.getParent())) {
        Report.write(p.getParent());
      }
      if (!Files.exists(p) || !p.toRealPath().startsWith(root)) {
        notFound(ex);
      } else if (Files.isDirectory(p)) {
        if (!ex.getRequestURI().getRawPath().endsWith("/")) {
          ex.getResponseHeaders().set("Location", ex.getRequestURI().getRawPath() + "/");
          send(ex, 301, "text/plain; charset=utf-8", new byte[0]);
        } else {
          listing(ex, p, rel);
        }
      } else {
        file(ex, p);
      }
    } catch (IOException | RuntimeException e) {
      try {
        send(ex, 500, "text/plain; charset=utf-8", ("error: " + e.getMessage() + "\n").getBytes(StandardCharsets.UTF_8));
      } catch (IOException ignored) {
        // the client is gone
      }
    }
  }

  private static void notFound(HttpExchange ex) throws IOException {
    send(ex, 404, "text/plain; charset=utf-8", "not found\n".getBytes(StandardCharsets.UTF_8));
  }

  private static void file(HttpExchange ex, Path p) throws IOException {
    String name = p.getFileName().toString();
    String ext = name.substring(name.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT);
    String type = TYPES.getOrDefault(ext, "application/octet-stream");
    ex.getResponseHeaders().set("Content-Type", type);
    ex.getResponseHeaders().set("Cache-Control", "no-cache");
    long size = Files.size(p);
    boolean head = ex.getRequestMethod().equals("HEAD");
    ex.sendResponseHeaders(200, head ? -1 : (size == 0 ? -1 : size));
    if (head || size == 0) return;
    try (InputStream in = Files.newInputStream(p); OutputStream out = ex.getResponseBody()) {
      in.transferTo(out);
    }
  }

  private static void listing(HttpExchange ex, Path dir, String rel) throws IOException {
    List<String> names = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path c : ds) {
        String n = c.getFileName().toString();
        if (!n.startsWith(".")) names.add(n + (Files.isDirectory(c) ? "/" : ""));
      }
    }
    names.sort(null);
    StringBuilder b = new StringBuilder("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>")
        .append(esc(rel)).append("</title></head><body style=\"font-family:system-ui,sans-serif\"><h1>")
        .append(esc(rel)).append("</h1><p><a href=\"../\">..</a> &middot; <a href=\"/\">all runs</a></p><ul>");
    for (String n : names) b.append("<li><a href=\"").append(esc(n)).append("\">").append(esc(n)).append("</a></li>");
    b.append("</ul></body></html>\n");
    send(ex, 200, "text/html; charset=utf-8", b.toString().getBytes(StandardCharsets.UTF_8));
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

  private static void send(HttpExchange ex, int code, String type, byte[] body) throws IOException {
    ex.getResponseHeaders().set("Content-Type", type);
    boolean head = ex.getRequestMethod().equals("HEAD");
    ex.sendResponseHeaders(code, head || body.length == 0 ? -1 : body.length);
    if (!head && body.length > 0) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    pool.shutdownNow();
  }
}
