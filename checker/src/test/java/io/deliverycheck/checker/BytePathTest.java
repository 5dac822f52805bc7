package io.deliverycheck.checker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deliverycheck.checker.history.HistoryFormatException;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The byte scanner of {@code check(Path)}, on one thread and on two, against the Jackson reader
 * alone ({@code checkFileJackson}): on every file the same results.json, or the same error (file,
 * line and words). The files are synthetic histories damaged at random, also in the ways the scanner
 * hands to Jackson (whitespace, escapes, non-ASCII text, carriage returns, tabs, a byte-order mark,
 * signs, fractions and exponents), plain and gzipped, whole and cut.
 */
class BytePathTest {
  private static final long SEED = 20261202L;
  private static final int MUTATIONS = 120;

  @TempDir Path dir;

  @Test
  void theScannerAndJacksonAgreeOnDamagedAndUnusualHistories() throws Exception {
    Path good = dir.resolve("good.jsonl");
    SyntheticHistory.write(good, new SyntheticHistory.Config(SEED, 300, 6, 2, 1, 1, 1, 1, true));
    String base = Files.readString(good);
    SplittableRandom r = new SplittableRandom(SEED);
    int rejected = 0;
    for (int i = 0; i < MUTATIONS; i++) {
      String why = "seed " + SEED + ", mutation " + i;
      String text = base;
      int n = 1 + r.nextInt(3);
      for (int k = 0; k < n; k++) {
        text = mutate(text, r);
      }
      Path f = dir.resolve("m.jsonl");
      Files.writeString(f, text);
      rejected += agree(f, why) ? 0 : 1;
      if (i % 4 == 0) {
        Path gz = dir.resolve("m.jsonl.gz");
        byte[] z = gzip(text.getBytes(StandardCharsets.UTF_8));
        Files.write(gz, i % 8 == 0 ? Arrays.copyOf(z, r.nextInt(z.length)) : z); // whole, or cut anywhere
        agree(gz, why + " (gzip)");
      }
    }
    System.out.println(rejected + " of " + MUTATIONS + " damaged or unusual histories rejected by both readers");
    assertTrue(rejected > MUTATIONS / 8 && rejected < MUTATIONS * 7 / 8, rejected + " rejected: the mutations should both pass and fail");
  }

  @Test
  void theScannerTakesEveryLineTheHarnessWritesButTheHarnessOps() throws Exception {
    Path f = dir.resolve("h.jsonl");
    SyntheticHistory.Expected exp = SyntheticHistory.write(f, SyntheticHistory.Config.realistic(7, 20_000));
    DeliveryChecker c = new DeliveryChecker(Guarantee.EXACTLY_ONCE);
    CheckResult bytes = c.checkFile(f);
    assertEquals(new DeliveryChecker(Guarantee.EXACTLY_ONCE).checkFileJackson(f).toJson(), bytes.toJson());
    String stats = c.readerStats();
    // the roster and drained values are read as trees by Jackson; every other line by the scanner
    assertEquals(String.format("%,d lines by the byte scanner, %,d parsed alone by Jackson", exp.ops() - 2, 2), stats);
  }

  @Test
  void aLineLongerThanTheBufferIsReadWhole() throws Exception {
    StringBuilder roster = new StringBuilder("{\"index\":0,\"time\":0,\"process\":\"harness\",\"type\":\"info\","
        + "\"f\":\"roster\",\"value\":{");
    for (int u = 0; u < 40_000; u++) {
      roster.append(u == 0 ? "" : ",").append("\"user-").append(u).append("\":[\"phone\",\"laptop\"]");
    }
    roster.append("}}\n");
    String rest = "{\"index\":1,\"time\":1,\"process\":\"c1\",\"type\":\"invoke\",\"f\":\"send\",\"value\":{\"id\":\"m1\","
        + "\"to\":[\"user-39999\"]}}\n"
        + "{\"index\":2,\"time\":2,\"process\":\"c1\",\"type\":\"ok\",\"f\":\"send\",\"value\":{}}\n"
        + "{\"index\":3,\"time\":3,\"process\":\"d:user-39999/phone\",\"type\":\"ok\",\"f\":\"receive\","
        + "\"value\":{\"id\":\"m1\",\"recipient\":\"user-39999\",\"device\":\"phone\"}}\n"
        + "{\"index\":4,\"time\":4,\"process\":\"harness\",\"type\":\"info\",\"f\":\"drained\",\"value\":{\"healed\":true}}\n";
    assertTrue(roster.length() > 1 << 20); // longer than the 1 MB buffer
    Path f = dir.resolve("long.jsonl");
    Files.writeString(f, roster + rest);
    CheckResult r = DeliveryChecker.check(f, Guarantee.AT_LEAST_ONCE);
    assertEquals(1, r.count("lost"), r.toJson().toString());
    assertEquals(1, r.count("delivered"));
    agree(f, "a 1.2 MB roster");
    // and an error after it, reported on its line by both
    Files.writeString(f, roster + rest.replace("\"index\":3,", "\"index\":3.5,"));
    assertTrue(!agree(f, "a 1.2 MB roster, then a bad index"));
  }

