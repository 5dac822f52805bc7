package io.deliverycheck.checker.cli;

import io.deliverycheck.checker.CheckResult;
import io.deliverycheck.checker.DeliveryChecker;
import io.deliverycheck.checker.Guarantee;
import io.deliverycheck.checker.SyntheticHistory;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.deliverycheck.checker.history.HistoryFormatException;
import io.deliverycheck.checker.history.LineScanner;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code deliverycheck bench checker --ops N [--keep]}: generates a realistic synthetic history of
 * about N ops with a fixed seed, checks it and prints throughput, times, file size and peak heap.
 * Targets and recorded runs: docs/benchmarks.md.
 */
@Command(
    name = "checker",
    mixinStandardHelpOptions = true,
    exitCodeOnInvalidInput = 64,
    description = {
      "Benchmark the checker on a synthetic history (fixed seed, printed):",
      "roster, sends with retries, receives, acks, receipts, nemesis ops, drained.",
      "Prints ops/s (end to end: read, parse, validate, judge), generation and check",
      "wall time, file size and peak heap. The temp file is deleted unless --keep."
    },
    footer = {
      "",
      "Example:",
      "  DELIVERYCHECK_JAVA_OPTS=-Xmx512m deliverycheck bench checker --ops 10000000"
    })
public final class BenchCheckerCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--ops", paramLabel = "N", defaultValue = "1000000", description = "About how many ops (default ${DEFAULT-VALUE}).")
  long ops;

  @Option(names = "--seed", paramLabel = "SEED", defaultValue = "42", description = "The generator's seed (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--guarantee", paramLabel = "G", defaultValue = "exactly-once", converter = CheckCommand.GuaranteeConverter.class,
      description = "Guarantee to check against (default ${DEFAULT-VALUE}).")
  Guarantee guarantee;

  @Option(names = "--gzip", description = "Write and read the history gzipped.")
  boolean gzip;

  @Option(names = "--keep", description = "Keep the generated history file (its path is printed).")
  boolean keep;

  @Option(names = "--rounds", paramLabel = "R", defaultValue = "1",
      description = "Measure the tokenizer floor and the check R times each, alternating (default ${DEFAULT-VALUE}).")
  int rounds;

  @Option(names = "--jackson", description = "Check with the Jackson reader alone (no byte scanner), for comparison.")
  boolean jackson;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    if (ops < 1) {
      spec.commandLine().getErr().println("deliverycheck bench checker: --ops must be at least 1");
      return 64;
    }
    Path file = Files.createTempFile("deliverycheck-bench-", gzip ? ".jsonl.gz" : ".jsonl");
    try {
      out.printf("machine: %d cores, load average %.1f (other processes slow the wall-time figures down)%n",
          Runtime.getRuntime().availableProcessors(),
          ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
      out.printf("generating about %,d ops, seed %d -> %s%n", ops, seed, file);
      out.flush();
      long g0 = System.nanoTime();
      SyntheticHistory.Expected exp = SyntheticHistory.write(file, SyntheticHistory.Config.realistic(seed, ops));
      double genS = (System.nanoTime() - g0) / 1e9;
      long size = Files.size(file);
      out.printf("generated %,d ops (%,d messages) in %.1f s; file %,d bytes (%.1f MB, %.0f bytes/op)%n",
          exp.ops(), exp.sent(), genS, size, size / 1e6, (double) size / exp.ops());
      out.flush();
      java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
      double bestFloor = Double.MAX_VALUE;
      double bestCheck = Double.MAX_VALUE;
      DeliveryChecker checker = null;
      CheckResult r = null;
      double checkS = 0;
      double cpuS = 0;
      long gcCount0 = 0;
      long gcMs0 = 0;
      for (int round = 1; round <= Math.max(1, rounds); round++) {
        System.gc();
        long fcpu0 = threads.getCurrentThreadCpuTime();
        long f0 = System.nanoTime();
        long tokens = tokenize(file);
        double floorS = (System.nanoTime() - f0) / 1e9;
        double floorCpu = (threads.getCurrentThreadCpuTime() - fcpu0) / 1e9;
        bestFloor = Math.min(bestFloor, floorS);
        out.printf("round %d: tokenizer floor (one thread, Jackson nextToken over every token of the file, string values"
            + " decoded): %.2f s wall, %.2f s CPU, %,.0f lines/s, %,d tokens%n", round, floorS, floorCpu,
            exp.ops() / floorS, tokens);
        out.flush();
        System.gc();
        resetPeaks();
        gcCount0 = gcCount();
        gcMs0 = gcMillis();
        long cpu0 = processCpu();
        long tcpu0 = threads.getCurrentThreadCpuTime();
        long c0 = System.nanoTime();
        checker = new DeliveryChecker(guarantee);
        try {
          r = jackson ? checker.checkFileJackson(file) : checker.checkFile(file);
        } catch (HistoryFormatException e) {
          spec.commandLine().getErr().println("deliverycheck bench checker: generated history rejected: " + e.getMessage());
          return 3;
        }
        checkS = (System.nanoTime() - c0) / 1e9;
        cpuS = (processCpu() - cpu0) / 1e9;
        double threadS = (threads.getCurrentThreadCpuTime() - tcpu0) / 1e9;
        bestCheck = Math.min(bestCheck, checkS);
        out.printf("round %d: check (%s): %.2f s wall, %.2f s CPU of this thread, %.2f s of the process; %,.0f ops/s;"
            + " ratio to the floor %.2f (floor time / check time; 1 or more: the check is at least as fast as"
            + " tokenizing)%n", round, jackson ? "Jackson reader" : "byte scanner", checkS, threadS, cpuS,
            exp.ops() / checkS, floorS / checkS);
        if (!jackson) {
          out.println("round " + round + ": " + checker.readerStats());
        }
        out.flush();
      }
      out.printf("RATIO to the tokenizer floor, best of %d round(s) each: %.2f (floor %.2f s, check %.2f s)%n",
          Math.max(1, rounds), bestFloor / bestCheck, bestFloor, bestCheck);
      long peak = peakHeap();
      out.printf("checked in %.2f s wall time: %,.0f ops/s, %.1f MB/s (end to end: read, parse, validate, judge)%n",
          checkS, exp.ops() / checkS, size / 1e6 / checkS);
      out.printf("the check used %.2f s of CPU (all threads of the process): %,.0f ops per CPU-second (the wall-time"
          + " figure drops when other processes take the cores)%n", cpuS, exp.ops() / cpuS);
      out.printf("peak heap during the check: %.1f MB (max heap %.0f MB); checker state %.1f MB"
          + " (%.1f bytes per message); GC during the check: %d collections, %d ms%n",
          peak / 1e6, Runtime.getRuntime().maxMemory() / 1e6, checker.stateBytes() / 1e6,
          (double) checker.stateBytes() / Math.max(1, exp.sent()), gcCount() - gcCount0,
          gcMillis() - gcMs0);
      out.printf("verdict: %s; counts: sent %d, sent_ok %d, owed %d, delivered %d, recovered %d, reordered %d,"
          + " unresolved %d%n", r.valid(), r.count("sent"), r.count("sent_ok"), r.count("owed"), r.count("delivered"),
          r.count("recovered"), r.count("reordered"), r.count("unresolved"));
      boolean agrees = r.count("owed") == exp.owed() && r.count("delivered") == exp.delivered()
          && r.count("sent_ok") == exp.sentOk() && r.count("recovered") == exp.recovered()
          && r.count("reordered") == exp.reordered() && r.count("unresolved") == exp.unresolved()
          && r.count("ops") == exp.ops();
      out.println(agrees ? "counts agree with the generator" : "COUNTS DISAGREE with the generator: " + exp);
      out.printf("load average at the end %.1f%n", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
      out.printf("total wall time %.1f s (generation and check)%n", (System.nanoTime() - g0) / 1e9);
      if (keep) {
        out.println("kept " + file);
      }
      out.flush();
      return agrees ? 0 : 1;
    } finally {
      if (!keep) {
        Files.deleteIfExists(file);
      }
    }
  }

  /**
   * The tokenizer floor: one Jackson parser over the whole file (inflated for .gz, buffered as the
   * checker's Jackson reader is), {@code nextToken} over every token, every string value decoded.
   */
  public static long tokenize(Path file) throws IOException {
    long tokens = 0;
    long sink = 0;
    try (InputStream in = LineScanner.openStream(file, true);
        JsonParser p = FLOOR.createParser(in)) {
      for (JsonToken t; (t = p.nextToken()) != null; ) {
        tokens++;
        if (t == JsonToken.VALUE_STRING) {
          sink += p.getTextCharacters()[p.getTextOffset()] + p.getTextLength();
        }
      }
    } catch (HistoryFormatException e) {
      throw new IOException(e.getMessage(), e);
    }
    return sink == 42 ? tokens + 1 : tokens; // keeps the decoding from being optimised away
  }

  private static final JsonFactory FLOOR = new JsonFactory();

  private static long processCpu() {
    java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean) {
      return ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime();
    }
    return ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
  }

  private static void resetPeaks() {
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      if (p.getType() == MemoryType.HEAP) {
        p.resetPeakUsage();
      }
    }
  }

  /** The sum of the heap pools' peaks since {@link #resetPeaks()} (an upper bound of the peak). */
  private static long peakHeap() {
    long sum = 0;
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      if (p.getType() == MemoryType.HEAP) {
        sum += p.getPeakUsage().getUsed();
      }
    }
    return sum;
  }

  private static long gcCount() {
    long n = 0;
    for (GarbageCollectorMXBean g : ManagementFactory.getGarbageCollectorMXBeans()) {
      n += Math.max(0, g.getCollectionCount());
    }
    return n;
  }

  private static long gcMillis() {
    long n = 0;
    for (GarbageCollectorMXBean g : ManagementFactory.getGarbageCollectorMXBeans()) {
      n += Math.max(0, g.getCollectionTime());
    }
    return n;
  }
}
