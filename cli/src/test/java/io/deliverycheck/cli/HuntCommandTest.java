package io.deliverycheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** hunt and shrink: bad input (the runs themselves are in the slow tier, HuntShrinkTest). */
class HuntCommandTest {
  @TempDir Path results;

  private TestCommandTest.Out run(String... args) {
    TestCommandTest t = new TestCommandTest();
    return t.run(args);
  }

  @Test
  void shrinkRefusesAFolderThatIsNotAFailingRunInOneLine() throws Exception {
    TestCommandTest.Out o = run("shrink", results.resolve("nothing").toString());
    assertEquals(4, o.code());
    assertTrue(o.err().contains("test.json: no such file (is this a run folder?)"), o.err());
    assertFalse(o.err().contains("Exception"), o.err());
    TestCommandTest.Out b = run("shrink", results.toString(), "--replays", "3/2");
    assertEquals(4, b.code());
    assertTrue(b.err().contains("--replays 3/2: write K/M"), b.err());
  }
}