  @Test
  void aDamagedLineFarIntoALargeFileIsReportedAlike() throws Exception {
    Path good = dir.resolve("large.jsonl");
    SyntheticHistory.write(good, SyntheticHistory.Config.realistic(SEED, 25_000)); // about 4 MB: several batches of about 1 MB
    String base = Files.readString(good);
    SplittableRandom r = new SplittableRandom(SEED + 1);
    for (int i = 0; i < 6; i++) {
      int at = base.indexOf('\n', base.length() / 3 + r.nextInt(base.length() * 2 / 3 - 1)) + 1;
      String text = base.substring(0, at) + mutate(base.substring(at), r);
      if (i % 3 == 0) { // an unusual but valid line before it: Jackson takes it alone, the scanner goes on
        int u = base.indexOf('\n', r.nextInt(at)) + 1;
        text = text.substring(0, u) + text.substring(u).replaceFirst(",", " ,");
      }
      Path f = dir.resolve("large-m.jsonl");
      Files.writeString(f, text);
      agree(f, "seed " + (SEED + 1) + ", large mutation " + i);
      if (i % 4 == 1) {
        Path gz = dir.resolve("large-m.jsonl.gz");
        byte[] z = gzip(text.getBytes(StandardCharsets.UTF_8));
        Files.write(gz, Arrays.copyOf(z, z.length / 2 + r.nextInt(z.length / 2)));
        agree(gz, "seed " + (SEED + 1) + ", large mutation " + i + " (gzip, cut)");
      }
    }
  }

  /** Checks {@code f} three ways (the scanner on a second thread, on this one, Jackson alone); true when all accepted it (with the same results). */
  private static boolean agree(Path f, String why) throws Exception {
    String jackson = outcome(f, 0);
    assertEquals(jackson, outcome(f, 1), why + ": the byte scanner on one thread (expected: the Jackson reader)");
    assertEquals(jackson, outcome(f, 2), why + ": the byte scanner on two threads (expected: the Jackson reader)");
    return !jackson.startsWith("error ");
  }

  private static String outcome(Path f, int how) throws Exception {
    DeliveryChecker c = new DeliveryChecker(Guarantee.EXACTLY_ONCE);
    try {
      return (how == 0 ? c.checkFileJackson(f) : c.checkFile(f, how == 2)).toJson().toString();
    } catch (HistoryFormatException e) {
      return "error " + e.getMessage();
    }
  }

  private static byte[] gzip(byte[] b) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (OutputStream z = new GZIPOutputStream(out)) {
      z.write(b);
    }
    return out.toByteArray();
  }

  private static final String[] INSERTS = {" ", "\t", "\r", "\r\n", "\n", "\u00e9", "\\", "\\n", "\"", ",", "}", "{",
      "]", "[", ":", "0", "-", ".", "e", "E+", "1", "null", "true", "\\u0041", "\u0000", "\u007f", "\uFEFF", "x", "\u2028"};

  private static String mutate(String s, SplittableRandom r) {
    int nl = s.length() <= 1 ? 0 : s.indexOf('\n', r.nextInt(s.length() - 1));
    int at = nl < 0 ? r.nextInt(s.length() + 1) : Math.min(s.length(), nl + 1 + r.nextInt(200));
    switch (r.nextInt(8)) {
      case 0: // a character of JSON, whitespace, an escape, non-ASCII text, a control character
        return s.substring(0, at) + INSERTS[r.nextInt(INSERTS.length)] + s.substring(at);
      case 1: { // drop a character
        return at < s.length() ? s.substring(0, at) + s.substring(at + 1) : s;
      }
      case 2: // an escape that Jackson reads as the same letter: the scanner must hand it over
        return s.replaceFirst("\"m(\\d)", "\"\\\\u006d$1");
      case 3: // spaces around the separators of one line
        return at < s.length() ? s.substring(0, at) + s.substring(at).replaceFirst(",", " , ").replaceFirst(":", " : ") : s;
      case 4: // a number in another form
        return s.substring(0, at) + s.substring(at).replaceFirst("\"time\":(\\d)", r.nextBoolean() ? "\"time\":$1.0"
            : r.nextBoolean() ? "\"time\":-$1" : "\"time\":0$1");
      case 5: // an op's keys in another order: value first
        return s.substring(0, at) + s.substring(at).replaceFirst("\\{\"index\":(\\d+),\"time\":(\\d+),", "{\"time\":$2,\"index\":$1,");
      case 6: // a byte-order mark at the start, or a unicode text in a value
        return r.nextBoolean() ? "\uFEFF" + s : s.replaceFirst("\"phone\"", "\"t\u00e9l\u00e9phone\"");
      default: // cut
        return s.substring(0, at);
    }
  }
}
