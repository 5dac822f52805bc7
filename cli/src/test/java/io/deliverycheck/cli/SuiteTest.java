package io.deliverycheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SuiteTest {
  @TempDir Path tmp;

  private Path file(String json) throws Exception {
    Path f = tmp.resolve("s.json");
    Files.writeString(f, json);
    return f;
  }

  private String error(String json) throws Exception {
    Path f = file(json);
    return assertThrows(Suite.SuiteException.class, () -> Suite.load(f)).getMessage().replace(f.toString(), "s.json");
  }

  @Test
  void theNightlySuiteIsValid() throws Exception {
    Path nightly = Path.of(System.getProperty("deliverycheck.repo", ".."), "suites", "nightly.json");
    Suite s = Suite.load(nightly);
    assertEquals("nightly", s.name());
    assertTrue(s.entries().stream().anyMatch(e -> e.name().startsWith("bug-") && e.expect().equals("invalid")));
    for (String g : List.of("at-most-once", "at-least-once", "exactly-once")) {
      assertTrue(s.entries().stream().anyMatch(e -> e.args().contains(g)), g);
    }
  }

  @Test
  void theNoFalseAlarmsSuiteRunsEachModeUnderEveryFaultOnTenSeeds() throws Exception {
    Path f = Path.of(System.getProperty("deliverycheck.repo", ".."), "suites", "no-false-alarms.json");
    Suite s = Suite.load(f);
    for (String g : List.of("at-most-once", "at-least-once", "exactly-once")) {
      List<Suite.Entry> mode = s.entries().stream().filter(e -> e.args().contains(g)).toList();
      assertEquals(10, mode.size(), g);
      assertTrue(mode.stream().allMatch(e -> e.expect().equals("valid")
          && e.args().get(e.args().indexOf("--nemesis") + 1).equals("all")
          && !e.args().contains("--bug")), g);
    }
  }

  @Test
  void anEntryWithHarnessErrorsIsNotAsExpectedUnlessItsVerdictIsInvalid() {
    Suite.Entry valid = new Suite.Entry("v", null, List.of(), "valid", List.of(), 60);
    Suite.Entry invalid = new Suite.Entry("i", null, List.of(), "invalid", List.of(), 60);
    List<String> failed = List.of("nemesis start-partition: IOException: iptables");
    assertTrue(new SuiteRun.Result(valid, "valid", List.of(), null, null, 1, 0, null, List.of()).asExpected());
    assertTrue(!new SuiteRun.Result(valid, "valid", List.of(), null, null, 1, 4, null, failed).asExpected(),
        "a run whose faults did not happen proves nothing");
    assertTrue(new SuiteRun.Result(invalid, "invalid", List.of("lost"), null, null, 1, 1, null, failed).asExpected(),
        "a violation observed stands");
  }

  @Test
  void entriesExpandSeedsAndMergeDefaults() throws Exception {
    Suite s = Suite.load(file("""
        {"name": "n", "defaults": {"time-limit": 5, "env": "fake"},
         "tests": [{"name": "a", "flags": {"bug": ["no-lease", "no-backoff"], "nemesis": "kill"}, "seeds": [1, 2],
                    "expect": "invalid", "outcomes": ["false-delivered"]}]}
        """));
    assertEquals(2, s.entries().size());
    Suite.Entry e = s.entries().get(1);
    assertEquals("a-seed2", e.name());
    assertEquals(List.of("--time-limit", "5", "--env", "fake", "--bug", "no-lease", "--bug", "no-backoff",
        "--nemesis", "kill", "--seed", "2"), e.args());
    assertEquals(List.of("false_delivered"), e.outcomes());
  }

  @Test
  void badFilesAreRejectedWithWhereAndWhat() throws Exception {
    assertEquals("s.json:1:2: not valid JSON: Unexpected character ('x' (code 120)): was expecting double-quote to start field name",
        error("{x"));
    assertTrue(error("{\"name\":\"n\",\"tests\":[{\"name\":\"a\",\"flags\":{\"guarantees\":\"x\"},\"expect\":\"valid\"}]}")
        .startsWith("s.json: tests[0] (a).flags.guarantees: unknown flag of `deliverycheck test` (known: "));
    assertEquals("s.json: tests[0] (a).expect: must be \"valid\", \"invalid\" or \"unknown\", found \"ok\"",
        error("{\"name\":\"n\",\"tests\":[{\"name\":\"a\",\"expect\":\"ok\"}]}"));
    assertEquals("s.json: tests[0] (a).outcomes: only an entry that expects \"invalid\" can name outcomes",
        error("{\"name\":\"n\",\"tests\":[{\"name\":\"a\",\"expect\":\"valid\",\"outcomes\":[\"lost\"]}]}"));
    assertTrue(error("{\"name\":\"n\",\"tests\":[{\"name\":\"a\",\"expect\":\"invalid\",\"outcomes\":[\"gone\"]}]}")
        .startsWith("s.json: tests[0] (a).outcomes: unknown outcome \"gone\" (known: lost, "));
    assertEquals("s.json: tests[1]: duplicate test name \"a\"",
        error("{\"name\":\"n\",\"tests\":[{\"name\":\"a\",\"expect\":\"valid\"},{\"name\":\"a\",\"expect\":\"valid\"}]}"));
    assertEquals("s.json: tests[0] (a).flags.results: the suite sets --results itself; remove it",
        error("{\"name\":\"n\",\"tests\":[{\"name\":\"a\",\"flags\":{\"results\":\"x\"},\"expect\":\"valid\"}]}"));
    assertEquals("s.json: top level: unknown key \"test\" (allowed: defaults, description, name, tests, timeout_s)",
        error("{\"name\":\"n\",\"test\":[]}"));
    assertTrue(error("{\"name\":\"n\",\"tests\":[{\"name\":\"a\",\"flags\":{\"time-limit\":\"soon\"},\"expect\":\"valid\"}]}")
        .startsWith("s.json: tests[0] (a).flags: Invalid value for option '--time-limit': 'soon' is not an int"));
    assertTrue(error("{\"name\":\"n\",\"tests\":[{\"name\":\"a\",\"flags\":{\"nemesis\":\"meteor\"},\"expect\":\"valid\"}]}")
        .startsWith("s.json: tests[0] (a).flags: "));
    assertEquals("s.json: tests[0] (a): give either flags.seed or seeds, not both",
        error("{\"name\":\"n\",\"tests\":[{\"name\":\"a\",\"flags\":{\"seed\":1},\"seeds\":[2],\"expect\":\"valid\"}]}"));
  }

  @Test
  void theCommandExitsThreeOnABadFile() throws Exception {
    Path f = file("{\"name\":\"n\",\"tests\":[]}");
    assertEquals(3, Main.commandLine().execute("suite", f.toString(), "--dry-run"));
  }
}
