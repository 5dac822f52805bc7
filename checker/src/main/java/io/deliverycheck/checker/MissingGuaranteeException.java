package io.deliverycheck.checker;

/**
 * No guarantee to judge against: none was given, the history has no {@code system} op naming one,
 * and there is no fallback (test.json). A user error; the message says what to do.
 */
public final class MissingGuaranteeException extends RuntimeException {
  MissingGuaranteeException(String message) {
    super(message, null, false, false);
  }
}
