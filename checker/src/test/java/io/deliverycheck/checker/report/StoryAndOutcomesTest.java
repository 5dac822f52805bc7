package io.deliverycheck.checker.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class StoryAndOutcomesTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static HistoryScan.Row row(String process, String type, String f, String value, String node, String error)
      throws Exception {
    return new HistoryScan.Row(0, 0, process, type, f, JSON.readTree(value), node, error);
  }

  @Test
  void summaryNamesSendsReceivesPerOwedDeviceAndReceipts() throws Exception {
    JsonNode roster = JSON.readTree("{\"u2\":[\"phone\",\"laptop\"]}");
    String send = "{\"id\":\"m1\",\"to\":[\"u2\"]}";
    String s = Story.summary("m1", List.of(
        row("c1", "invoke", "send", send, "n1", null),
        row("c1", "info", "send", send, "n1", "timeout"),
        row("c1", "invoke", "send", send, "n2", null),
        row("c1", "ok", "send", send, "n2", null),
        row("d:u2/laptop", "ok", "receive", "{\"id\":\"m1\",\"recipient\":\"u2\",\"device\":\"laptop\"}", "n2", null),
        row("c1", "ok", "receipt", "{\"id\":\"m1\",\"recipient\":\"u2\",\"state\":\"accepted\"}", "n2", null)), roster);
    assertEquals("m1 to [\"u2\"]: sent 2 times (info via n1 (timeout), ok via n2); receives per device:"
        + " u2/phone \u00d70 (never), u2/laptop \u00d71; receipts u2 accepted; the sender was never told delivered,"
        + " read or failed for u2/phone, u2/laptop.", s);
  }

  @Test
  void summaryNamesTheDevicesLeftUnresolved() throws Exception {
    JsonNode roster = JSON.readTree("{\"u2\":[\"phone\",\"laptop\"],\"u3\":[\"phone\"]}");
    String send = "{\"id\":\"m1\",\"to\":[\"u2\",\"u3\"]}";
    List<HistoryScan.Row> rows = List.of(
        row("c1", "invoke", "send", send, "n1", null),
        row("c1", "ok", "send", send, "n1", null),
        row("d:u2/phone", "ok", "receive", "{\"id\":\"m1\",\"recipient\":\"u2\",\"device\":\"phone\"}", "n2", null),
        row("c1", "ok", "receipt", "{\"id\":\"m1\",\"recipient\":\"u2\",\"device\":\"phone\",\"state\":\"delivered\"}", "n2", null),
        row("c1", "ok", "receipt", "{\"id\":\"m1\",\"recipient\":\"u3\",\"state\":\"failed\"}", "n2", null));
    String s = Story.summary("m1", rows, roster, true);
    assertTrue(s.endsWith("; the sender was never told delivered, read or failed for u2/laptop."), s);
    String none = Story.summary("m1", rows.subList(0, 3), roster, false);
    assertFalse(none.contains("never told"), "no receipts and none claimed: nothing to say: " + none);
  }

  @Test
  void whatEachGuaranteeSays() {
    assertEquals("allowed", Outcomes.verdictOf("at-most-once", "lost"));
    assertEquals("forbidden", Outcomes.verdictOf("at-most-once", "duplicated"));
    assertEquals("allowed", Outcomes.verdictOf("at-least-once", "duplicated"));
    assertEquals("forbidden", Outcomes.verdictOf("at-least-once", "lost"));
    assertEquals("forbidden", Outcomes.verdictOf("exactly-once", "lost"));
    assertEquals("forbidden", Outcomes.verdictOf("exactly-once", "false_delivered"));
    assertEquals("reported", Outcomes.verdictOf("exactly-once", "recovered"));
    assertEquals("reported", Outcomes.verdictOf("exactly-once", "undelivered"));
  }

  @Test
  void whatTheClaimsDecide() throws Exception {
    JsonNode both = JSON.readTree("{\"receipts\":true,\"order\":\"per-sender\"}");
    JsonNode none = JSON.readTree("{\"receipts\":false,\"order\":\"none\"}");
    assertEquals("forbidden (receipts claimed)", Outcomes.verdictOf("exactly-once", "unresolved", both));
    assertEquals("allowed", Outcomes.verdictOf("at-most-once", "unresolved", both));
    assertEquals("reported (receipts not claimed)", Outcomes.verdictOf("at-least-once", "unresolved", none));
    assertEquals("reported (receipts not claimed)", Outcomes.verdictOf("at-least-once", "unresolved", null));
    assertEquals("forbidden (order claimed)", Outcomes.verdictOf("at-most-once", "reordered", both));
    assertEquals("reported (order not claimed)", Outcomes.verdictOf("exactly-once", "reordered", none));
    assertEquals("forbidden", Outcomes.verdictOf("exactly-once", "lost", both));
    assertTrue(Outcomes.forbidsSentence("exactly-once", both).contains("claims receipts"));
    assertFalse(Outcomes.forbidsSentence("at-most-once", both).contains("claims receipts"));
    assertTrue(Outcomes.forbidsSentence("at-most-once", both).contains("per-sender order"));
  }

  @Test
  void reproduceLineFromTestJson() throws Exception {
    JsonNode t = JSON.readTree("{\"name\":\"n\",\"seed\":5,\"guarantee\":\"exactly-once\",\"nodes\":3,\"workload\":\"chat\","
        + "\"nemesis\":[\"partition\",\"kill\"],\"time_limit_s\":20.0,\"rate\":10.0,\"users\":10,\"devices_per_user\":2,"
        + "\"bugs\":[\"no-lease\"],\"env\":\"local\"}");
    assertEquals("bin/deliverycheck test --name n --env local --nodes 3 --guarantee exactly-once --workload chat"
        + " --nemesis partition,kill --time-limit 20 --rate 10 --users 10 --devices-per-user 2 --bug no-lease --seed 5",
        ReportPage.reproduce(t));
  }
}
