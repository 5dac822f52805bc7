package io.deliverycheck.checker.edn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.deliverycheck.checker.history.HistoryFormatException;
import io.deliverycheck.checker.history.Op;
import io.deliverycheck.checker.history.OpType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EdnHistoryReaderTest {
  @TempDir Path tmp;

  private List<Op> read(String edn) throws Exception {
    Path f = tmp.resolve("h.edn");
    Files.writeString(f, edn);
    List<Op> ops = new ArrayList<>();
    try (EdnHistoryReader r = EdnHistoryReader.open(f)) {
      for (Op op; (op = r.next()) != null; ) ops.add(op);
    }
    return ops;
  }

  private String error(String edn) {
    return assertThrows(HistoryFormatException.class, () -> read(edn)).getMessage()
        .replace(tmp.resolve("h.edn").toString(), "h.edn");
  }

  @Test
  void readsJepsenStyleOpsWithTagsCommentsAndNoIndex() throws Exception {
    List<Op> ops = read("""
        ; a Jepsen history
        #jepsen.history.Op{:type :invoke, :f :send, :process 3, :time 10,
                           :value {:id "m1", :key "k1", :from "u1", :to ["u2"], :attempt 1}}
        {:type :ok, :f :send, :process 3, :time 20, :value {:id "m1", :key "k1", :from "u1", :to ["u2"], :attempt 1}, :node "n1"}
        {:type :info, :f :start-partition, :process :nemesis, :time 25, :value {:partition [["n1"] #{"n2"}]}}
        {:type :ok, :f :receive, :process "d:u2/phone", :time 30, :value {:id "m1" :recipient "u2" :device "phone"}}
        #_{:type :ok :f :ignored}
        {:type :info, :f :drained, :process :harness, :time 40, :value nil, :error :none}
        """);
    assertEquals(5, ops.size());
    Op first = ops.get(0);
    assertEquals(0, first.index());
    assertEquals("c3", first.process());
    assertEquals(OpType.INVOKE, first.type());
    assertEquals("send", first.f());
    assertEquals("u2", first.value().get("to").get(0).asText());
    assertEquals(1, first.value().get("attempt").intValue());
    assertEquals("n1", ops.get(1).node());
    assertEquals("nemesis", ops.get(2).process());
    assertEquals("n2", ops.get(2).value().get("partition").get(1).get(0).asText());
    assertEquals(4, ops.get(4).index());
    assertEquals(0, ops.get(4).value().size());
    assertEquals("none", ops.get(4).error());
    assertNull(ops.get(3).node());
  }

  @Test
  void readsOneVectorOfOps() throws Exception {
    List<Op> ops = read("[{:index 0 :time 1 :type :info :f :roster :process :harness :value {:u1 [\"phone\"]}}\n"
        + " {:index 1 :time 2 :type :info :f :drained :process :harness :value {}}]\n");
    assertEquals(2, ops.size());
    assertEquals("phone", ops.get(0).value().get("u1").get(0).asText());
  }

  @Test
  void errorsNameTheFileAndLine() {
    assertEquals("h.edn:2: missing :time (integer nanoseconds since the test began)",
        error("{:type :info :f :roster :process :harness :time 0 :value {}}\n{:type :info :f :x :process 1}\n"));
    assertEquals("h.edn:1: index 3 where 0 was expected (indexes count from 0 without gaps)",
        error("{:index 3 :type :info :f :x :process 1 :time 0}"));
    assertEquals("h.edn:3: end of file inside the map opened on line 1",
        error("{:type :info :f :x\n :process 1\n"));
    assertEquals("h.edn:1: unknown type \"done\" (expected invoke, ok, fail or info)",
        error("{:type :done :f :x :process 1 :time 0}"));
    assertEquals("h.edn:1: :value must be a map (or nil), found a vector",
        error("{:type :info :f :x :process 1 :time 0 :value [1 2]}"));
    assertEquals("h.edn:1: expected an op map like {:type :invoke, :f :send, ...}, found a vector",
        error("[[1]]"));
    String pairing = error("{:type :ok :f :send :process 1 :time 0 :value {:id \"m1\"}}");
    assertEquals("h.edn:1: completion without invocation: process c1 has no open send to complete with ok", pairing);
    assertEquals("h.edn:1: bad escape \"\\q\" in a string", error("{:type \"a\\q\"}"));
    assertEquals("h.edn:2: ')' closes the map opened on line 1 (expected '}')", error("{:type :ok\n)"));
  }
}
