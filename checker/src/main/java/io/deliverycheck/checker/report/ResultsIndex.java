package io.deliverycheck.checker.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * {@code results/index.html}: every stored run (Contract 3 folders
 * {@code results/<test-name>/<timestamp>/}), newest first, with name, start time, guarantee, seed,
 * duration, verdict and a link to its report. Reads only test.json, results.json and the tail of
 * history.jsonl of each run, so it stays fast with many runs. The runner calls {@link #write}
 * after each run; {@code deliverycheck serve} calls it on every visit of the index.
 */
public final class ResultsIndex {
  /** The index's file name inside the results folder. */
  public static final String FILE_NAME = "index.html";

  private ResultsIndex() {}

  /** One stored run as the index lists it. */
  public record Entry(String name, String folder, String started, String guarantee, String seed,
      Double durationS, String verdict, String violations, String link) {}

  /** Regenerates {@code resultsDir/index.html} atomically and returns its path. */
  public static Path write(Path resultsDir) throws IOException {
    if (!Files.isDirectory(resultsDir)) throw new IOException(resultsDir + ": no such results folder");
    List<Entry> runs = scan(resultsDir);
    Path target = resultsDir.resolve(FILE_NAME);
    Path tmp = Files.createTempFile(resultsDir, ".index", ".html.tmp");
    try {
      Files.writeString(tmp, html(resultsDir, runs), StandardCharsets.UTF_8);
      Report.readableByAll(tmp);
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
    return target;
  }

  /** Every run folder under {@code resultsDir}, newest first (by folder timestamp, then name). */
  public static List<Entry> scan(Path resultsDir) throws IOException {
    List<Entry> out = new ArrayList<>();
    try (DirectoryStream<Path> tests = Files.newDirectoryStream(resultsDir, Files::isDirectory)) {
      for (Path test : tests) {
        if (test.getFileName().toString().startsWith(".")) continue;
        try (DirectoryStream<Path> runs = Files.newDirectoryStream(test,
            p -> Files.isDirectory(p) && !Files.isSymbolicLink(p) && !p.getFileName().toString().startsWith("."))) {
          for (Path run : runs) {
            if (isRun(run)) out.add(entry(resultsDir, run));
          }
        }
      }
    }
    out.sort(Comparator.comparing(Entry::folder).thenComparing(Entry::name).reversed());
    return out;
  }

  private static boolean isRun(Path dir) {
    for (String f : List.of("results.json", "test.json", "history.jsonl", "history.jsonl.gz")) {
      if (Files.isRegularFile(dir.resolve(f))) return true;
    }
    return false;
  }

  private static Entry entry(Path resultsDir, Path run) {
    RunFolder f = new RunFolder(run);
    String rel = resultsDir.relativize(run).toString().replace('\\', '/');
    String link = Files.isRegularFile(run.resolve(Report.FILE_NAME)) ? rel + "/" + Report.FILE_NAME
        : Files.isRegularFile(run.resolve("results.json")) ? rel + "/results.json" : rel + "/";
    List<String> v = new ArrayList<>();
    f.results.path("violations").forEach(x -> v.add(x.asText()));
    return new Entry(f.name(), run.getFileName().toString(), f.test.path("started").asText(""),
        f.guarantee() == null ? "" : f.guarantee(), f.test.path("seed").asText(""), duration(f), f.verdict(),
        String.join(", ", v), link);
  }

  /** Seconds from the test's start to its last op: results.json run.duration_ms, else the history's last line. */
  private static Double duration(RunFolder f) {
    JsonNode d = f.results.path("run").path("duration_ms");
    if (d.isNumber()) return d.asDouble() / 1000.0;
    if (f.history != null && f.history.getFileName().toString().endsWith(".jsonl")) {
      try (RandomAccessFile raf = new RandomAccessFile(f.history.toFile(), "r")) {
        long len = raf.length();
        int n = (int) Math.min(len, 8192);
        byte[] buf = new byte[n];
        raf.seek(len - n);
        raf.readFully(buf);
        String[] lines = new String(buf, StandardCharsets.UTF_8).strip().split("\n");
        JsonNode last = RunFolder.JSON.readTree(lines[lines.length - 1]);
        if (last.path("time").isNumber()) return last.get("time").asLong() / 1e9;
      } catch (IOException | RuntimeException e) {
        // no duration then
      }
    }
    JsonNode limit = f.test.path("time_limit_s");
    return limit.isNumber() ? limit.asDouble() : null;
  }

  /** "2026-11-22T05:42:23.968Z" as "2026-11-22 05:42:23Z" (seconds are enough in a list). */
  static String shortTime(String iso) {
    return iso.replaceFirst("^(\\d{4}-\\d\\d-\\d\\d)T(\\d\\d:\\d\\d:\\d\\d)(\\.\\d+)?", "$1 $2");
  }

  private static String html(Path resultsDir, List<Entry> runs) {
    StringBuilder b = new StringBuilder(8192);
    b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>deliverycheck results</title><style>")
        .append(Assets.text("report.css"))
        .append("td.v{font-weight:700}td.v-valid{color:var(--ok)}td.v-invalid{color:var(--bad)}")
        .append("td.v-unknown,td.v-not-checked{color:var(--warn)}</style></head><body>\n<header><h1>deliverycheck results</h1>")
        .append("<p class=\"note\">").append(runs.size()).append(" stored runs in ")
        .append(Html.esc(resultsDir.toAbsolutePath().normalize().toString())).append(", newest first.</p></header>\n")
        .append("<section><table class=\"runs\"><thead><tr><th>test</th><th>run</th><th>started</th><th>guarantee</th>")
        .append("<th>seed</th><th>duration</th><th>verdict</th><th>violations</th><th>report</th></tr></thead><tbody>\n");
    for (Entry e : runs) {
      b.append("<tr><td>").append(Html.esc(e.name())).append("</td><td>").append(Html.esc(e.folder()))
          .append("</td><td>").append(Html.esc(shortTime(e.started()))).append("</td><td>").append(Html.esc(e.guarantee()))
          .append("</td><td class=\"num\">").append(Html.esc(e.seed())).append("</td><td class=\"num\">")
          .append(e.durationS() == null ? "" : String.format(Locale.ROOT, "%.1f s", e.durationS()))
          .append("</td><td class=\"v v-").append(e.verdict().replace(' ', '-')).append("\">")
          .append(Html.esc(e.verdict())).append("</td><td>").append(Html.esc(e.violations())).append("</td><td><a href=\"")
          .append(Html.esc(e.link())).append("\">").append(e.link().endsWith(Report.FILE_NAME) ? "report" : "files")
          .append("</a></td></tr>\n");
    }
    if (runs.isEmpty()) b.append("<tr><td colspan=\"9\">No runs yet: <code>bin/deliverycheck test</code> stores one here.</td></tr>");
    b.append("</tbody></table></section></body></html>\n");
    return b.toString();
  }
}
