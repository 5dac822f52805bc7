package io.deliverycheck.checker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.TextNode;

/** A verdict: valid, invalid, or unknown (the history cannot prove either). JSON: true / false / "unknown". */
public enum Validity {
  VALID,
  INVALID,
  UNKNOWN;

  /** {@code true}, {@code false} or {@code "unknown"}. */
  public JsonNode toJson() {
    switch (this) {
      case VALID: return BooleanNode.TRUE;
      case INVALID: return BooleanNode.FALSE;
      default: return TextNode.valueOf("unknown");
    }
  }

  /** The exit code of {@code deliverycheck check}: 0 valid, 1 invalid, 2 unknown. */
  public int exitCode() {
    switch (this) {
      case VALID: return 0;
      case INVALID: return 1;
      default: return 2;
    }
  }
}
