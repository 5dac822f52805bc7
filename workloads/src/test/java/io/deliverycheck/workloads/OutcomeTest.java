package io.deliverycheck.workloads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deliverycheck.checker.history.OpType;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** Contract 2's classification of send answers. */
class OutcomeTest {
  @Test
  void acceptedIsOk() {
    Outcome o = Outcome.of(200, "{\"msg\":\"s1\",\"id\":\"m1\",\"state\":\"accepted\",\"owed\":[]}");
    assertEquals(OpType.OK, o.type());
    assertEquals("s1", o.msg());
  }

  @Test
  void badRequestsAndCertainRefusalsAreFail() {
    for (int s : new int[] {400, 401, 404, 409}) {
      Outcome o = Outcome.of(s, "{\"error\":\"nope\"}");
      assertEquals(OpType.FAIL, o.type(), "HTTP " + s);
      assertFalse(o.retry());
    }
    Outcome o = Outcome.of(503, "{\"error\":\"db down\",\"committed\":false}");
    assertEquals(OpType.FAIL, o.type());
    assertTrue(o.retry(), "a send certainly not committed may be retried with the same key");
  }

  @Test
  void everythingElseIsIndeterminate() {
    assertEquals(OpType.INFO, Outcome.of(503, "{\"error\":\"db down\"}").type());
    assertEquals(OpType.INFO, Outcome.of(500, "oops").type());
    assertEquals(OpType.INFO, Outcome.of(200, "{\"state\":\"weird\"}").type());
    assertEquals(OpType.INFO, Outcome.of(429, "").type());
    Outcome t = Outcome.indeterminate(new TimeoutException("timeout"));
    assertEquals(OpType.INFO, t.type());
    assertEquals("timeout", t.error());
  }
}
