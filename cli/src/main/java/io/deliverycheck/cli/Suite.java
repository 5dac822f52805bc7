package io.deliverycheck.cli;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.deliverycheck.checker.DeliveryChecker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * A test suite file (e.g. suites/nightly.json; format in docs/ci.md), validated strictly: unknown
 * keys, unknown {@code test} flags, bad expectations and duplicate names are errors naming the
 * file and the JSON path ({@link SuiteException}). Entries with {@code seeds} expand to one entry
 * per seed, named {@code <name>-seed<N>}.
 */
record Suite(String name, String description, List<Entry> entries) {
  static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");
  /** Flags the suite sets itself, so entries may not. */
  static final Set<String> MANAGED = Set.of("name", "results", "json", "quiet", "runs", "help", "version");
  static final Set<String> EXPECT = Set.of("valid", "invalid", "unknown");

  /**
   * One test of the suite.
   *
   * @param args the {@code deliverycheck test} arguments (without --name/--results/--json/--quiet)
   * @param outcomes outcome names (underscored) that must be among the violations when invalid
   */
  record Entry(String name, String description, List<String> args, String expect, List<String> outcomes,
      long timeoutS) {}

  /** Malformed suite file: the message is {@code FILE: where: what is wrong}. */
  static final class SuiteException extends Exception {
    SuiteException(String message) {
      super(message, null, false, false);
    }
  }

