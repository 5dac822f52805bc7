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

  @Test
  void aFaultThatCannotBeAppliedExitsFourAndNamesTheFailedSteps() throws Exception {
    Path plan = results.resolve("plan.json");
    Files.writeString(plan, "{\"seed\": 1, \"faults\": [{\"at_ms\": 100, \"duration_ms\": 300, \"kind\": \"kill\","
        + " \"detail\": {\"node\": \"n9\"}}]}");
    Out o = run("test", "--env", "fake", "--time-limit", "2", "--fault-plan", plan.toString(), "--seed", "5",
        "--results", results.resolve("r").toString());
    assertEquals(4, o.code(), o.out() + o.err());
    assertTrue(o.out().contains("HARNESS ERRORS ("), o.out());
    assertTrue(o.out().contains("this run did not test what it claims (exit 4)"), o.out());
    assertTrue(o.out().contains("  nemesis kill n9: "), o.out());
    assertTrue(o.out().contains("  heal: restart n9: "), o.out());
    JsonNode results = new ObjectMapper().readTree(
        this.results.resolve("r").resolve("default").resolve("latest").resolve("results.json").toFile());
    assertTrue(results.get("run").get("harness_errors").size() >= 3, results.get("run").toString());
    assertEquals(false, results.get("run").get("drain_detail").get("healed").asBoolean());
  }

  @Test
  void aFaultTheEnvironmentCannotInjectIsRefusedBeforeSetUp() {
    io.deliverycheck.checker.runner.Environment onlyKill = new OnlyKill();
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> DeliveryTest.checkNemesis(java.util.List.of("kill", "pause"), onlyKill));
    assertTrue(e.getMessage().startsWith("--nemesis kill,pause: "), e.getMessage());
    assertTrue(e.getMessage().contains("cannot suffer the fault 'pause'; it supports: kill"), e.getMessage());
    DeliveryTest.checkNemesis(java.util.List.of("all"), onlyKill); // all: what it offers
  }

  /** An environment with one ability: kill. */
  static final class OnlyKill implements io.deliverycheck.checker.runner.Environment,
      io.deliverycheck.checker.runner.Killable {
    @Override public void setup(Path runDir, io.deliverycheck.checker.history.Recorder rec) {}
    @Override public java.util.List<String> nodes() { return java.util.List.of("n1"); }
    @Override public java.net.URI clientEndpoint(String node) { return null; }
    @Override public java.net.URI adminEndpoint(String node) { return null; }
    @Override public java.util.List<Path> logs() { return java.util.List.of(); }
    @Override public void kill(String node) {}
    @Override public void restart(String node) {}
    @Override public void close() {}
  }
}
