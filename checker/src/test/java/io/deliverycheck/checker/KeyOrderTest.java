package io.deliverycheck.checker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.deliverycheck.checker.history.HistoryReader;
import io.deliverycheck.checker.history.Op;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The order of keys in an op carries no meaning (HISTORY.md): a value that comes before the op
 * says what it is (its f or type) is judged as when it comes last, on both read paths. Before
 * contract v2 a receive or receipt written as f, value, type crashed the fast path.
 */
class KeyOrderTest {
  private static final String CANONICAL = String.join("\n",
      "{\"index\":0,\"time\":0,\"process\":\"harness\",\"type\":\"info\",\"f\":\"roster\",\"value\":{\"u2\":[\"phone\"]}}",
      "{\"index\":1,\"time\":1,\"process\":\"harness\",\"type\":\"info\",\"f\":\"system\",\"value\":{\"name\":\"x\",\"guarantee\":\"exactly-once\",\"receipts\":true,\"order\":\"per-sender\"}}",
      "{\"index\":2,\"time\":2,\"process\":\"c1\",\"type\":\"invoke\",\"f\":\"send\",\"value\":{\"id\":\"m1\",\"key\":\"k1\",\"from\":\"u1\",\"to\":[\"u2\"],\"attempt\":1}}",
      "{\"index\":3,\"time\":3,\"process\":\"c1\",\"type\":\"ok\",\"f\":\"send\",\"value\":{\"id\":\"m1\"}}",
      "{\"index\":4,\"time\":4,\"process\":\"d:u2/phone\",\"type\":\"ok\",\"f\":\"receive\",\"value\":{\"id\":\"m1\",\"recipient\":\"u2\",\"device\":\"phone\"}}",
      "{\"index\":5,\"time\":5,\"process\":\"c1\",\"type\":\"ok\",\"f\":\"receipt\",\"value\":{\"id\":\"m1\",\"recipient\":\"u2\",\"device\":\"phone\",\"state\":\"delivered\"}}",
      "{\"index\":6,\"time\":6,\"process\":\"harness\",\"type\":\"info\",\"f\":\"error\",\"value\":{\"what\":\"nemesis\",\"message\":\"no tc\"}}",
      "{\"index\":7,\"time\":7,\"process\":\"nemesis\",\"type\":\"info\",\"f\":\"kill\",\"value\":{\"node\":\"n1\"},\"error\":\"no such process\"}",
      "{\"index\":8,\"time\":8,\"process\":\"harness\",\"type\":\"info\",\"f\":\"drained\",\"value\":{\"quiet_ms\":5000,\"healed\":true}}",
      "");

  /** Every op with its value first, then f, then type, then the rest; the value's keys reversed. */
  private static final String VALUE_FIRST = String.join("\n",
      "{\"value\":{\"u2\":[\"phone\"]},\"f\":\"roster\",\"type\":\"info\",\"index\":0,\"time\":0,\"process\":\"harness\"}",
      "{\"value\":{\"order\":\"per-sender\",\"receipts\":true,\"guarantee\":\"exactly-once\",\"name\":\"x\"},\"f\":\"system\",\"type\":\"info\",\"process\":\"harness\",\"time\":1,\"index\":1}",
      "{\"value\":{\"attempt\":1,\"to\":[\"u2\"],\"from\":\"u1\",\"key\":\"k1\",\"id\":\"m1\"},\"f\":\"send\",\"type\":\"invoke\",\"process\":\"c1\",\"time\":2,\"index\":2}",
      "{\"value\":{\"id\":\"m1\"},\"type\":\"ok\",\"f\":\"send\",\"process\":\"c1\",\"time\":3,\"index\":3}",
      "{\"f\":\"receive\",\"value\":{\"device\":\"phone\",\"recipient\":\"u2\",\"id\":\"m1\"},\"type\":\"ok\",\"process\":\"d:u2/phone\",\"time\":4,\"index\":4}",
      "{\"f\":\"receipt\",\"value\":{\"state\":\"delivered\",\"device\":\"phone\",\"recipient\":\"u2\",\"id\":\"m1\"},\"type\":\"ok\",\"process\":\"c1\",\"time\":5,\"index\":5}",
      "{\"value\":{\"message\":\"no tc\",\"what\":\"nemesis\"},\"type\":\"info\",\"f\":\"error\",\"process\":\"harness\",\"index\":6,\"time\":6}",
      "{\"error\":\"no such process\",\"value\":{\"node\":\"n1\"},\"f\":\"kill\",\"type\":\"info\",\"process\":\"nemesis\",\"time\":7,\"index\":7}",
      "{\"value\":{\"healed\":true,\"quiet_ms\":5000},\"type\":\"info\",\"f\":\"drained\",\"process\":\"harness\",\"time\":8,\"index\":8}",
      "");

  @TempDir Path dir;

  @Test
  void anyKeyOrderGivesTheSameResultsOnBothPaths() throws Exception {
    Path a = dir.resolve("canonical.jsonl");
    Path b = dir.resolve("value-first.jsonl");
    Files.writeString(a, CANONICAL);
    Files.writeString(b, VALUE_FIRST);
    CheckResult expected = DeliveryChecker.check(a, Guarantee.EXACTLY_ONCE);
    assertEquals(Validity.VALID, expected.valid(), expected.toJson().toString());
    assertEquals(2, expected.count("harness_errors"));
    assertEquals(expected.toJson(), DeliveryChecker.check(b, Guarantee.EXACTLY_ONCE).toJson(), "fast path");
    DeliveryChecker c = new DeliveryChecker(Guarantee.EXACTLY_ONCE);
    try (HistoryReader r = HistoryReader.open(b)) {
      for (Op op; (op = r.next()) != null; ) {
        c.accept(op);
      }
    }
    assertEquals(expected.toJson(), c.finish().toJson(), "HistoryReader + accept");
  }
}
