package io.deliverycheck.cli;

import java.io.IOException;
import java.net.BindException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code deliverycheck serve [--port N] [--results DIR]}: browse stored runs at
 * http://127.0.0.1:N/ until Ctrl-C. Exit 3 when the folder is missing or the port is taken.
 */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Serve the results folder for browsing (index.html and every report).",
      "The index lists every run, newest first, and is regenerated on each visit.",
      "Binds 127.0.0.1 only. Ctrl-C stops it."
    },
    footer = {
      "",
      "Examples:",
      "  deliverycheck serve                  http://127.0.0.1:8088/",
      "  deliverycheck serve --port 0 --results /srv/dc/results",
      "                                       any free port, another folder"
    })
public final class ServeCommand implements Callable<Integer> {
  @Option(names = "--port", paramLabel = "N", defaultValue = "8088", description = "TCP port on 127.0.0.1; 0 picks a free one (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--results", paramLabel = "DIR", description = "Results folder (default: results/ of the repository, else ./results).")
  Path results;

  @Override
  public Integer call() throws InterruptedException {
    Path dir = results != null ? results : DeliveryTest.ResultsDir.find();
    if (!Files.isDirectory(dir)) {
      System.err.println("deliverycheck serve: --results " + dir + ": no such folder (run `deliverycheck test` first, or give --results DIR)");
      return 3;
    }
    if (port < 0 || port > 65535) {
      System.err.println("deliverycheck serve: --port " + port + ": must be 0..65535");
      return 3;
    }
    ResultsServer server;
    try {
      server = ResultsServer.start(dir, port);
    } catch (BindException e) {
      System.err.println("deliverycheck serve: --port " + port + " is in use: pick another (or --port 0 for any free port)");
      return 3;
    } catch (IOException e) {
      System.err.println("deliverycheck serve: cannot serve " + dir + ": " + e.getMessage());
      return 3;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      stopped.countDown();
    }, "deliverycheck-serve-stop"));
    System.out.println("deliverycheck serve: " + server.address() + "  (results: " + dir.toAbsolutePath().normalize()
        + "; Ctrl-C stops)");
    System.out.flush();
    stopped.await();
    return 0;
  }
}
