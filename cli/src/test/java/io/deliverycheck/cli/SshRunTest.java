package io.deliverycheck.cli;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.deliverycheck.checker.Guarantee;
import io.deliverycheck.checker.Validity;
import io.deliverycheck.checker.runner.Fault;
import io.deliverycheck.checker.runner.FaultPlan;
import io.deliverycheck.checker.runner.RunResult;
import io.deliverycheck.environments.ssh.SshTestbed;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole verification through {@code --env ssh}: three "hosts" on this machine (network namespaces
 * with their own sshd, {@link SshTestbed}), the chat workload with a partition, a kill and a pause,
 * heal, drain, check; then nothing of the run is left on the hosts. Netns tier, root only; as root it
 * fails, naming the packages, when a tool is missing.
 */
@Tag("netns")
class SshRunTest {
  @TempDir Path dir;

  @Test
  void theChatWorkloadAcrossThreeSshHostsWithAPartitionAKillAndAPauseIsValid() throws Exception {
    Assumptions.assumeTrue(SshTestbed.rootOnLinux(), "needs root on Linux");
    assertNull(SshTestbed.missingTools());
    long seed = 13;
    System.out.println("seed " + seed);
    try (SshTestbed bed = new SshTestbed(dir.resolve("bed"), 3)) {
      Path hosts = bed.hostsFile("{\"host\": \"harness\", \"address\": \"" + bed.harnessAddress() + "\"}", "");
      RunResult r = DeliveryTest.builder()
          .name("ssh")
          .seed(seed)
          .env("ssh")
          .hosts(hosts)
          .guarantee(Guarantee.EXACTLY_ONCE)
          .rate(5)
          .timeLimit(Duration.ofSeconds(24))
          .quiet(Duration.ofSeconds(3))
          // the kill last: its restart waits for a new JVM, which on a loaded machine outlasts the plan's gaps
          .faultPlan((nodes, s) -> new FaultPlan(s, List.of(
              new Fault(1000, 3000, Fault.PAUSE, null, JsonNodeFactory.instance.objectNode().put("node", nodes.get(2))),
              DeliveryTestExampleTest.partitionIsolating(nodes, s, 6000, 4000),
              new Fault(12000, 4000, Fault.KILL, null, JsonNodeFactory.instance.objectNode().put("node", nodes.get(1))))))
          .results(dir.resolve("results"))
          .run();
      System.out.println(TestCommand.verdictLine(r));
      assertEquals(Validity.VALID, r.result().valid(), r.result().summary());
      assertTrue(r.result().counts().get("sent_ok") > 20, "sends were accepted: " + r.result().counts());
      String history = Files.readString(r.history());
      for (String op : List.of("start-partition", "stop-partition", "kill", "restart", "pause", "resume")) {
        assertTrue(history.contains("\"f\":\"" + op + "\""), "fault op " + op + " recorded");
      }
      for (String line : history.split("\n")) {
        if (line.contains("\"process\":\"nemesis\"") || line.contains("\"f\":\"error\"")) {
          assertFalse(line.contains("\"error\""), "a fault failed to apply or heal, or the harness failed: " + line);
        }
      }
      assertTrue(history.contains("\"env\":\"ssh\""), "the system op names the environment");
      for (String n : List.of("n1", "n2", "n3")) {
        assertTrue(Files.size(r.runDir().resolve("logs").resolve(n + ".log")) > 0, n + ".log collected");
      }
      for (int i = 1; i <= 3; i++) {
        int host = i;
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertEquals(List.of(), bed.pidsInHost(host)));
        assertFalse(bed.inHost(i, "iptables", "-S").contains("DCI-"), "chains removed from host " + i);
      }
      if (Files.exists(bed.remoteBase())) {
        try (Stream<Path> s = Files.list(bed.remoteBase())) {
          assertEquals(List.of(), s.toList(), "run folders removed from the hosts");
        }
      }
    }
  }
}
