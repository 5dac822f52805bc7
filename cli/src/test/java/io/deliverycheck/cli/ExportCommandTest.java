package io.deliverycheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExportCommandTest {
  @TempDir Path tmp;

  private static final String HISTORY = """
      {"index":0,"time":5,"process":"c1","type":"invoke","f":"send","value":{"id":"m1","key":"k1","from":"u1","to":["u2"],"attempt":1}}
      {"index":1,"time":9,"process":"c1","type":"ok","f":"send","value":{"id":"m1","key":"k1","from":"u1","to":["u2"],"attempt":1},"node":"n1"}
      """;

  @Test
  void exportsToAFile() throws Exception {
    Path h = tmp.resolve("history.jsonl");
    Files.writeString(h, HISTORY);
    Path out = tmp.resolve("out/history.edn");
    assertEquals(0, Main.commandLine().execute("export", "--format", "edn", h.toString(), "--out", out.toString(), "--quiet"));
    String edn = Files.readString(out);
    assertTrue(edn.startsWith("{:index 0, :time 5, :type :invoke, :process 1, :f :send, :value {:id \"m1\""), edn);
    assertEquals(2, edn.lines().count());
  }

  @Test
  void aBadHistoryNamesFileAndLineAndWritesNothing() throws Exception {
    Path h = tmp.resolve("history.jsonl");
    Files.writeString(h, HISTORY + "{\"index\":5}\n");
    Path out = tmp.resolve("history.edn");
    PrintStream err = System.err;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setErr(new PrintStream(buf, true));
    try {
      assertEquals(3, Main.commandLine().execute("export", h.toString(), "--out", out.toString()));
    } finally {
      System.setErr(err);
    }
    assertTrue(buf.toString().startsWith("deliverycheck export: " + h + ":3: "), buf.toString());
    assertFalse(Files.exists(out), "nothing written half-way");
  }
}
