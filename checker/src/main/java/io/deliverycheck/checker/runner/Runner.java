package io.deliverycheck.checker.runner;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.CheckResult;
import io.deliverycheck.checker.DeliveryChecker;
import io.deliverycheck.checker.report.Report;
import io.deliverycheck.checker.report.ResultsIndex;
import io.deliverycheck.checker.history.Recorder;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs one {@link TestSpec}. The phases, in order:
 *
 * <ol>
 *   <li>create {@code results/<name>/<timestamp>/} and write {@code test.json} (configuration +
 *       seed); open the recorder on {@code history.jsonl};
 *   <li>set up the environment (database and nodes, healthy), then the workload: it registers the
 *       roster's devices, records the {@code roster} op and connects devices; a failure here is a
 *       {@link SetupException} (nothing is judged, {@code error.txt} and {@code logs/} are kept);
 *   <li>start scraping metrics ({@code metrics.jsonl}), make the nemesis from the nodes and the
 *       seed, save its plan ({@code faults.json}), start the fault schedule and the workload;
 *   <li>at the time limit stop generating sends, stop the faults and heal everything
 *       ({@link Nemesis#healAll}), then wait (bounded) for open sends to complete;
 *   <li>drain: wait until every owed delivery arrived, or no receive came for {@code quiet}, or
 *       {@code drainCap} passed; record {@code drained {"quiet_ms":..,"healed":true}} ({@code false}
 *       if healing threw: the history must not claim what did not happen);
 *   <li>tear down: close the workload, the scraper and the environment; collect logs;
 *   <li>check the history with {@link DeliveryChecker}; write {@code results.json}; point
 *       {@code latest} at the run.
 * </ol>
 *
 * Nothing thrown is dropped: an exception after set-up is written to {@code error.txt} and the
 * run goes on to heal, drain and judge what was observed (the workload itself turns client
 * exceptions into {@code info} ops). The environment is closed whatever happens.
 */
public final class Runner {
  private Runner() {}

  /** Runs the test; blocks until the verdict is written. */
  public static RunResult run(TestSpec spec) throws SetupException, IOException {
    return new Execution(spec).run();
  }

  private static final class Execution {
    private final TestSpec spec;
    private final AtomicReference<String> phase = new AtomicReference<>("setup");
    private RunFolder folder;
    private Recorder rec;
    private Environment env;
    private Workload workload;
    private Nemesis nemesis;
    private MetricsScraper scraper;
    private ScheduledExecutorService ticker;
    private FaultTracker faults;
    private final StringBuilder errors = new StringBuilder();
    private boolean healed = true;

    Execution(TestSpec spec) {
      this.spec = spec;
    }

    RunResult run() throws SetupException, IOException {
      LocalDateTime started = LocalDateTime.now();
      folder = RunFolder.create(spec.resultsRoot(), spec.name(), started);
      folder.writeJson("test.json", testJson(OffsetDateTime.now()));
      Path history = folder.file("history.jsonl");
      rec = Recorder.open(history);
      faults = new FaultTracker(history);
      String drainReason;
      try {
        startTicker();
        setUp();
        try {
          runFaultsAndWorkload();
        } catch (RuntimeException e) {
          error("running the workload and the faults", e);
          workload.stopGenerating();
          if (nemesis != null) {
            try {
              nemesis.healAll();
            } catch (Exception h) {
              healed = false;
              error("healing the faults", h);
            }
          }
        }
        drainReason = drain();
      } finally {
        tearDown();
        closeRecorder();
      }
      phase.set("checking");
      CheckResult result;
      try {
        result = DeliveryChecker.check(history, spec.guarantee());
      } catch (Exception e) {
        error("checking the history", e);
        writeErrors();
        throw new IOException("could not check " + history + ": " + e.getMessage(), e);
      }
      WorkloadStats stats = workload == null ? WorkloadStats.EMPTY : workload.stats();
      ObjectNode json = result.toJson();
      ObjectNode run = json.putObject("run");
      run.put("seed", spec.seed());
      run.put("drain", drainReason);
      run.set("workload", stats.toJson());
      folder.writeJson("results.json", json);
      writeErrors();
      folder.linkLatest();
      writeReport();
      return new RunResult(spec.seed(), folder.dir(), history, result, stats, drainReason);
    }

    /** report.html of this run and results/index.html; a failure here never changes the verdict. */
    private void writeReport() {
      phase.set("reporting");
      try {
        Report.write(folder.dir());
        ResultsIndex.write(spec.resultsRoot());
      } catch (IOException | RuntimeException e) {
        System.err.println("deliverycheck: could not write the report of " + folder.dir() + ": " + e);
      }
    }

    private void setUp() throws SetupException {
      try {
        env = spec.environment().create(spec.seed());
        env.setup(folder.dir(), rec);
      } catch (Exception e) {
        error("setting up the environment", e);
        writeErrors();
        throw new SetupException("setting up the environment failed", folder.dir(), e);
      }
      try {
        workload = spec.workload().create(spec.seed());
        workload.setup(env, rec);
      } catch (Exception e) {
        error("setting up the workload", e);
        writeErrors();
        throw new SetupException("setting up the workload failed", folder.dir(), e);
      }
    }

    private void runFaultsAndWorkload() {
      try {
        scraper = MetricsScraper.start(env, rec, folder.file("metrics.jsonl"), Duration.ofSeconds(1),
            System.getenv("DELIVERYCHECK_TOKEN"));
      } catch (Exception e) {
        error("starting the metrics scraper", e);
      }
      long end;
      try {
        nemesis = spec.nemesis().create(env.nodes(), spec.seed(), spec.timeLimit());
        nemesis.plan().write(folder.file("faults.json"));
      } catch (Exception e) {
        error("making the fault plan", e);
        nemesis = null;
      }
      phase.set("running");
      end = System.nanoTime() + spec.timeLimit().toNanos();
      if (nemesis != null) {
        try {
          nemesis.start(env, rec);
        } catch (Exception e) {
          error("starting the nemesis", e);
        }
      }
      workload.start();
      sleepUntil(end);
      workload.stopGenerating();
      phase.set("healing");
      if (nemesis != null) {
        try {
          nemesis.healAll();
        } catch (Exception e) {
          healed = false;
          error("healing the faults", e);
        }
      }
      try {
        env.awaitHealthy(Duration.ofSeconds(60));
      } catch (Exception e) {
        error("waiting for the nodes to be healthy after healing", e);
      }
      try {
        if (!workload.awaitOpenSends(Duration.ofSeconds(30))) {
          error("waiting for open sends", new IllegalStateException("sends still open after 30 s; they count as info"));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    /** Waits for the system to finish delivering; records {@code drained}; returns why it ended. */
    private String drain() {
      phase.set("draining");
      long start = rec.now();
      long quiet = spec.quiet().toNanos();
      long cap = spec.drainCap().toNanos();
      String reason;
      while (true) {
        WorkloadStats s = workload.stats();
        long now = rec.now();
        long sinceReceive = now - Math.max(start, s.lastReceiveNanos());
        if (s.allDelivered()) {
          reason = "all-delivered";
          break;
        }
        if (sinceReceive >= quiet) {
          reason = "quiet";
          break;
        }
        if (now - start >= cap) {
          reason = "cap";
          break;
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        if (Thread.currentThread().isInterrupted()) {
          reason = "interrupted";
          break;
        }
      }
      ObjectNode v = JsonNodeFactory.instance.objectNode();
      v.put("quiet_ms", spec.quiet().toMillis());
      v.put("healed", healed); // false only when healAll threw: then the history says so
      v.put("reason", reason);
      v.put("drain_ms", (rec.now() - start) / 1_000_000);
      rec.info("harness", "drained", v);
      return reason;
    }

    private void tearDown() {
      phase.set("teardown");
      if (ticker != null) {
        ticker.shutdownNow();
        ticker = null;
      }
      if (workload != null) {
        try {
          workload.close();
        } catch (Exception e) {
          error("closing the workload", e);
        }
      }
      if (scraper != null) {
        scraper.close();
        scraper = null;
      }
      if (env != null) {
        try {
          for (Path log : env.logs()) {
            folder.collectLog(log);
          }
        } catch (Exception e) {
          error("collecting logs", e);
        }
        try {
          env.close();
        } catch (Exception e) {
          error("closing the environment", e);
        }
        env = null;
      }
    }

    private void closeRecorder() {
      if (rec != null) {
        try {
          rec.close();
        } catch (RuntimeException e) {
          error("closing the history", e);
        }
        rec = null;
      }
    }

    private void startTicker() {
      ticker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "progress");
        t.setDaemon(true);
        return t;
      });
      ticker.scheduleAtFixedRate(() -> {
        try {
          Recorder r = rec;
          Workload w = workload;
          if (r == null) {
            return;
          }
          WorkloadStats st = w == null ? WorkloadStats.EMPTY : w.stats();
          spec.progress().onProgress(new Progress(phase.get(), r.now() / 1_000_000, r.size(), faults.active(), st));
        } catch (RuntimeException e) {
          // a progress listener must not stop the run
        }
      }, 1, 1, TimeUnit.SECONDS);
    }

    private ObjectNode testJson(OffsetDateTime started) {
      ObjectNode t = JsonNodeFactory.instance.objectNode();
      t.put("name", spec.name());
      t.put("started", started.toString());
      t.put("seed", spec.seed());
      t.put("guarantee", spec.guarantee().wire());
      t.put("time_limit_s", spec.timeLimit().toMillis() / 1000.0);
      t.put("quiet_ms", spec.quiet().toMillis());
      t.put("drain_cap_ms", spec.drainCap().toMillis());
      t.setAll(spec.config());
      return t;
    }

    private void error(String what, Throwable e) {
      StringWriter sw = new StringWriter();
      e.printStackTrace(new PrintWriter(sw));
      synchronized (errors) {
        errors.append(what).append(": ").append(sw).append('\n');
      }
    }

    private void writeErrors() {
      synchronized (errors) {
        if (errors.length() == 0) {
          return;
        }
        try {
          RunFolder.writeAtomically(folder.file("error.txt"), errors.toString());
        } catch (IOException e) {
          // the folder is gone; the exception already carries the cause
        }
      }
    }

    private static void sleepUntil(long deadline) {
      long left;
      while ((left = deadline - System.nanoTime()) > 0 && !Thread.currentThread().isInterrupted()) {
        LockSupport.parkNanos(left);
      }
    }
  }
}
