package io.deliverycheck.cli;

import io.deliverycheck.checker.edn.EdnHistoryWriter;
import io.deliverycheck.checker.history.HistoryFormatException;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code deliverycheck export --format edn HISTORY [--out FILE]}: a history as Jepsen-style EDN
 * (docs/reports.md, "EDN"), so Jepsen and Elle tooling can read it. Exit 0 written, 3 the
 * history could not be read (FILE:LINE: problem) or the output not written.
 */
@Command(
    name = "export",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = "Export a history to another tool's format (EDN for Jepsen and Elle).",
    footer = {
      "",
      "Exit codes: 0 written, 3 unreadable history or unwritable output.",
      "",
      "Examples:",
      "  deliverycheck export --format edn \\",
      "      results/default/latest/history.jsonl --out history.edn",
      "  deliverycheck export history.jsonl.gz | head      (EDN on stdout)",
      "",
      "The mapping (processes, keywords, values): docs/reports.md, \"EDN\"."
    })
public final class ExportCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "HISTORY", description = "The history to export (history.jsonl, or .jsonl.gz).")
  Path history;

  @Option(names = "--format", paramLabel = "FMT", defaultValue = "edn", description = "Output format; only edn for now (default: ${DEFAULT-VALUE}).")
  String format;

  @Option(names = "--out", paramLabel = "FILE", description = "Write here (atomically) instead of standard output.")
  Path out;

  @Option(names = "--quiet", description = "No progress line.")
  boolean quiet;

  @Option(names = "--json", description = "Print a JSON summary ({\"ops\":N,\"out\":FILE}) on stdout; needs --out.")
  boolean json;

  @Override
  public Integer call() {
    if (!format.equals("edn")) {
      throw new ParameterException(spec.commandLine(), "--format " + format + ": only edn is supported");
    }
    if (json && out == null) {
      throw new ParameterException(spec.commandLine(), "--json needs --out FILE (the EDN would mix with the JSON on stdout)");
    }
    if (!Files.isRegularFile(history)) {
      System.err.println("deliverycheck export: " + history + ": no such history file (give a results/<test>/<run>/history.jsonl)");
      return 3;
    }
    Progress progress = quiet || out == null ? null : new Progress(System.err, "export");
    try {
      long n;
      if (out == null) {
        Writer w = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16);
        n = EdnHistoryWriter.export(history, w, null);
      } else {
        Path abs = out.toAbsolutePath();
        Files.createDirectories(abs.getParent());
        Path tmp = Files.createTempFile(abs.getParent(), "." + abs.getFileName(), ".tmp");
        try {
          try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            n = EdnHistoryWriter.export(history, w, progress == null ? null : progress::ops);
          }
          Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
          Files.deleteIfExists(tmp);
        }
      }
      if (progress != null) progress.done(n + " ops written to " + out);
      if (json) System.out.println("{\"ops\":" + n + ",\"out\":" + quote(out.toString()) + "}");
      return 0;
    } catch (HistoryFormatException e) {
      if (progress != null) progress.clear();
      System.err.println("deliverycheck export: " + e.getMessage());
      return 3;
    } catch (IOException e) {
      if (progress != null) progress.clear();
      System.err.println("deliverycheck export: cannot write " + (out == null ? "standard output" : out) + ": " + e.getMessage());
      return 3;
    }
  }

  static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  /** A live progress line on a terminal (\r-updated), one line every 5 s otherwise. */
  static final class Progress {
    private final PrintStream out;
    private final String what;
    private final boolean tty = System.console() != null;
    private final long start = System.nanoTime();
    private long last;

    Progress(PrintStream out, String what) {
      this.out = out;
      this.what = what;
    }

    void ops(long n) {
      if ((n & 0x3FFF) != 0) return; // every 16384 ops
      line(String.format("%s: %,d ops", what, n));
    }

    synchronized void line(String text) {
      long now = System.nanoTime();
      long interval = tty ? 200_000_000L : 5_000_000_000L;
      if (now - last < interval) return;
      last = now;
      String t = String.format("%s  (%.0f s)", text, (now - start) / 1e9);
      if (tty) out.print("\r" + t + "   ");
      else out.println(t);
      out.flush();
    }

    void clear() {
      if (tty) out.print("\r");
    }

    void done(String text) {
      if (tty) out.print("\r");
      out.println(what + ": " + text);
    }
  }
}
