package io.deliverycheck.environments.proxy;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A TCP proxy owned by the harness: it listens on one address and forwards every connection to a
 * target, so the harness can break the link (a partition), slow it down, or close it.
 *
 * <p>Why Vert.x and not raw NIO: the same event loops the cluster uses, per-connection backpressure
 * ({@code pause}/{@code writeQueueFull}/{@code drainHandler}) and timers for the delay, in far less
 * code than a selector loop; thousands of connections cost a few buffers each. When healthy, bytes
 * are written the moment they are read (TCP_NODELAY on both sides), so the proxy adds no delay.
 *
 * <p>Threading: all state of one proxy lives on one Vert.x context (one event-loop thread); the
 * control methods hop onto it and block the caller (never call them from an event loop) until done.
 *
 * <p>Each accepted connection is labelled with a <em>source</em>, computed from the remote host by
 * {@code sourceOf} (e.g. 127.0.0.12 -> "n2"). Two kinds of cut:
 * <ul>
 *   <li>{@link #refuse}: the open connections of refused sources are closed and new ones are closed on
 *       accept (a partition that refuses, like a host that answers with a reset);</li>
 *   <li>{@link #drop}: silent. The open connections of dropped sources stay open but nothing flows
 *       either way, and new ones are accepted but not forwarded (like packets dropped on the wire:
 *       senders' writes fill the socket buffers, then block; nobody sees a close, a reset or an error
 *       until their own timeouts fire). On heal everything held flows again, in order, and held new
 *       connections are connected to the target, as TCP retransmission would deliver it after a
 *       partition shorter than the connections' timeouts. A close from either side during the cut is
 *       passed on after the heal, behind the bytes sent before it.</li>
 * </ul>
 * A source both refused and dropped is refused. {@link #delay} holds every chunk for the given time in
 * each direction, keeping order.
 */
public final class TcpProxy implements AutoCloseable {

    /** Bytes queued by a delayed direction before its source is paused. */
    static final int MAX_QUEUED_BYTES = 1 << 20;
    private static final long CONTROL_TIMEOUT_S = 10;

    private final String name;
    private final Vertx vertx;
    private final Context ctx;
    private final Function<String, String> sourceOf;
    private final NetClient client;
    private final Set<Link> links = new HashSet<>();
    private NetServer server;
    private InetSocketAddress address;
    private volatile InetSocketAddress target;
    private Set<String> refused = Set.of();
    private Set<String> dropped = Set.of();
    private long delayMs;
    private long accepted;
    private long rejected;
    private boolean closed;

    private TcpProxy(String name, Vertx vertx, InetSocketAddress target, Function<String, String> sourceOf) {
        this.name = name;
        this.vertx = vertx;
        this.ctx = vertx.getOrCreateContext();
        this.target = target;
        this.sourceOf = sourceOf;
        this.client = vertx.createNetClient(new NetClientOptions().setTcpNoDelay(true).setConnectTimeout(5000));
    }

    /**
     * Starts a proxy listening on {@code listenHost:listenPort} (0 = any free port) that forwards to
     * {@code target}. Blocks until it listens.
     *
     * @param sourceOf names the source of a connection from its remote host (never null for a known host;
     *                 may return the host itself)
     */
    public static TcpProxy start(Vertx vertx, String name, String listenHost, int listenPort,
                                 InetSocketAddress target, Function<String, String> sourceOf) throws Exception {
        TcpProxy proxy = new TcpProxy(name, vertx, target, sourceOf);
        proxy.onContext(() -> {
            NetServer server = vertx.createNetServer(new NetServerOptions().setTcpNoDelay(true).setAcceptBacklog(4096));
            proxy.server = server;
            return server.connectHandler(proxy::accept).listen(listenPort, listenHost)
                    .map(s -> {
                        proxy.address = new InetSocketAddress(listenHost, s.actualPort());
                        return null;
                    });
        });
        return proxy;
    }

    /** The proxy's own name (for logs and errors). */
    public String name() {
        return name;
    }

    /** Where the proxy listens. */
    public InetSocketAddress address() {
        return address;
    }

    /** Where new connections go (existing ones keep their target). */
    public InetSocketAddress target() {
        return target;
    }

    /** Changes the target of new connections. */
    public void target(InetSocketAddress target) {
        this.target = Objects.requireNonNull(target);
    }

    /**
     * Refuses the given sources from now on (replacing the previous set): their open connections are
     * closed before this returns, new ones are closed on accept. An empty set heals.
     *
     * @return the number of connections closed
     */
    public int refuse(Set<String> sources) throws Exception {
        Set<String> copy = Set.copyOf(sources);
        return onContext(() -> {
            refused = copy;
            return Future.succeededFuture(closeWhere(l -> copy.contains(l.source)));
        });
    }

    /** The currently refused sources. */
    public Set<String> refused() throws Exception {
        return onContext(() -> Future.succeededFuture(refused));
    }

    /**
     * Drops the traffic of the given sources silently from now on (replacing the previous set): their
     * open connections stay open and are held (nothing is forwarded either way), new ones are accepted
     * and held unconnected. Sources no longer in the set flow again, with everything held. An empty set
     * heals. See the class comment.
     *
     * @return the number of open connections held now
     */
    public int drop(Set<String> sources) throws Exception {
        Set<String> copy = Set.copyOf(sources);
        return onContext(() -> {
            dropped = copy;
            int held = 0;
            for (Link l : Set.copyOf(links)) {
                boolean hold = copy.contains(l.source);
                if (hold && !l.held) {
                    l.hold();
                } else if (!hold && l.held) {
                    l.release();
                }
                if (hold) {
                    held++;
                }
            }
            return Future.succeededFuture(held);
        });
    }

    /** The sources whose traffic is currently dropped. */
    public Set<String> dropped() throws Exception {
        return onContext(() -> Future.succeededFuture(dropped));
    }

    /** Ends every cut: nothing refused, nothing dropped (held traffic flows again). */
    public void heal() throws Exception {
        refuse(Set.of());
        drop(Set.of());
    }

    /** Delays every chunk by {@code delay} in each direction (zero: no delay for new data). */
    public void delay(Duration delay) throws Exception {
        long ms = Math.max(0, delay.toMillis());
        onContext(() -> {
            delayMs = ms;
            return Future.succeededFuture(null);
        });
    }

    /** Closes every open connection (clients may reconnect at once). @return how many were closed */
    public int closeAll() throws Exception {
        return onContext(() -> Future.succeededFuture(closeWhere(l -> true)));
    }

    /** The number of open connections. */
    public int openConnections() throws Exception {
        return onContext(() -> Future.succeededFuture(links.size()));
    }

    /** Connections accepted and forwarded so far, and connections refused so far. */
    public long[] counts() throws Exception {
        return onContext(() -> Future.succeededFuture(new long[]{accepted, rejected}));
    }

    /** Stops listening and closes every connection. Idempotent; never throws. */
    @Override
    public void close() {
        try {
            onContext(() -> {
                if (closed) {
                    return Future.succeededFuture(null);
                }
                closed = true;
                closeWhere(l -> true);
                Future<Void> s = server == null ? Future.succeededFuture() : server.close();
                return s.eventually(() -> client.close()).otherwiseEmpty().mapEmpty();
            });
        } catch (Exception e) {
            // best effort: the Vert.x instance's own close will release the rest
        }
    }

    @Override
    public String toString() {
        return "proxy " + name + " " + address + " -> " + target;
    }

    // ---- event-loop side ----

    private void accept(NetSocket in) {
        String host = in.remoteAddress().host();
        String source = sourceOf.apply(host);
        if (closed || refused.contains(source)) {
            rejected++;
            in.close();
            return;
        }
        accepted++;
        in.pause();
        Link link = new Link(source, in);
        links.add(link);
        // The end, not the close: a paused socket's close event comes before the bytes it still
        // buffers, its end comes after them.
        in.endHandler(v -> link.ended(in));
        in.exceptionHandler(e -> link.close());
        if (dropped.contains(source)) {
            link.held = true; // accepted, connected to the target only when the cut heals
            return;
        }
        link.connect();
    }

    private int closeWhere(java.util.function.Predicate<Link> which) {
        int n = 0;
        for (Link l : Set.copyOf(links)) {
            if (which.test(l)) {
                l.close();
                n++;
            }
        }
        return n;
    }

    private <T> T onContext(java.util.function.Supplier<Future<T>> action) throws Exception {
        Promise<T> done = Promise.promise();
        ctx.runOnContext(v -> {
            try {
                action.get().onComplete(done);
            } catch (RuntimeException e) {
                done.fail(e);
            }
        });
        return done.future().toCompletionStage().toCompletableFuture().get(CONTROL_TIMEOUT_S, TimeUnit.SECONDS);
    }

    /** One proxied connection: client side {@code in}, target side {@code out}. */
    private final class Link {
        final String source;
        final NetSocket in;
        NetSocket out;
        Direction up;
        Direction down;
        boolean closed;
        /** Silently cut: nothing flows either way until released. */
        boolean held;
        private boolean connecting;

        Link(String source, NetSocket in) {
            this.source = source;
            this.in = in;
        }

        void connect() {
            connecting = true;
            InetSocketAddress t = target;
            client.connect(t.getPort(), t.getHostString()).onComplete(ar -> {
                if (ar.failed()) {
                    close();
                    return;
                }
                NetSocket o = ar.result();
                out = o;
                if (closed) {
                    o.close();
                    return;
                }
                o.endHandler(v -> ended(o));
                o.exceptionHandler(e -> close());
                up = new Direction(this, in, o, true); // in was paused on accept
                down = new Direction(this, o, in, false);
                up.flow();
                down.flow();
            });
        }

        /** Stops both directions where they are (a silent cut). */
        void hold() {
            held = true;
            if (up != null) {
                up.flow();
                down.flow();
            }
        }

        /** Lets everything held flow again; a connection accepted during the cut is connected now. */
        void release() {
            held = false;
            if (closed) {
                return;
            }
            if (!connecting) {
                connect();
            } else if (up != null) {
                up.unhold();
                down.unhold();
            }
        }

        /**
         * One side closed: bytes it sent that are still held by a delay are delivered first, then the
         * other side is closed (a response followed by a close must arrive whole).
         */
        void ended(NetSocket side) {
            Direction from = side == in ? up : down;
            if (from != null && !from.queue.isEmpty() && !closed) {
                from.closeWhenFlushed = true;
            } else {
                close();
            }
        }

        /** Closes both sides at once, dropping bytes held by a delay (a cut or a disconnect). */
        void close() {
            if (closed) {
                return;
            }
            closed = true;
            links.remove(this);
            if (up != null) {
                up.cancel();
                down.cancel();
            }
            in.close();
            if (out != null) {
                out.close();
            }
        }
    }

    /** Bytes flowing one way, immediately or after the proxy's delay, in order, with backpressure. */
    private final class Direction {
        private final Link link;
        private final NetSocket from;
        private final NetSocket to;
        private final java.util.ArrayDeque<Pending> queue = new java.util.ArrayDeque<>();
        private long queuedBytes;
        private long timer = -1;
        private boolean paused;
        private boolean closeWhenFlushed;

        Direction(Link link, NetSocket from, NetSocket to, boolean fromPaused) {
            this.link = link;
            this.from = from;
            this.to = to;
            this.paused = fromPaused;
            from.handler(this::onData);
            to.drainHandler(v -> flow());
        }

        private void onData(io.vertx.core.buffer.Buffer buf) {
            if (link.closed) {
                return;
            }
            if (delayMs == 0 && queue.isEmpty() && !link.held) {
                to.write(buf);
            } else {
                queue.add(new Pending(buf, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delayMs)));
                queuedBytes += buf.length();
                schedule();
            }
            flow();
        }

        private void schedule() {
            if (timer >= 0 || queue.isEmpty() || link.held) {
                return;
            }
            long waitMs = TimeUnit.NANOSECONDS.toMillis(queue.peek().due - System.nanoTime());
            timer = vertx.setTimer(Math.max(1, waitMs), id -> {
                timer = -1;
                release();
            });
        }

        private void release() {
            long now = System.nanoTime();
            while (!queue.isEmpty() && queue.peek().due <= now && !link.closed && !link.held) {
                Pending p = queue.poll();
                queuedBytes -= p.buf.length();
                to.write(p.buf);
            }
            if (closeWhenFlushed && queue.isEmpty()) {
                link.close();
                return;
            }
            schedule();
            flow();
        }

        /** After a silent cut: what was queued goes out when due (at once if overdue), reading resumes. */
        void unhold() {
            release();
        }

        /**
         * Pauses the reading side while the link is held, or the writing side or the delay queue is
         * full; resumes after.
         */
        void flow() {
            if (link.closed) {
                return;
            }
            boolean full = link.held || to.writeQueueFull() || queuedBytes > MAX_QUEUED_BYTES;
            if (full && !paused) {
                paused = true;
                from.pause();
            } else if (!full && paused) {
                paused = false;
                from.resume();
            }
        }

        void cancel() {
            if (timer >= 0) {
                vertx.cancelTimer(timer);
                timer = -1;
            }
            queue.clear();
        }
    }

    private record Pending(io.vertx.core.buffer.Buffer buf, long due) {
    }
}
