package io.deliverycheck.checker.history;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;

/**
 * One line of a history (shared HISTORY.md, docs/history-format.md).
 *
 * @param index position in the history, 0, 1, 2, ... with no gaps
 * @param time nanoseconds since the test began, from the recorder's one monotonic clock
 * @param process who observed it: {@code c3}, {@code d:u7/phone}, {@code nemesis}, {@code harness}
 * @param type invoke, ok, fail or info
 * @param f the operation: {@code send}, {@code receive}, {@code ack}, {@code receipt}, {@code read},
 *     {@code roster}, {@code drained} or a nemesis fault name
 * @param value the operation's data, never null (an empty object when there is none)
 * @param node the node the process talked to, or null
 * @param error why an op failed or is indeterminate, or null
 */
public record Op(long index, long time, String process, OpType type, String f, ObjectNode value,
                 String node, String error) {
  public Op {
    Objects.requireNonNull(process, "process");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(f, "f");
    Objects.requireNonNull(value, "value");
  }
}
