package io.deliverycheck.checker.runner;

/** An {@link Environment} whose client connections can be closed: fault {@code device-disconnect}. */
public interface ClientDisconnectable {

    /** Close the client (device/sender) connections at {@code node}; clients may reconnect at once. */
    void disconnectClients(String node) throws Exception;
}
