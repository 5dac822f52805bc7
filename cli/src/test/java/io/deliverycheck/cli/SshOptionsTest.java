package io.deliverycheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code deliverycheck test --env ssh --hosts FILE}: the option errors, each one line and exit 4, before anything runs. */
class SshOptionsTest {
  @TempDir Path dir;

  private String[] run(String... args) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    CommandLine cl = new CommandLine(new TestCommand());
    cl.setErr(new java.io.PrintWriter(new PrintStream(err), true));
    int code = cl.execute(args);
    return new String[] {Integer.toString(code), err.toString()};
  }

  @Test
  void sshNeedsAHostsFileAndAGoodOne() throws Exception {
    Path results = dir.resolve("results");
    String[] o = run("--env", "ssh", "--results", results.toString());
    assertEquals("4", o[0]);
    assertTrue(o[1].contains("--env ssh needs --hosts FILE (docs/real-hosts.md)"), o[1]);

    Path hosts = dir.resolve("hosts.json");
    Files.writeString(dir.resolve("id"), "");
    Files.writeString(dir.resolve("known"), "");
    Files.writeString(hosts, "{\"hosts\": [{\"name\": \"a\", \"address\": \"192.0.2.1\", \"user\": \"dc\", \"key\": \"id\", \"port\": 0}],"
        + " \"nodes\": {\"n1\": \"a\"}, \"known_hosts\": \"known\", \"database\": {\"host\": \"harness\", \"address\": \"192.0.2.9\"}}");
    o = run("--env", "ssh", "--hosts", hosts.toString(), "--results", results.toString());
    assertEquals("4", o[0]);
    assertTrue(o[1].contains(hosts + ": hosts[0].port: 0 must be a whole number from 1 to 65535"), o[1]);
    assertFalse(o[1].contains("Exception"), o[1]);

    Files.writeString(hosts, Files.readString(hosts).replace(", \"port\": 0", ""));
    o = run("--env", "ssh", "--hosts", hosts.toString(), "--results", results.toString());
    assertEquals("4", o[0]);
    assertTrue(o[1].contains(hosts + ": nodes: names n1 but the test runs 3 nodes (n1, n2, n3); give one host per node, or set --nodes 1"), o[1]);

    o = run("--env", "local", "--hosts", hosts.toString(), "--results", results.toString());
    assertEquals("4", o[0]);
    assertTrue(o[1].contains("--hosts is for --env ssh, not --env local"), o[1]);
    assertFalse(Files.exists(results), "nothing written for bad options");
  }
}
