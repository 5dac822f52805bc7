package io.deliverycheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code deliverycheck test} on the in-process fake cluster: options, output, exit codes. */
class TestCommandTest {
  @TempDir Path results;

  record Out(int code, String out, String err) {}

  Out run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      CommandLine cl = Main.commandLine();
      int code = cl.execute(args);
      return new Out(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  @Test
  void aValidRunPrintsTheSeedTheVerdictAndTheFolderAndExitsZero() throws Exception {
    Out o = run("test", "--env", "fake", "--time-limit", "3", "--nemesis", "kill", "--seed", "5",
        "--rate", "10", "--results", results.toString(), "--name", "cli");
    assertEquals(0, o.code(), o.out() + o.err());
    assertTrue(o.out().contains("seed 5"), o.out());
    assertTrue(o.out().contains("VALID (exactly-once)"), o.out());
    assertTrue(o.out().contains("results: " + results.resolve("cli")), o.out());
    assertTrue(Files.isSymbolicLink(results.resolve("cli").resolve("latest")));
  }

  @Test
  void jsonGoesToStdoutAndRunsAreSummarised() throws Exception {
    Out o = run("test", "--env", "fake", "--time-limit", "2", "--nemesis", "none", "--seed", "7",
        "--runs", "2", "--json", "--quiet", "--results", results.toString());
    assertEquals(0, o.code(), o.out() + o.err());
    JsonNode j = new ObjectMapper().readTree(o.out());
    assertEquals(2, j.get("runs").size());
    assertEquals(7, j.get("runs").get(0).get("seed").asLong());
    assertEquals(8, j.get("runs").get(1).get("seed").asLong());
    assertTrue(o.err().contains("summary of 2 runs"), o.err());
  }

  @Test
  void aPlantedBugMakesTheRunInvalidWithExitCodeOne() {
    Out o = run("test", "--env", "fake", "--time-limit", "3", "--nemesis", "none", "--seed", "5",
        "--workload", "payments", "--bug", "lose-accepted", "--quiet-period", "1", "--results", results.toString());
    assertEquals(1, o.code(), o.out() + o.err());
    assertTrue(o.out().contains("INVALID [lost]"), o.out());
  }

  @Test
  void badOptionsAreOneClearMessageAndExitFour() throws Exception {
    Out o = run("test", "--guarantee", "twice", "--results", results.toString());
    assertEquals(4, o.code());
    assertTrue(o.err().contains("--guarantee twice: choose at-most-once, at-least-once or exactly-once"), o.err());
    assertFalse(o.err().contains("Exception"), o.err());
    Out n = run("test", "--nemesis", "meteor", "--results", results.toString());
    assertEquals(4, n.code());
    assertTrue(n.err().contains("unknown nemesis fault 'meteor'"), n.err());
    try (var s = Files.list(results)) {
      assertEquals(0, s.count(), "nothing written for bad options");
    }
  }
}
