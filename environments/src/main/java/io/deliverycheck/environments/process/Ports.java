package io.deliverycheck.environments.process;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** Free TCP ports, found by binding port 0 (never fixed ports: other tests run at the same time). */
public final class Ports {

    private Ports() {
    }

    /** A port free on {@code host} right now (it may be taken again before use; callers bind it soon). */
    public static int free(String host) throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(false);
            s.bind(new InetSocketAddress(host, 0));
            return s.getLocalPort();
        }
    }
}
