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
import static org.junit.jupiter.api.Assertions.assertThrows;
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
    void aLargeResponseFollowedByACloseArrivesWholeWhenTheReaderIsSlow() throws Exception {
        // The client reads nothing until the server has closed, so the proxy holds the server side
        // paused (backpressure) with bytes still buffered when the close comes: none may be lost.
        byte[] payload = new byte[4 << 20];
        new java.util.Random(5).nextBytes(payload);
        java.util.concurrent.CompletableFuture<Void> serverClosed = new java.util.concurrent.CompletableFuture<>();
        NetServer sayAndClose = vertx.createNetServer()
                .connectHandler(s -> s.write(io.vertx.core.buffer.Buffer.buffer(payload))
                        .compose(v -> s.close()).onComplete(v -> serverClosed.complete(null)))
                .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        proxy.target(new InetSocketAddress("127.0.0.1", sayAndClose.actualPort()));
        try (Socket s = connectFrom("127.0.0.21")) {
            serverClosed.get(30, TimeUnit.SECONDS);
            assertArrayEquals(payload, s.getInputStream().readAllBytes(), "whole payload, then EOF");
        }
    }

    @Test
    void bytesSentRightBeforeACloseReachTheTargetEvenWhileTheProxyIsStillConnecting() throws Exception {
        // The proxy pauses a new connection until its target side is connected; a client that writes
        // and closes at once has its close reported before its bytes: the bytes must still arrive.
        java.util.concurrent.ConcurrentLinkedQueue<Long> received = new java.util.concurrent.ConcurrentLinkedQueue<>();
        NetServer sink = vertx.createNetServer().connectHandler(s -> {
            long[] n = {0};
            s.handler(b -> n[0] += b.length());
            s.endHandler(v -> received.add(n[0]));
        }).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        proxy.target(new InetSocketAddress("127.0.0.1", sink.actualPort()));
        byte[] data = new byte[200_000];
        for (int i = 0; i < 20; i++) {
            try (Socket s = connectFrom("127.0.0.21")) {
                s.getOutputStream().write(data);
            }
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> received.size() == 20);
        assertEquals(java.util.Collections.nCopies(20, 200_000L), new ArrayList<>(received));
    }

    @Test
    void silentDropHoldsConnectionsOpenForwardsNothingAndHealDeliversWhatWasHeld() throws Exception {
        java.util.concurrent.atomic.AtomicInteger serverConnections = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicLong serverBytes = new java.util.concurrent.atomic.AtomicLong();
        NetServer counting = vertx.createNetServer().connectHandler(s -> {
            serverConnections.incrementAndGet();
            s.handler(b -> {
                serverBytes.addAndGet(b.length());
                s.write(b);
            });
        }).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        proxy.target(new InetSocketAddress("127.0.0.1", counting.actualPort()));
        try (Socket a = connectFrom("127.0.0.21"); Socket b = connectFrom("127.0.0.22")) {
            assertArrayEquals(new byte[]{1}, roundTrip(a, new byte[]{1}));
            assertArrayEquals(new byte[]{2}, roundTrip(b, new byte[]{2}));

            assertEquals(1, proxy.drop(Set.of("a")), "a's open connection is held");
            assertEquals(Set.of("a"), proxy.dropped());
            a.getOutputStream().write(new byte[]{3, 4});
            a.setSoTimeout(300);
            assertThrows(java.net.SocketTimeoutException.class, () -> a.getInputStream().read(),
                    "no answer, no EOF, no reset: the connection just goes quiet");
            assertArrayEquals(new byte[]{5}, roundTrip(b, new byte[]{5}), "b is not cut");

            Socket late = connectFrom("127.0.0.21");
            late.getOutputStream().write(new byte[]{6});
            late.setSoTimeout(300);
            assertThrows(java.net.SocketTimeoutException.class, () -> late.getInputStream().read(),
                    "a new connection from a is accepted but not forwarded");
            assertEquals(2, serverConnections.get(), "the target never saw the new connection");
            assertEquals(3, serverBytes.get(), "the target saw b's bytes, never a's");
            assertEquals(3, proxy.openConnections(), "held connections stay open");

            proxy.drop(Set.of());
            a.setSoTimeout(5000);
            late.setSoTimeout(5000);
            assertArrayEquals(new byte[]{3, 4}, a.getInputStream().readNBytes(2), "what a sent during the cut arrives after the heal");
            assertArrayEquals(new byte[]{6}, late.getInputStream().readNBytes(1), "the held new connection is forwarded after the heal");
            assertEquals(3, serverConnections.get());
            assertArrayEquals(new byte[]{7}, roundTrip(a, new byte[]{7}));
            late.close();
        }
    }

    @Test
    void aCloseDuringASilentCutReachesTheOtherSideOnlyAfterTheHeal() throws Exception {
        java.util.concurrent.atomic.AtomicInteger serverCloses = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicLong serverBytes = new java.util.concurrent.atomic.AtomicLong();
        NetServer counting = vertx.createNetServer().connectHandler(s -> {
            s.handler(b -> serverBytes.addAndGet(b.length()));
            s.closeHandler(v -> serverCloses.incrementAndGet());
        }).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        proxy.target(new InetSocketAddress("127.0.0.1", counting.actualPort()));
        Socket a = connectFrom("127.0.0.21");
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.openConnections() == 1);
        a.getOutputStream().write(new byte[]{1});
        await().atMost(Duration.ofSeconds(5)).until(() -> serverBytes.get() == 1);
        proxy.drop(Set.of("a"));
        a.getOutputStream().write(new byte[]{2, 3});
        a.close();
        await().during(Duration.ofMillis(400)).atMost(Duration.ofSeconds(2))
                .until(() -> serverCloses.get() == 0 && serverBytes.get() == 1);
        proxy.heal();
        await().atMost(Duration.ofSeconds(5)).until(() -> serverBytes.get() == 3 && serverCloses.get() == 1);
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.openConnections() == 0);
    }

    @Test
    void aSilentCutHoldsDelayedBytesTooAndRefusingABeatsDroppingIt() throws Exception {
        try (Socket a = connectFrom("127.0.0.21")) {
            roundTrip(a, new byte[]{1});
            proxy.delay(Duration.ofMillis(100));
            a.getOutputStream().write(new byte[]{2});
            proxy.drop(Set.of("a")); // the byte is in the proxy's delay queue now or soon: it must wait
            a.setSoTimeout(500);
            assertThrows(java.net.SocketTimeoutException.class, () -> a.getInputStream().read());
            proxy.drop(Set.of());
            a.setSoTimeout(5000);
            assertEquals(2, a.getInputStream().read(), "released after the heal, through the delay");

            proxy.drop(Set.of("a"));
            assertEquals(1, proxy.refuse(Set.of("a")), "refusing closes a held connection");
            assertEquals(-1, a.getInputStream().read());
            try (Socket again = connectFrom("127.0.0.21")) {
                assertEquals(-1, readOrEof(again), "refused and dropped: refused");
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
