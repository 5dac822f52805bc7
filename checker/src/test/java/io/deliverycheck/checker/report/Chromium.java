package io.deliverycheck.checker.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's headless Chromium for tests that look at a page as a person would. Each call uses a
 * fresh profile, no network services, and is bounded: a browser that hangs is killed by PID,
 * with its child processes.
 */
final class Chromium {
  static final Path BINARY = Path.of(System.getProperty("deliverycheck.chromium", "/usr/bin/chromium"));
  static final long TIMEOUT_S = 90;

  private Chromium() {}

  static boolean available() {
    return Files.isExecutable(BINARY);
  }

  /** Under CI ({@code CI=true}, as .ci/run sets it) a browser test must run: a missing Chromium fails it. */
  static boolean required() {
    return "true".equalsIgnoreCase(System.getenv("CI"));
  }

  /** The page's DOM after its scripts ran (bounded virtual time). */
  static String dumpDom(Path page, Path work) throws IOException, InterruptedException {
    Path out = work.resolve("dom.html");
    run(work, out, "--virtual-time-budget=15000", "--dump-dom", page.toUri().toString());
    return Files.readString(out);
  }

  /** A PNG screenshot of the page at the given window size. */
  static void screenshot(Path page, Path png, Path work, int width, int height) throws IOException, InterruptedException {
    run(work, work.resolve("screenshot.log"), "--virtual-time-budget=15000", "--hide-scrollbars",
        "--window-size=" + width + "," + height, "--screenshot=" + png.toAbsolutePath(), page.toUri().toString());
    if (!Files.isRegularFile(png)) throw new IOException("chromium wrote no screenshot " + png);
  }

  private static void run(Path work, Path stdout, String... args) throws IOException, InterruptedException {
    Path profile = Files.createTempDirectory(work, "chromium-profile");
    List<String> cmd = new ArrayList<>(List.of(BINARY.toString(), "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--no-first-run", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--user-data-dir=" + profile));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectOutput(stdout.toFile())
        .redirectError(work.resolve("chromium.err").toFile()).start();
    if (!p.waitFor(TIMEOUT_S, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
      throw new IOException("chromium did not finish within " + TIMEOUT_S + " s (killed pid " + p.pid() + ")");
    }
    if (p.exitValue() != 0) {
      throw new IOException("chromium exited " + p.exitValue() + ": see " + work.resolve("chromium.err"));
    }
  }
}
