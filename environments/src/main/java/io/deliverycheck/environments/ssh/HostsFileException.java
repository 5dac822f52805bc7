package io.deliverycheck.environments.ssh;

/** A problem with a hosts.json: one line, "FILE: FIELD: what is wrong". */
public final class HostsFileException extends IllegalArgumentException {

    public HostsFileException(String message) {
        super(message);
    }
}
