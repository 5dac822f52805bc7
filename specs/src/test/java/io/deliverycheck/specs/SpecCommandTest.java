package io.deliverycheck.specs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code deliverycheck spec ...} as a user runs it: results, reports and clear errors. */
class SpecCommandTest {
  final StringWriter out = new StringWriter();
  final StringWriter err = new StringWriter();

  int run(String... args) {
    CommandLine cl = new CommandLine(new SpecCommand());
    cl.setExecutionStrategy(new CommandLine.RunLast());
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    return cl.execute(args);
  }

  String specs() {
    return Specs.dir().toString();
  }

  @Test
  void checkOneModelPrintsExpectedActualAndTheCounterexample(@TempDir Path tmp) throws Exception {
    Path xml = tmp.resolve("reports/spec.xml");
    int code = run("check", "--specs-dir", specs(), "--junit-xml", xml.toString(), "bug-ack-before-commit");
    assertEquals(0, code, out + "\n" + err);
    String o = out.toString();
    assertTrue(o.contains("expected AcceptedIsDurable     actual AcceptedIsDurable"), o);
    assertTrue(o.contains("as expected"), o);
    // accepted answered while the transaction is still open: not durable yet
    assertTrue(o.contains("3. HandleSend"), o);
    assertTrue(o.contains("txn[<<m1, 1>>] = \"open\""), o);
    assertTrue(o.contains("4. ClientReceive"), o);
    assertTrue(o.contains("cst[m1] = \"accepted\""), o);
    String x = Files.readString(xml);
    assertTrue(x.contains("<testsuite name=\"deliverycheck.spec\" tests=\"1\" failures=\"0\""), x);
    assertTrue(x.contains("<testcase classname=\"deliverycheck.spec.small\" name=\"bug-ack-before-commit\""), x);
    assertFalse(x.contains("<failure"), x);
  }

  @Test
  void aResultDifferentFromTheManifestFailsTheRunAndTheJunitCase(@TempDir Path tmp) throws Exception {
    // A copy of the specs folder whose manifest wrongly expects the ack-before-commit bug to pass.
    Path dir = tmp.resolve("specs");
    Files.createDirectories(dir.resolve("models"));
    Path real = Specs.dir();
    Files.copy(real.resolve("DeliveryGuarantees.tla"), dir.resolve("DeliveryGuarantees.tla"));
    Files.copy(real.resolve("models/bug-ack-before-commit.cfg"), dir.resolve("models/bug-ack-before-commit.cfg"));
    Files.writeString(dir.resolve("models.json"), "{\"spec\":\"DeliveryGuarantees.tla\",\"liveness\":[\"NoLoss\"],"
        + "\"models\":[{\"name\":\"wrong\",\"config\":\"models/bug-ack-before-commit.cfg\",\"expect\":\"pass\"}]}");
    Path xml = tmp.resolve("spec.xml");
    int code = run("check", "--specs-dir", dir.toString(), "--junit-xml", xml.toString(), "--no-trace");
    assertEquals(1, code, out + "\n" + err);
    assertTrue(out.toString().contains("DIFFERS FROM MANIFEST"), out.toString());
    assertTrue(out.toString().contains("1 of 1 model(s) differ"), out.toString());
    String x = Files.readString(xml);
    assertTrue(x.contains("<failure message=\"expected pass, TLC found AcceptedIsDurable\""), x);
  }

  @Test
  void unknownModelIsAOneLineError() {
    assertEquals(2, run("check", "--specs-dir", specs(), "no-such-model"));
    String e = err.toString();
    assertTrue(e.startsWith("deliverycheck spec check: unknown model no-such-model (known: exactly-once,"), e);
    assertEquals(1, e.strip().lines().count(), e);
  }

  @Test
  void missingSpecsDirIsAOneLineError(@TempDir Path tmp) {
    assertEquals(2, run("check", "--specs-dir", tmp.resolve("nowhere").toString()));
    assertTrue(err.toString().contains("--specs-dir " + tmp.resolve("nowhere") + ": no models.json there"), err.toString());
  }