  static Suite load(Path file) throws SuiteException {
    if (!Files.isRegularFile(file)) throw new SuiteException(file + ": no such suite file");
    JsonNode root;
    try {
      ObjectMapper m = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
      root = m.readTree(file.toFile());
    } catch (JsonParseException e) {
      var loc = e.getLocation();
      throw new SuiteException(file + ":" + loc.getLineNr() + ":" + loc.getColumnNr() + ": not valid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new SuiteException(file + ": cannot read: " + e.getMessage());
    }
    return new Parser(file).suite(root);
  }

  /** The long option names of {@code deliverycheck test} (without dashes) and whether each takes a value. */
  static Map<String, Boolean> testFlags() {
    Map<String, Boolean> flags = new LinkedHashMap<>();
    for (OptionSpec o : new CommandLine(new TestCommand()).getCommandSpec().options()) {
      for (String n : o.names()) {
        if (n.startsWith("--")) flags.put(n.substring(2), o.arity().max() > 0);
      }
    }
    return flags;
  }

  private static final class Parser {
    private final Path file;
    private final Map<String, Boolean> flags = testFlags();

    Parser(Path file) {
      this.file = file;
    }

    private SuiteException error(String where, String what) {
      return new SuiteException(file + ": " + where + ": " + what);
    }

    Suite suite(JsonNode root) throws SuiteException {
      if (!root.isObject()) throw error("top level", "must be an object {\"name\": ..., \"tests\": [...]}");
      keys(root, "top level", Set.of("name", "description", "defaults", "timeout_s", "tests"));
      String name = name(root.get("name"), "name");
      String description = optionalText(root, "description", "description");
      JsonNode defaults = root.path("defaults");
      if (!defaults.isMissingNode() && !defaults.isObject()) throw error("defaults", "must be an object of test flags");
      long timeout = timeout(root, "timeout_s", 1800);
      JsonNode tests = root.get("tests");
      if (tests == null || !tests.isArray() || tests.isEmpty()) {
        throw error("tests", "must be a non-empty array of {\"name\", \"flags\", \"expect\"} objects");
      }
      List<Entry> entries = new ArrayList<>();
      Set<String> names = new HashSet<>();
      for (int i = 0; i < tests.size(); i++) {
        for (Entry e : entry(tests.get(i), "tests[" + i + "]", defaults, timeout)) {
          if (!names.add(e.name())) throw error("tests[" + i + "]", "duplicate test name \"" + e.name() + "\"");
          entries.add(e);
        }
      }
      return new Suite(name, description, entries);
    }

    private List<Entry> entry(JsonNode t, String at, JsonNode defaults, long suiteTimeout) throws SuiteException {
      if (!t.isObject()) throw error(at, "must be an object");
      keys(t, at, Set.of("name", "description", "flags", "seeds", "expect", "outcomes", "timeout_s"));
      String name = name(t.get("name"), at + ".name");
      at = at + " (" + name + ")";
      String description = optionalText(t, "description", at + ".description");
      JsonNode expectNode = t.get("expect");
      if (expectNode == null || !expectNode.isTextual() || !EXPECT.contains(expectNode.asText())) {
        throw error(at + ".expect", "must be \"valid\", \"invalid\" or \"unknown\""
            + (expectNode == null ? " (missing)" : ", found " + expectNode));
      }
      String expect = expectNode.asText();
      List<String> outcomes = outcomes(t.path("outcomes"), at + ".outcomes", expect);
      long timeout = timeout(t, "timeout_s", suiteTimeout);
      Map<String, JsonNode> merged = new LinkedHashMap<>();
      flagsOf(defaults, "defaults", merged);
      JsonNode own = t.path("flags");
      if (!own.isMissingNode() && !own.isObject()) throw error(at + ".flags", "must be an object of test flags");
      flagsOf(own, at + ".flags", merged);
      JsonNode seeds = t.path("seeds");
      List<Entry> out = new ArrayList<>();
      if (seeds.isMissingNode()) {
        out.add(new Entry(name, description, checked(at, args(merged)), expect, outcomes, timeout));
        return out;
      }
      if (own.has("seed")) throw error(at, "give either flags.seed or seeds, not both");
      if (!seeds.isArray() || seeds.isEmpty()) throw error(at + ".seeds", "must be a non-empty array of integers");
      for (JsonNode s : seeds) {
        if (!s.canConvertToLong() || !s.isIntegralNumber()) throw error(at + ".seeds", "must hold integers, found " + s);
        Map<String, JsonNode> withSeed = new LinkedHashMap<>(merged);
        withSeed.put("seed", s);
        out.add(new Entry(name + "-seed" + s.asLong(), description, checked(at, args(withSeed)), expect, outcomes, timeout));
      }
      return out;
    }

    /** Parses the arguments as `deliverycheck test` would, so a bad value fails now, not mid-suite. */
    private List<String> checked(String at, List<String> args) throws SuiteException {
      TestCommand t = new TestCommand();
      try {
        new CommandLine(t).parseArgs(args.toArray(String[]::new));
        if (t.guarantee != null) {
          TestCommand.parseGuarantee(t.guarantee);
        }
        io.deliverycheck.environments.nemesis.NemesisConfig.parse(t.nemesis);
      } catch (CommandLine.ParameterException | IllegalArgumentException e) {
        throw error(at + ".flags", e.getMessage());
      }
      return args;
    }

    private void flagsOf(JsonNode obj, String at, Map<String, JsonNode> into) throws SuiteException {
      if (obj.isMissingNode()) return;
      Iterator<Map.Entry<String, JsonNode>> it = obj.fields();
      while (it.hasNext()) {
        var e = it.next();
        String flag = e.getKey();
        if (MANAGED.contains(flag)) {
          throw error(at + "." + flag, "the suite sets --" + flag + " itself; remove it");
        }
        Boolean takesValue = flags.get(flag);
        if (takesValue == null) {
          throw error(at + "." + flag, "unknown flag of `deliverycheck test` (known: "
              + String.join(", ", new TreeSet<>(flags.keySet())) + ")");
        }
        JsonNode v = e.getValue();
        boolean ok = takesValue ? v.isTextual() || v.isNumber() || (v.isArray() && !v.isEmpty() && allScalars(v)) : v.isBoolean();
        if (!ok) {
          throw error(at + "." + flag, takesValue
              ? "must be a string, a number or an array of them, found " + v
              : "is a switch: must be true or false, found " + v);
        }
        into.put(flag, v);
      }
    }

    private static boolean allScalars(JsonNode a) {
      for (JsonNode x : a) if (!x.isTextual() && !x.isNumber()) return false;
      return true;
    }

    private static List<String> args(Map<String, JsonNode> flags) {
      List<String> args = new ArrayList<>();
      flags.forEach((flag, v) -> {
        if (v.isBoolean()) {
          if (v.booleanValue()) args.add("--" + flag);
        } else if (v.isArray()) {
          for (JsonNode x : v) {
            args.add("--" + flag);
            args.add(x.asText());
          }
        } else {
          args.add("--" + flag);
          args.add(v.asText());
        }
      });
      return args;
    }

    private List<String> outcomes(JsonNode o, String at, String expect) throws SuiteException {
      List<String> out = new ArrayList<>();
      if (o.isMissingNode()) return out;
      if (!expect.equals("invalid")) throw error(at, "only an entry that expects \"invalid\" can name outcomes");
      if (!o.isArray()) throw error(at, "must be an array of outcome names, e.g. [\"lost\"]");
      for (JsonNode x : o) {
        String n = x.asText("").toLowerCase(Locale.ROOT).replace('-', '_');
        if (!x.isTextual() || !DeliveryChecker.OUTCOMES.contains(n)) {
          throw error(at, "unknown outcome " + x + " (known: " + String.join(", ", DeliveryChecker.OUTCOMES).replace('_', '-') + ")");
        }
        out.add(n);
      }
      return out;
    }

    private String name(JsonNode n, String at) throws SuiteException {
      if (n == null || !n.isTextual() || !NAME.matcher(n.asText()).matches()) {
        throw error(at, "must be a name of letters, digits, '.', '_' or '-' (it names the results folder)"
            + (n == null ? " (missing)" : ", found " + n));
      }
      return n.asText();
    }

    private String optionalText(JsonNode o, String key, String at) throws SuiteException {
      JsonNode n = o.get(key);
      if (n == null) return null;
      if (!n.isTextual()) throw error(at, "must be a string");
      return n.asText();
    }

    private long timeout(JsonNode o, String key, long dflt) throws SuiteException {
      JsonNode n = o.get(key);
      if (n == null) return dflt;
      if (!n.isIntegralNumber() || n.asLong() < 1) throw error(key, "must be a positive number of seconds, found " + n);
      return n.asLong();
    }

    private void keys(JsonNode o, String at, Set<String> allowed) throws SuiteException {
      Iterator<String> it = o.fieldNames();
      while (it.hasNext()) {
        String k = it.next();
        if (!allowed.contains(k)) {
          throw error(at, "unknown key \"" + k + "\" (allowed: " + String.join(", ", new TreeSet<>(allowed)) + ")");
        }
      }
    }
  }
}
