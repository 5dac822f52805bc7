package io.deliverycheck.environments.local;

import com.sun.net.httpserver.HttpServer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A stand-in for the reference node (Contract 2 flags, {@code GET /health}), small and fast to start,
 * so the local environment's process, proxy and database handling can be tested without the real
 * cluster ({@code GET /clock} answers its wall clock, for clock skew). Its "cluster" is a heartbeat over TCP: each node keeps a connection to every peer's
 * advertised (proxied) address, bound to its {@code --bind-host}, and its view is itself plus the
 * peers heard from in the last second, in either direction. Its database check is {@code SELECT 1}
 * through {@code --pg-url}.
 */
public final class FakeNode {

    private final Map<String, String> flags = new HashMap<>();
    private final Map<String, Long> lastSeen = new ConcurrentHashMap<>();
    private String id;
    private String bindHost;
    private Path log;
    private Connection db;

    public static void main(String[] args) throws Exception {
        new FakeNode().run(args);
    }

    private void run(String[] args) throws Exception {
        for (int i = 0; i + 1 < args.length; i += 2) {
            flags.put(args[i], args[i + 1]);
        }
        id = flags.get("--id");
        bindHost = flags.getOrDefault("--bind-host", "127.0.0.1");
        log = Path.of(flags.getOrDefault("--log-dir", "logs"), id + ".log");
        Files.createDirectories(log.getParent());
        log("starting with " + flags);
        ServerSocket cluster = new ServerSocket();
        cluster.bind(new InetSocketAddress(bindHost, Integer.parseInt(flags.get("--cluster-port"))));
        daemon(() -> acceptLoop(cluster));
        List<String> peers = List.of(flags.getOrDefault("--peers", "").split(","));
        for (String peer : peers) {
            if (!peer.isBlank()) {
                daemon(() -> heartbeat(peer));
            }
        }
        HttpServer http = HttpServer.create(new InetSocketAddress(bindHost, Integer.parseInt(flags.get("--http-port"))), 64);
        http.createContext("/health", ex -> {
            boolean up = dbUp();
            TreeSet<String> view = new TreeSet<>();
            view.add(id);
            long now = System.nanoTime();
            lastSeen.forEach((peer, t) -> {
                if (now - t < 1_000_000_000L) {
                    view.add(peer);
                }
            });
            String body = "{\"id\":\"" + id + "\",\"view\":[" + String.join(",", view.stream().map(v -> "\"" + v + "\"").toList())
                    + "],\"db\":\"" + (up ? "up" : "down") + "\"}";
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(up ? 200 : 503, bytes.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(bytes);
            }
        });
        http.createContext("/clock", ex -> {
            // the wall clock as this process sees it (a fake clock moves it)
            byte[] bytes = Long.toString(System.currentTimeMillis()).getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, bytes.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(bytes);
            }
        });
        http.start();
        System.out.println("READY " + id + " http://" + bindHost + ":" + http.getAddress().getPort());
        System.out.flush();
        log("ready");
    }

    private synchronized boolean dbUp() {
        try {
            if (db == null || db.isClosed()) {
                URI u = URI.create(flags.get("--pg-url"));
                String user = u.getUserInfo() == null ? "postgres" : u.getUserInfo().split(":")[0];
                db = DriverManager.getConnection("jdbc:postgresql://" + u.getHost() + ":" + u.getPort() + u.getPath()
                        + "?user=" + user + "&connectTimeout=1&socketTimeout=1");
            }
            try (Statement s = db.createStatement()) {
                s.execute("SELECT 1");
            }
            return true;
        } catch (Exception e) {
            log("db down: " + e.getMessage());
            try {
                if (db != null) {
                    db.close();
                }
            } catch (Exception ignored) {
                // closing a broken connection
            }
            db = null;
            return false;
        }
    }

    private void acceptLoop(ServerSocket server) {
        while (true) {
            try {
                Socket s = server.accept();
                daemon(() -> readHellos(s, true));
            } catch (IOException e) {
                return;
            }
        }
    }

    /** Reads "hello <id>" lines; answers each when {@code answer}. */
    private void readHellos(Socket s, boolean answer) {
        try (s; BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8))) {
            PrintWriter out = new PrintWriter(s.getOutputStream(), true);
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.startsWith("hello ")) {
                    lastSeen.put(line.substring(6), System.nanoTime());
                    if (answer) {
                        out.println("hello " + id);
                    }
                }
            }
        } catch (IOException e) {
            // link broken: the peer ages out of the view
        }
    }

    private void heartbeat(String peer) {
        String[] hp = peer.split(":");
        while (true) {
            try (Socket s = new Socket()) {
                s.bind(new InetSocketAddress(bindHost, 0));
                s.connect(new InetSocketAddress(hp[0], Integer.parseInt(hp[1])), 1000);
                daemon(() -> readHellos(s, false));
                PrintWriter out = new PrintWriter(s.getOutputStream(), true);
                while (!out.checkError() && !s.isClosed()) {
                    out.println("hello " + id);
                    Thread.sleep(200);
                }
            } catch (IOException e) {
                // refused or cut: try again
            } catch (InterruptedException e) {
                return;
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private synchronized void log(String line) {
        try {
            Files.writeString(log, java.time.Instant.now() + " " + id + " " + line + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            // nowhere to report
        }
    }

    private static void daemon(Runnable r) {
        Thread t = new Thread(r);
        t.setDaemon(true);
        t.start();
    }

}
