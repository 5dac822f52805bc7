package io.deliverycheck.specs;

/** One framed message of TLC's {@code -tool} output: its code, severity and text (lines joined by '\n'). */
record TlcMessage(int code, int severity, String text) {}
