package io.deliverycheck.systems.file;

/**
 * A system file that cannot be used: the message is one line, {@code FILE: /json/pointer: what is
 * wrong}. An {@link IllegalArgumentException}, so every command reports it as a user error, without
 * a stack trace.
 */
public final class SystemFileException extends IllegalArgumentException {
    public SystemFileException(String message) {
        super(message);
    }
}