  @Test
  void tlcThatCannotRunIsExitThree(@TempDir Path tmp) throws Exception {
    assertEquals(3, run("check", "--specs-dir", specs(), "--tla2tools", tmp.resolve("missing.jar").toString(),
        "bug-ack-before-commit"));
    assertTrue(err.toString().contains("missing.jar: no such file"), err.toString());

    Path junk = Files.writeString(tmp.resolve("junk.jar"), "not a jar");
    err.getBuffer().setLength(0);
    assertEquals(3, run("check", "--specs-dir", specs(), "--tla2tools", junk.toString(), "bug-ack-before-commit"));
    assertTrue(err.toString().contains("TLC did not start"), err.toString());
  }

  @Test
  void listShowsEveryModelWithItsExpectation() {
    assertEquals(0, run("list", "--specs-dir", specs()));
    String o = out.toString();
    assertTrue(o.contains("at-most-once"), o);
    assertTrue(o.lines().anyMatch(l -> l.startsWith("nightly-exactly-once") && l.contains("nightly")), o);
  }

  @Test
  void specAloneAsksForASubcommand() {
    assertEquals(2, run());
    assertTrue(err.toString().contains("Missing subcommand"), err.toString());
  }

  @Test
  void traceOfABugHistoryIsNotExplainedExitOne() {
    String h = Specs.dir().resolve("traces/bug-gateway-write-is-delivered.jsonl").toString();
    assertEquals(1, run("trace", "--specs-dir", specs(), h, "--guarantee", "exactly-once"), out + "\n" + err);
    assertTrue(out.toString().contains("NOT EXPLAINED: 1 part(s) are produced by no behaviour of the spec in exactly-once mode"),
        out.toString());
    assertTrue(out.toString().contains("the first step the spec cannot explain: line 5 of " + h
        + ": receipt delivered of m1 for u2/phone"), out.toString());
  }

  @Test
  void traceBadInputIsExitTwo(@TempDir Path tmp) {
    assertEquals(2, run("trace", "--specs-dir", specs(), tmp.resolve("none.jsonl").toString()));
    assertTrue(err.toString().contains("none.jsonl: no such file"), err.toString());
    err.getBuffer().setLength(0);
    String h = Specs.dir().resolve("traces/ok-exactly-once.jsonl").toString();
    assertEquals(2, run("trace", "--specs-dir", specs(), h, "--guarantee", "maybe-once"));
    assertTrue(err.toString().contains("--guarantee maybe-once: choose"), err.toString());
    err.getBuffer().setLength(0);
    assertEquals(2, run("trace", "--specs-dir", specs(), h, "--message", "m9"));
    assertTrue(err.toString().contains("--message m9: no part of"), err.toString());
    err.getBuffer().setLength(0);
    Path bad = tmp.resolve("bad.jsonl");
    try {
      Files.writeString(bad, "{\"index\":0,\"time\":0,\"process\":\"c1\",\"type\":\"ok\",\"f\":\"send\",\"value\":{\"id\":\"m1\"}}\n");
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
    assertEquals(2, run("trace", "--specs-dir", specs(), bad.toString()));
    assertTrue(err.toString().startsWith("deliverycheck spec trace: " + bad + ":1: completion without invocation"), err.toString());
    assertEquals(1, err.toString().strip().lines().count(), err.toString());
  }

  @Test
  void traceOfACorrectHistoryIsExplainedAndShowsItsBehaviour() {
    String h = Specs.dir().resolve("traces/ok-exactly-once.jsonl").toString();
    assertEquals(0, run("trace", "--specs-dir", specs(), h, "--message", "m2", "--show-trace"), out + "\n" + err);
    String o = out.toString();
    assertTrue(o.contains("EXPLAINED: a behaviour of the spec produces every part"), o);
    assertTrue(o.contains("message m2 on u2/phone (in the spec's names"), o);
    assertTrue(o.contains("u2/phone is \"d1\""), o);
    assertTrue(o.contains("txn[<<\"m\", 2>>] = \"committed\""), o);
  }
}
