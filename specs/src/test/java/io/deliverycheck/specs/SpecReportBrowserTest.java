package io.deliverycheck.specs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code spec check --report} as a reader sees it: the pages are opened in Debian's headless
 * Chromium (/usr/bin/chromium, the way checker's ReportBrowserTest drives it) and the DOM the
 * browser built is checked: one lane per participant, one row per step, the violated property
 * named at the step where it breaks. Screenshots are kept in target/spec-report-screenshots/.
 * Without Chromium the test is skipped, except under CI=true, where it fails.
 */
@Tag("browser")
class SpecReportBrowserTest {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");

  @TempDir Path tmp;

  @BeforeAll
  static void needsChromium() {
    if (Files.isExecutable(CHROMIUM)) return;
    if ("true".equals(System.getenv("CI"))) {
      fail(CHROMIUM + " is absent, and CI=true: the report test must run in CI (apt-get install -y chromium)");
    }
    assumeTrue(false, "skipped: " + CHROMIUM + " is absent (apt-get install -y chromium)");
  }

  @Test
  void everyViolatedModelGetsAChartNamingThePropertyWhereItBreaks() throws Exception {
    Path report = tmp.resolve("report");
    StringWriter out = new StringWriter();
    CommandLine cl = new CommandLine(new SpecCommand());
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(out, true));
    int code = cl.execute("check", "--specs-dir", Specs.dir().toString(), "--no-trace", "--report", report.toString(),
        "bug-gateway-write-is-delivered", "order-none", "at-most-once", "exactly-once-reachable");
    assertEquals(0, code, out.toString());
    assertTrue(out.toString().contains("Report: " + report.resolve("index.html") + " (4 counterexample page(s))"), out.toString());

    // an invariant: "delivered" is logged with the push (step 5) and breaks when the sender is told it (step 7)
    String dom = dom(report.resolve("bug-gateway-write-is-delivered.html"));
    assertEquals(List.of("sender", "nodes", "store", "worker w1", "worker w2", "device d1"), lanes(dom));
    assertTrue(dom.contains("data-steps=\"6\""), "6 steps after the initial state");
    assertEquals(List.of("Send", "HandleSend", "Commit", "ClaimAndPush", "TellNext", "TellNext"), actions(dom));
    Matcher breaks = Pattern.compile("<g class=\"step breaks\" data-step=\"7\" data-action=\"TellNext\" "
        + "data-violated=\"NoFalseDelivered\">").matcher(dom);
    assertTrue(breaks.find(), "the property is named at step 7");
    assertTrue(dom.contains("socket write counted as delivered"), "the step's arrows say what happened");
    assertTrue(dom.contains("receipt delivered for m1 on d1"), "the receipt that breaks it");
    assertTrue(dom.contains("NoFalseDelivered violated here"));
    assertEquals(1, count(dom, "data-violated="), "named once, at one step");
    assertTrue(count(dom, "marker-end=\"url(#arrow)\"") >= 5, "an arrow per message");

    // a liveness property: the chart ends with the stutter where the message stays lost
    String live = dom(report.resolve("at-most-once.html"));
    assertTrue(live.contains("class=\"step breaks ending\" data-violated=\"NoLoss\""), "named at the end");
    assertTrue(live.contains("no step happens any more"), live.substring(0, 300));
    assertTrue(live.contains("class=\"arrow lost\""), "the lost push is drawn as a cut arrow");

    // per-sender order: m2 overtakes m1 on d1
    String order = dom(report.resolve("order-none.html"));
    assertTrue(order.contains("applies m2 (effect 1)") && order.contains("applies m1 (effect 1)"));
    assertTrue(order.indexOf("applies m2") < order.indexOf("applies m1"));

    String index = dom(report.resolve("index.html"));
    assertEquals(4, count(index, "<a href=\""), "a link per chart");

    Path kept = Files.createDirectories(Path.of("target", "spec-report-screenshots"));
    for (String page : List.of("bug-gateway-write-is-delivered", "order-none", "at-most-once")) {
      Path png = tmp.resolve(page + ".png");
      run(List.of("--hide-scrollbars", "--window-size=1400,1300", "--screenshot=" + png.toAbsolutePath(),
          report.resolve(page + ".html").toUri().toString()), tmp.resolve("shot.log"));
      assertTrue(Files.isRegularFile(png) && Files.size(png) > 30_000, "a screenshot with content: " + png);
      Files.copy(png, kept.resolve(page + ".png"), StandardCopyOption.REPLACE_EXISTING);
    }
  }

  String dom(Path page) throws IOException, InterruptedException {
    Path out = tmp.resolve(page.getFileName() + ".dom");
    run(List.of("--dump-dom", page.toUri().toString()), out);
    return Files.readString(out);
  }

  /** One bounded Chromium run with a fresh profile; a browser that hangs is killed with its children. */
  void run(List<String> args, Path stdout) throws IOException, InterruptedException {
    Path profile = Files.createTempDirectory(tmp, "chromium-profile");
    List<String> cmd = new ArrayList<>(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--no-first-run", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--user-data-dir=" + profile));
    cmd.addAll(args);
    Process p = new ProcessBuilder(cmd).redirectOutput(stdout.toFile()).redirectError(tmp.resolve("chromium.err").toFile()).start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
      fail("chromium did not finish within 120 s (killed pid " + p.pid() + ")");
    }
    assertEquals(0, p.exitValue(), () -> "chromium failed: " + read(tmp.resolve("chromium.err")));
  }

  static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      return e.toString();
    }
  }

  static List<String> lanes(String dom) {
    List<String> out = new ArrayList<>();
    Matcher m = Pattern.compile("<g class=\"lane\" data-lane=\"([^\"]+)\"").matcher(dom);
    while (m.find()) out.add(m.group(1));
    return out;
  }

  static List<String> actions(String dom) {
    List<String> out = new ArrayList<>();
    Matcher m = Pattern.compile("<g class=\"step[^\"]*\" data-step=\"\\d+\" data-action=\"([^\"]+)\"").matcher(dom);
    while (m.find()) out.add(m.group(1));
    return out;
  }

  static int count(String s, String what) {
    int n = 0;
    for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) n++;
    return n;
  }
}
