package io.deliverycheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * No false alarms, a subset: the first seed of each mode of {@code suites/no-false-alarms.json} (the
 * correct reference node under {@code --nemesis all}), 30 s instead of 60, must be valid with no
 * harness error (exit 0). The whole set is {@code bin/deliverycheck suite suites/no-false-alarms.json}.
 * Runs are kept under {@code cli/target/no-false-alarms/}.
 */
@Tag("slow")
class NoFalseAlarmsTest {
  static final Path RESULTS = Path.of("target", "no-false-alarms");

  /** The first entry (first seed) of each test of the suite, by name prefix. */
  static Map<String, Suite.Entry> firstOfEachMode() throws Exception {
    String repo = System.getProperty("deliverycheck.repo", "..");
    Suite s = Suite.load(Path.of(repo, "suites", "no-false-alarms.json"));
    Map<String, Suite.Entry> first = new LinkedHashMap<>();
    for (Suite.Entry e : s.entries()) {
      first.putIfAbsent(e.name().replaceAll("-seed\\d+$", ""), e);
    }
    return first;
  }

  @ParameterizedTest
  @ValueSource(strings = {"exactly-once-all", "at-least-once-all", "at-most-once-all"})
  void theCorrectNodeIsValidUnderEveryFault(String mode) throws Exception {
    Suite.Entry e = firstOfEachMode().get(mode);
    assertTrue(e != null, "suites/no-false-alarms.json has " + mode);
    assertEquals("valid", e.expect());
    List<String> args = new ArrayList<>(List.of("test"));
    for (int i = 0; i < e.args().size(); i++) {
      String a = e.args().get(i);
      args.add(a);
      if (a.equals("--time-limit")) {
        args.add("30");
        i++;
      }
    }
    args.addAll(List.of("--name", e.name(), "--results", RESULTS.toString(), "--quiet"));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream old = System.out;
    int code;
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      code = Main.commandLine().execute(args.toArray(String[]::new));
    } finally {
      System.setOut(old);
    }
    String said = out.toString(StandardCharsets.UTF_8);
    System.out.println("deliverycheck " + String.join(" ", args) + "\n" + said);
    assertEquals(0, code, "the correct node in " + mode + " under every fault: valid and no harness error\n" + said);
  }
}
