package io.deliverycheck.checker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.deliverycheck.checker.history.HistoryFormatException;
import io.deliverycheck.checker.history.HistoryReader;
import io.deliverycheck.checker.history.Op;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fast path of {@code DeliveryChecker.check(Path)} and {@code HistoryReader} + {@code accept}
 * must accept and reject the same files: a valid history is mutated at random (a character
 * dropped, doubled or changed, a line dropped, doubled or swapped, the file cut) and both must
 * give the same results.json or fail on the same line.
 */
class ReadersAgreeTest {
  private static final long SEED = 20261122L;
  private static final int MUTATIONS = 400;

  @TempDir Path dir;

  @Test
  void bothPathsAgreeOnRandomlyDamagedHistories() throws Exception {
    Path good = dir.resolve("good.jsonl");
    SyntheticHistory.write(good, new SyntheticHistory.Config(SEED, 300, 6, 2, 1, 1, 1, 1, true));
    byte[] base = Files.readAllBytes(good);
    SplittableRandom r = new SplittableRandom(SEED);
    int rejected = 0;
    for (int i = 0; i < MUTATIONS; i++) {
      String mutated = mutate(new String(base, StandardCharsets.UTF_8), r);
      Path f = dir.resolve("m.jsonl");
      Files.writeString(f, mutated);
      String why = "seed " + SEED + ", mutation " + i;
      Outcome fast = fast(f);
      Outcome slow = slow(f);
      assertEquals(fast.line, slow.line, why + ": fast says " + fast + ", reader+accept says " + slow);
      if (fast.line == -1) {
        assertEquals(fast.json, slow.json, why);
      } else {
        rejected++;
      }
    }
    System.out.println(rejected + " of " + MUTATIONS + " damaged histories rejected by both readers");
  }

  private record Outcome(long line, JsonNode json, String message) {}

  private static Outcome fast(Path f) throws Exception {
    try {
      return new Outcome(-1, DeliveryChecker.check(f, Guarantee.EXACTLY_ONCE).toJson(), null);
    } catch (HistoryFormatException e) {
      return new Outcome(e.line(), null, e.getMessage());
    }
  }

  private static Outcome slow(Path f) throws Exception {
    DeliveryChecker c = new DeliveryChecker(Guarantee.EXACTLY_ONCE);
    try (HistoryReader hr = HistoryReader.open(f)) {
      for (Op op; (op = hr.next()) != null; ) {
        try {
          c.accept(op);
        } catch (IllegalArgumentException e) {
          return new Outcome(op.index() + 1, null, e.getMessage());
        }
      }
    } catch (HistoryFormatException e) {
      return new Outcome(e.line(), null, e.getMessage());
    }
    return new Outcome(-1, c.finish().toJson(), null);
  }

  private static String mutate(String s, SplittableRandom r) {
    String[] lines = s.split("\n", -1);
    int n = lines.length - 1; // the text ends with a newline
    int l = 1 + r.nextInt(n - 1); // keep the roster line
    switch (r.nextInt(7)) {
      case 0: { // drop a character
        String x = lines[l];
        int k = r.nextInt(x.length());
        lines[l] = x.substring(0, k) + x.substring(k + 1);
        break;
      }
      case 1: { // double a character
        String x = lines[l];
        int k = r.nextInt(x.length());
        lines[l] = x.substring(0, k + 1) + x.substring(k);
        break;
      }
      case 2: { // change a character to one of JSON's own
        String x = lines[l];
        int k = r.nextInt(x.length());
        char c = "{}[]\",:0123456789aefklnorstu ".charAt(r.nextInt(29));
        lines[l] = x.substring(0, k) + c + x.substring(k + 1);
        break;
      }
      case 3: // drop a line
        lines[l] = null;
        break;
      case 4: // double a line
        lines[l] = lines[l] + "\n" + lines[l];
        break;
      case 5: { // swap two neighbouring lines
        if (l + 1 < n) {
          String t = lines[l];
          lines[l] = lines[l + 1];
          lines[l + 1] = t;
        }
        break;
      }
      default: { // cut the file
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < l; i++) {
          b.append(lines[i]).append('\n');
        }
        return b.append(lines[l], 0, r.nextInt(lines[l].length())).toString();
      }
    }
    StringBuilder b = new StringBuilder();
    for (String x : lines) {
      if (x != null) {
        b.append(x).append('\n');
      }
    }
    return b.substring(0, b.length() - 1);
  }
}
