package io.deliverycheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deliverycheck.systems.file.DescribedSystem;
import io.deliverycheck.systems.file.SystemFile;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code init}, {@code systems --system-file} and {@code test --system-file} with bad files: fast, nothing started. */
class SystemFileCommandsTest {
  @TempDir Path tmp;

  record Out(int code, String out, String err) {}

  static Out run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      int code = Main.commandLine().execute(args);
      return new Out(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  @Test
  void initWritesATemplateThatValidatesAndASuiteThatRunsIt() throws Exception {
    Path dir = tmp.resolve("ci");
    Out o = run("init", dir.toString());
    assertEquals(0, o.code(), o.out() + o.err());
    Path file = dir.resolve("my-service.system.json");
    Path suite = dir.resolve("nightly.suite.json");
    assertTrue(o.out().contains("wrote " + file), o.out());

    SystemFile sf = SystemFile.read(file);
    assertEquals("my-service", sf.name());
    assertEquals("deliverycheck", sf.protocol());
    assertEquals("at-least-once", sf.claims().guarantee());
    assertTrue(Files.readString(file).contains("\"//"), "the template is commented");
    // its start program is a placeholder for the user's own: the run would refuse it in one line
    String missing = new DescribedSystem(sf).missing(null);
    assertTrue(missing != null && missing.startsWith("/start/command/0: ./bin/my-service"), missing);

    Suite s = Suite.load(suite);
    assertFalse(s.entries().isEmpty());
    for (Suite.Entry e : s.entries()) {
      int i = e.args().indexOf("--system-file");
      assertTrue(i >= 0, e.args().toString());
      assertEquals(file.toString(), e.args().get(i + 1));
      assertEquals("valid", e.expect());
    }

    Out described = run("systems", "--system-file", file.toString());
    assertEquals(0, described.code(), described.out() + described.err());
    assertTrue(described.out().contains("my-service: our messaging service"), described.out());
    assertTrue(described.out().contains("ports: http (client), cluster (peer)"), described.out());
    assertTrue(described.out().contains("installed: no: /start/command/0"), described.out());

    Out again = run("init", dir.toString());
    assertEquals(2, again.code());
    assertEquals("deliverycheck init: " + file + " exists already (--force overwrites it)", again.err().strip());
    assertEquals(0, run("init", "--force", dir.toString()).code());
  }

  @Test
  void aBadSystemFileIsOneLineNamingTheFieldAndNothingStarts() throws Exception {
    Path file = tmp.resolve("svc.json");
    Files.writeString(file, """
        {"name": "svc", "version": "1", "protocol": "deliverycheck", "ports": {"http": "client"},
         "start": {"command": ["./svc", "{port.htp}"]}, "health": {"http": "/health"},
         "claims": {"guarantee": "at-least-once", "receipts": false}, "retry_horizon_ms": 1000, "faults": []}
        """);
    Out s = run("systems", "--system-file", file.toString());
    assertEquals(2, s.code());
    String line = s.err().strip();
    assertFalse(line.contains("\n"), line);
    assertTrue(line.startsWith("deliverycheck systems: " + file + ": /start/command/1: unknown placeholder {port.htp}"), line);

    Path results = tmp.resolve("results");
    Out t = run("test", "--system-file", file.toString(), "--results", results.toString());
    assertEquals(4, t.code(), t.out() + t.err());
    assertTrue(t.err().contains(file + ": /start/command/1: unknown placeholder {port.htp}"), t.err());
    assertFalse(t.err().contains("Exception"), t.err());
    assertFalse(Files.exists(results), "nothing started, nothing written");

    Out both = run("test", "--system", "rabbitmq", "--system-file", "../examples/reference-node.system.json",
        "--results", results.toString());
    assertEquals(4, both.code());
    assertTrue(both.err().contains("--system rabbitmq and --system-file: give one of them"), both.err());

    Out fault = run("test", "--system-file", "../examples/reference-node.system.json", "--nemesis", "meteor",
        "--results", results.toString());
    assertEquals(4, fault.code());
    assertFalse(Files.exists(results), "nothing started, nothing written");
  }

  @Test
  void aFaultTheFileDoesNotListIsRefused() throws Exception {
    Path file = tmp.resolve("svc.json");
    Files.writeString(file, """
        {"name": "svc", "version": "1", "protocol": "deliverycheck", "ports": {"http": "client"},
         "start": {"command": ["/bin/true"]}, "health": {"tcp": "http"},
         "claims": {"guarantee": "at-least-once", "receipts": false}, "retry_horizon_ms": 1000, "faults": ["kill"]}
        """);
    Path results = tmp.resolve("results");
    Out t = run("test", "--system-file", file.toString(), "--nemesis", "partition", "--results", results.toString());
    assertEquals(4, t.code(), t.out() + t.err());
    assertTrue(t.err().contains("--nemesis partition:"), t.err());
    assertFalse(Files.exists(results));
  }
}
