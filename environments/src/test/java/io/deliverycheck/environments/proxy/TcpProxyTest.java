package io.deliverycheck.environments.proxy;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TcpProxyTest {

    private Vertx vertx;
    private NetServer echo;
    private TcpProxy proxy;

    @BeforeEach
    void setUp() throws Exception {
        vertx = Vertx.vertx();
        echo = vertx.createNetServer().connectHandler(s -> s.handler(s::write))
                .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        proxy = TcpProxy.start(vertx, "test", "127.0.0.1", 0,
                new InetSocketAddress("127.0.0.1", echo.actualPort()),
                host -> host.equals("127.0.0.21") ? "a" : host.equals("127.0.0.22") ? "b" : host);
    }

    @AfterEach
    void tearDown() throws Exception {
        proxy.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private Socket connectFrom(String local) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(local, 0));
        s.connect(proxy.address(), 5000);
        s.setSoTimeout(5000);
        s.setTcpNoDelay(true);
        return s;
    }

    private static byte[] roundTrip(Socket s, byte[] data) throws IOException {
        s.getOutputStream().write(data);
        s.getOutputStream().flush();
        return s.getInputStream().readNBytes(data.length);
    }

    @Test
    void bytesPassBothWaysIncludingALargeStream() throws Exception {
        try (Socket s = connectFrom("127.0.0.21")) {
            assertArrayEquals("hello".getBytes(StandardCharsets.UTF_8), roundTrip(s, "hello".getBytes(StandardCharsets.UTF_8)));
            byte[] big = new byte[4 << 20];
            new java.util.Random(1).nextBytes(big);
            Thread writer = new Thread(() -> {
                try {
                    s.getOutputStream().write(big);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            writer.start();
            byte[] back = s.getInputStream().readNBytes(big.length);
            writer.join();
            assertArrayEquals(big, back);
        }
    }

    @Test
    void twoThousandConcurrentConnections() throws Exception {
        List<Socket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < 2000; i++) {
                sockets.add(connectFrom("127.0.0.21"));
            }
            for (int i = 0; i < sockets.size(); i++) {
                byte[] msg = ("m" + i).getBytes(StandardCharsets.UTF_8);
                assertArrayEquals(msg, roundTrip(sockets.get(i), msg));
            }
            assertEquals(2000, proxy.openConnections());
        } finally {
            for (Socket s : sockets) {
                s.close();
            }
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> proxy.openConnections() == 0);
    }

    @Test
    void healthyProxyAddsNoDelayToSmallRoundTrips() throws Exception {
        try (Socket s = connectFrom("127.0.0.21")) {
            roundTrip(s, new byte[]{0});
            long t0 = System.nanoTime();
            for (int i = 0; i < 200; i++) {
                roundTrip(s, new byte[]{(byte) i});
            }
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            // Nagle plus delayed ACKs would cost ~40 ms per round trip (8 s); forwarding at once costs well under 1 ms.
            assertTrue(ms < 2000, "200 one-byte round trips took " + ms + " ms");
        }
    }

    @Test
    void cutClosesRefusedConnectionsAndRefusesNewOnesThenHealRestores() throws Exception {
        try (Socket a = connectFrom("127.0.0.21"); Socket b = connectFrom("127.0.0.22")) {
            roundTrip(a, new byte[]{1});
            roundTrip(b, new byte[]{2});

            assertEquals(1, proxy.refuse(Set.of("a")));
            assertEquals(-1, a.getInputStream().read(), "a's connection is closed by the cut");
            assertArrayEquals(new byte[]{3}, roundTrip(b, new byte[]{3}), "b is not refused");
            try (Socket again = connectFrom("127.0.0.21")) {
                assertEquals(-1, readOrEof(again), "a new connection from a is closed at once");
            }

            proxy.refuse(Set.of());
            try (Socket healed = connectFrom("127.0.0.21")) {
                assertArrayEquals(new byte[]{4}, roundTrip(healed, new byte[]{4}));
            }
        }
    }

    private static int readOrEof(Socket s) {
        try {
            InputStream in = s.getInputStream();
            s.getOutputStream().write(9);
            return in.read();
        } catch (IOException e) {
            return -1; // reset by peer counts as closed
        }
    }

    @Test
    void delayDelaysEachDirectionAndClearRestoresSpeed() throws Exception {
        try (Socket s = connectFrom("127.0.0.21")) {
            roundTrip(s, new byte[]{1});
            proxy.delay(Duration.ofMillis(150));
            long t0 = System.nanoTime();
            assertArrayEquals(new byte[]{5, 6}, roundTrip(s, new byte[]{5, 6}));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(ms >= 300, "round trip through a 150 ms proxy took " + ms + " ms, expected >= 300");

            proxy.delay(Duration.ZERO);
            long t1 = System.nanoTime();
            roundTrip(s, new byte[]{7});
            long fast = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t1);
            assertTrue(fast < 100, "round trip after clearing the delay took " + fast + " ms");
        }
    }

    @Test
    void aResponseFollowedByACloseArrivesWholeWithAndWithoutDelay() throws Exception {
        byte[] payload = new byte[1 << 20];
        new java.util.Random(3).nextBytes(payload);
        NetServer sayAndClose = vertx.createNetServer()
                .connectHandler(s -> s.write(io.vertx.core.buffer.Buffer.buffer(payload)).onComplete(v -> s.close()))
                .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        proxy.target(new InetSocketAddress("127.0.0.1", sayAndClose.actualPort()));
        for (long delayMs : new long[]{0, 50}) {
            proxy.delay(Duration.ofMillis(delayMs));
            try (Socket s = connectFrom("127.0.0.21")) {
                assertArrayEquals(payload, s.getInputStream().readAllBytes(), "whole payload, then EOF, delay " + delayMs);
            }
        }
    }

    @Test
    void closeAllClosesButKeepsAccepting() throws Exception {
        try (Socket s = connectFrom("127.0.0.21")) {
            roundTrip(s, new byte[]{1});
            assertEquals(1, proxy.closeAll());
            assertEquals(-1, s.getInputStream().read());
        }
        try (Socket s = connectFrom("127.0.0.21")) {
            assertArrayEquals(new byte[]{2}, roundTrip(s, new byte[]{2}));
        }
    }
}
