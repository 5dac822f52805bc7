package io.deliverycheck.checker.runner;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.CheckResult;
import io.deliverycheck.checker.DeliveryChecker;
import io.deliverycheck.checker.history.Op;
import io.deliverycheck.checker.history.Recorder;
import io.deliverycheck.checker.report.Report;
import io.deliverycheck.checker.report.ResultsIndex;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs one {@link TestSpec}. The phases, in order:
 *
 * <ol>
 *   <li>create {@code results/<name>/<timestamp>/}, make the environment (not yet started) and
 *       write {@code test.json} (configuration, seed, and the drain: the system's retry horizon and
 *       the effective quiet period and cap); open the recorder on {@code history.jsonl};
 *   <li>set up the environment (database and nodes, healthy) and record its {@code system} op (what
 *       the system claims for these settings), then the workload: it registers the roster's
 *       devices, records the {@code roster} op and connects devices; a failure here is a
 *       {@link SetupException} (nothing is judged, {@code error.txt} and {@code logs/} are kept);
 *   <li>start scraping metrics ({@code metrics.jsonl}), make the nemesis from the set-up environment
 *       and the seed, save its plan ({@code faults.json}), start the fault schedule and the workload;
 *   <li>at the time limit stop generating sends, stop the faults and heal everything
 *       ({@link Nemesis#healAll}), wait until the nodes are healthy again
 *       ({@link Environment#awaitHealthy}), then wait (bounded) for open sends to complete;
 *   <li>drain: wait until no receive came for the quiet period, always (also when everything owed
 *       has arrived: a late redelivery is a duplicate to see), or until the cap; the quiet period is
 *       at least the system's {@link Environment#retryHorizon}, and the cap at least the quiet
 *       period plus the horizon;
 *   <li>close the workload (no op can follow), then record {@code drained}
 *       {@code {"quiet_ms":..,"healed":..,"reason":..}}: {@code healed} is false when a fault could
 *       not be undone or a node was not healthy again, and the history then says so;
 *   <li>tear down: close the scraper, the recorder and the environment; collect logs;
 *   <li>check the history with {@link DeliveryChecker}; write {@code results.json} with the
 *       runner's {@code run} block (seed, drain, harness errors, workload counters, the storm
 *       signals of the scraped metrics: {@link StormSignals}); point
 *       {@code latest} at the run; write the report.
 * </ol>
 *
 * <p>The runner records the truth about itself: every failure of the harness (the nemesis not
 * built, a fault not applied or not healed, a node not healthy after healing, sends still open,
 * the metrics scraper failing, anything written to {@code error.txt}) is an {@code error} op
 * {@code {"what": "...", "message": "..."}} of process {@code harness} in the history (a fault the
 * nemesis could not apply or heal is instead its nemesis op with an {@code error}), and is listed
 * in {@link RunResult#harnessErrors}. A failure after the history was closed (tearing down) goes to
 * {@code error.txt} and the result only. Nothing thrown is dropped: after set-up the run goes on to
 * heal, drain and judge what was observed. The environment is closed whatever happens.
 */
public final class Runner {
  /** The process of the runner's own ops: {@code system}, {@code roster} (by the workload), {@code error}, {@code drained}. */
  public static final String HARNESS = "harness";
  private static final Duration HEALTHY_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration OPEN_SENDS_TIMEOUT = Duration.ofSeconds(30);

  private Runner() {}

  /** Runs the test; blocks until the verdict is written. */
  public static RunResult run(TestSpec spec) throws SetupException, IOException {
    return new Execution(spec).run();
  }

  /**
   * The drain's bounds for a system whose {@link Environment#retryHorizon} is {@code horizon}: the
   * quiet period is the longer of the requested one and the horizon (a shorter one could end before
   * a correct system hands an unacknowledged message out again); the cap is at least the quiet
   * period plus the horizon (room for one more redelivery, then a whole quiet period).
   */
  public record Drain(Duration quiet, Duration cap, Duration horizon, Duration requestedQuiet, Duration requestedCap) {

    public static Drain of(Duration quiet, Duration cap, Duration horizon) {
      Duration h = horizon == null || horizon.isNegative() ? Duration.ZERO : horizon;
      Duration q = max(quiet, h);
      return new Drain(q, max(cap, q.plus(h)), h, quiet, cap);
    }

    private static Duration max(Duration a, Duration b) {
      return a.compareTo(b) >= 0 ? a : b;
    }

    ObjectNode toJson() {
      ObjectNode d = JsonNodeFactory.instance.objectNode();
      d.put("quiet_ms", quiet.toMillis());
      d.put("cap_ms", cap.toMillis());
      d.put("retry_horizon_ms", horizon.toMillis());
      d.put("requested_quiet_ms", requestedQuiet.toMillis());
      d.put("requested_cap_ms", requestedCap.toMillis());
      return d;
    }
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
    private Drain drain;
    private final StringBuilder errors = new StringBuilder();
    /** Failures after the history was closed: in error.txt and the result, not in the history. */
    private final List<String> late = new ArrayList<>();
    /** The harness-error ops of the history, captured when it is closed. */
    private List<Op> recorded = List.of();
    private boolean historyOpen;
    private boolean workloadClosed;
    private boolean healed = true;
    private String drainReason;
    private ObjectNode drainJson;
    /** The system claims receipts (its {@code system} op): the drain also waits for every sender to be told. */
    private boolean receiptsClaimed;

    Execution(TestSpec spec) {
      this.spec = spec;
    }

    RunResult run() throws SetupException, IOException {
      LocalDateTime started = LocalDateTime.now();
      folder = RunFolder.create(spec.resultsRoot(), spec.name(), started);
      Path history = folder.file("history.jsonl");
      try {
        env = spec.environment().create(spec.seed());
        drain = Drain.of(spec.quiet(), spec.drainCap(), env.retryHorizon());
      } catch (Exception e) {
        folder.writeJson("test.json", testJson(OffsetDateTime.now()));
        fail("setup", "making the environment", e);
        tearDownEnvironment();
        writeErrors();
        throw new SetupException("making the environment failed", folder.dir(), e);
      }
      folder.writeJson("test.json", testJson(OffsetDateTime.now()));
      rec = Recorder.open(history);
      historyOpen = true;
      faults = new FaultTracker(history);
      try {
        startTicker();
        setUp();
        try {
          runFaultsAndWorkload();
        } catch (RuntimeException e) {
          fail("workload", "running the workload and the faults", e);
          workload.stopGenerating();
          healAndCheck();
        }
        drainUntilQuiet();
        closeWorkload();
        recordDrained();
      } finally {
        closeWorkload();
        closeScraper();
        closeRecorder();
        tearDownEnvironment();
        if (ticker != null) {
          ticker.shutdownNow();
        }
        writeErrors();
      }
      phase.set("checking");
      CheckResult result;
      try {
        result = DeliveryChecker.check(history, spec.guarantee());
      } catch (Exception e) {
        fail("checker", "checking the history", e);
        writeErrors();
        throw new IOException("could not check " + history + ": " + e.getMessage(), e);
      }
      WorkloadStats stats = workload == null ? WorkloadStats.EMPTY : workload.stats();
      List<String> steps = harnessErrorLines();
      ObjectNode json = result.toJson();
      ObjectNode run = json.putObject("run");
      run.put("seed", spec.seed());
      run.put("drain", drainReason);
      run.set("drain_detail", drainJson);
      ArrayNode he = run.putArray("harness_errors");
      steps.forEach(he::add);
      run.set("workload", stats.toJson());
      try {
        StormSignals storm = StormSignals.read(folder.file("metrics.jsonl"), result.count("delivered"));
        if (storm != null) {
          run.set("storm", storm.toJson());
        }
      } catch (IOException | RuntimeException e) {
        System.err.println("deliverycheck: could not summarise " + folder.file("metrics.jsonl") + ": " + e); // the verdict stands
      }
      folder.writeJson("results.json", json);
      writeErrors();
      folder.linkLatest();
      writeReport();
      return new RunResult(spec.seed(), folder.dir(), history, result, stats, drainReason, steps, late.size());
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
        env.setup(folder.dir(), rec);
        ObjectNode system = env.system();
        if (system != null) {
          rec.info(HARNESS, "system", system);
          receiptsClaimed = system.path("receipts").asBoolean(false);
        }
      } catch (Exception e) {
        fail("setup", "setting up the environment", e);
        writeErrors();
        throw new SetupException("setting up the environment failed", folder.dir(), e);
      }
      try {
        workload = spec.workload().create(spec.seed());
        workload.setup(env, rec);
        env.workloadReady();
      } catch (Exception e) {
        fail("setup", "setting up the workload", e);
        writeErrors();
        throw new SetupException("setting up the workload failed", folder.dir(), e);
      }
    }

    private void runFaultsAndWorkload() {
      try {
        scraper = MetricsScraper.start(env, rec, folder.file("metrics.jsonl"), Duration.ofSeconds(1),
            System.getenv("DELIVERYCHECK_TOKEN"), why -> fail("metrics", why, null));
      } catch (Exception e) {
        fail("metrics", "starting the metrics scraper", e);
      }
      try {
        nemesis = spec.nemesis().create(env, spec.seed(), spec.timeLimit());
      } catch (Exception e) {
        fail("nemesis", "making the nemesis (no fault was injected)", e);
        nemesis = null;
      }
      if (nemesis != null) {
        try {
          nemesis.plan().write(folder.file("faults.json"));
        } catch (Exception e) {
          fail("nemesis", "saving the fault plan as faults.json", e);
        }
      }
      phase.set("running");
      long end = System.nanoTime() + spec.timeLimit().toNanos();
      if (nemesis != null) {
        try {
          nemesis.start(env, rec);
        } catch (Exception e) {
          fail("nemesis", "starting the nemesis", e);
        }
      }
      workload.start();
      sleepUntil(end);
      workload.stopGenerating();
      healAndCheck();
      try {
        if (!workload.awaitOpenSends(OPEN_SENDS_TIMEOUT)) {
          fail("open-sends", "waiting for open sends", new IllegalStateException(
              "sends still open after " + OPEN_SENDS_TIMEOUT.toSeconds() + " s; they count as info"));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    /** Heals every fault and waits for a healthy system; {@code healed} says whether both worked. */
    private void healAndCheck() {
      phase.set("healing");
      if (nemesis != null) {
        try {
          nemesis.healAll();
        } catch (HealException e) {
          healed = false; // the stop ops with an error are in the history; add what they do not show
          for (String u : e.unrecorded()) {
            fail("heal", u, null);
          }
          if (e.unrecorded().isEmpty()) {
            note("healing the faults", e);
          }
        } catch (Exception e) {
          healed = false;
          fail("heal", "healing the faults", e);
        }
      }
      try {
        env.awaitHealthy(HEALTHY_TIMEOUT);
      } catch (Exception e) {
        healed = false;
        fail("health", "waiting for the nodes to be healthy after healing", e);
      }
    }

    /**
     * Waits for the system to finish delivering: until no receive came for the quiet period (counted
     * from the start of the drain at the earliest) and, where the system claims receipts, every owed
     * triple's sender was told a final state; or the cap. (A correct system tells a sender of a
     * message it gave up on only when its last attempt times out, which may be long after the last
     * receive: a dead-lettered poison message. Ending the drain at the quiet period would judge that
     * sender {@code unresolved}; a system that never tells it still is, at the cap.)
     */
    private void drainUntilQuiet() {
      phase.set("draining");
      long start = rec.now();
      long quiet = drain.quiet().toNanos();
      long cap = drain.cap().toNanos();
      String reason;
      WorkloadStats s;
      while (true) {
        s = workload.stats();
        long now = rec.now();
        if (now - Math.max(start, s.lastReceiveNanos()) >= quiet && (!receiptsClaimed || s.allResolved())) {
          reason = s.allDelivered() ? "all-delivered" : "quiet";
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
      drainReason = reason;
      ObjectNode v = JsonNodeFactory.instance.objectNode();
      v.put("quiet_ms", drain.quiet().toMillis());
      v.put("healed", healed);
      v.put("reason", reason);
      v.put("drain_ms", (rec.now() - start) / 1_000_000);
      v.put("retry_horizon_ms", drain.horizon().toMillis());
      v.put("cap_ms", drain.cap().toMillis());
      v.put("owed", s.owed());
      v.put("delivered", s.delivered());
      if (receiptsClaimed) {
        v.put("resolved", s.resolved());
      }
      drainJson = v;
    }

    /** The last op: after it nothing is recorded (the workload is closed first). */
    private void recordDrained() {
      ObjectNode v = drainJson.deepCopy();
      v.put("healed", healed);
      synchronized (errors) { // a failure reported meanwhile goes before drained, or after the history
        rec.info(HARNESS, "drained", v);
        historyOpen = false;
      }
    }

    private void closeWorkload() {
      if (workload != null && !workloadClosed) {
        workloadClosed = true;
        try {
          workload.close();
        } catch (Exception e) {
          fail("workload", "closing the workload", e);
        }
      }
    }

    private void closeScraper() {
      if (scraper != null) {
        scraper.close();
        scraper = null;
      }
    }

    private void tearDownEnvironment() {
      phase.set("teardown");
      if (env != null) {
        try {
          for (Path log : env.logs()) {
            folder.collectLog(log);
          }
        } catch (Exception e) {
          fail("logs", "collecting logs", e);
        }
        try {
          env.close();
        } catch (Exception e) {
          fail("teardown", "closing the environment", e);
        }
        env = null;
      }
    }

    private void closeRecorder() {
      synchronized (errors) {
        historyOpen = false;
      }
      if (rec != null) {
        try {
          rec.close();
        } catch (RuntimeException e) {
          fail("history", "closing the history", e);
        }
        recorded = rec.harnessErrors();
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
      Drain d = drain != null ? drain : Drain.of(spec.quiet(), spec.drainCap(), Duration.ZERO);
      t.put("quiet_ms", d.quiet().toMillis());
      t.put("drain_cap_ms", d.cap().toMillis());
      t.put("retry_horizon_ms", d.horizon().toMillis());
      t.set("drain", d.toJson());
      t.setAll(spec.config());
      return t;
    }

    /**
     * A harness failure: its stack goes to error.txt; while the history is open it is also an
     * {@code error} op {@code {"what", "message"}}, else it is kept for the result.
     *
     * @param what the failing step, short: {@code nemesis}, {@code heal}, {@code health}, ...
     * @param doing what the harness was doing, for a person
     * @param e the cause, or null when {@code doing} says it all
     */
    private void fail(String what, String doing, Throwable e) {
      String message = e == null ? doing : doing + ": " + oneLine(e);
      synchronized (errors) {
        errors.append(what).append(": ").append(doing);
        if (e != null) {
          StringWriter sw = new StringWriter();
          e.printStackTrace(new PrintWriter(sw));
          errors.append(": ").append(sw);
        }
        errors.append('\n');
        if (historyOpen && rec != null) {
          ObjectNode v = JsonNodeFactory.instance.objectNode();
          v.put("what", what);
          v.put("message", message);
          try {
            rec.info(HARNESS, "error", v);
            return;
          } catch (RuntimeException x) {
            // the history cannot take it: keep it for the result
          }
        }
        late.add(what + ": " + message);
      }
    }

    /** error.txt only: the failure is already in the history in another form. */
    private void note(String doing, Throwable e) {
      StringWriter sw = new StringWriter();
      e.printStackTrace(new PrintWriter(sw));
      synchronized (errors) {
        errors.append(doing).append(": ").append(sw).append('\n');
      }
    }

    /** One line per harness error: the history's, in index order, then the late ones. */
    private List<String> harnessErrorLines() {
      List<String> lines = new ArrayList<>();
      for (Op op : recorded) {
        if (op.f().equals("error")) {
          lines.add(op.value().path("what").asText("harness") + ": " + op.value().path("message").asText(""));
        } else {
          String node = op.value().path("node").asText("");
          lines.add("nemesis " + op.f() + (node.isEmpty() ? "" : " " + node) + ": " + op.error());
        }
      }
      synchronized (errors) {
        lines.addAll(late);
      }
      return lines;
    }

    private static String oneLine(Throwable e) {
      String m = e.getMessage();
      String s = e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
      int nl = s.indexOf('\n');
      return nl < 0 ? s : s.substring(0, nl);
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
