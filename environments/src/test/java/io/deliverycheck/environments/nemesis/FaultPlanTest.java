package io.deliverycheck.environments.nemesis;

import io.deliverycheck.checker.runner.Fault;
import io.deliverycheck.checker.runner.FaultPlan;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** faults.json as Contract 3 shows it: read, written, and refused with the file's name when bad. */
class FaultPlanTest {

    @Test
    void readsTheContractExampleAndSortsByStart(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("faults.json");
        Files.writeString(f, """
                {"seed": 1, "faults": [
                  {"at_ms": 9000, "duration_ms": 1000, "kind": "kill", "detail": {"node": "n2"}},
                  {"at_ms": 1000, "duration_ms": 2000, "kind": "partition", "shape": "halves",
                   "detail": {"partition": [["n1"], ["n2", "n3"]], "grudge": {"n1": ["n2", "n3"], "n2": ["n1"], "n3": ["n1"]}}}]}
                """);
        FaultPlan plan = FaultPlan.read(f);
        assertEquals(1, plan.seed());
        assertEquals(List.of(1000L, 9000L), plan.faults().stream().map(Fault::atMs).toList());
        assertEquals("start-partition", plan.faults().get(0).startOp());
        assertEquals("restart", plan.faults().get(1).stopOp());
        assertTrue(Grudges.fromDetail(plan.faults().get(0).detail()).cuts("n1", "n3"));
        String json = plan.toJson();
        assertFalse(json.contains("\"shape\" : null"), "no null shape: " + json);
        assertFalse(json.contains("startOp") || json.contains("endMs"), "only the contract's fields: " + json);
    }

    @Test
    void badFilesAreRefusedWithTheirName(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("nope.json");
        IOException e1 = assertThrows(IOException.class, () -> FaultPlan.read(missing));
        assertTrue(e1.getMessage().contains("nope.json"), e1.getMessage());

        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{\"seed\": 1, \"faults\": [{\"at_ms\": 0, \"duration_ms\": 1, \"kind\": \"explode\"}]}");
        IOException e2 = assertThrows(IOException.class, () -> FaultPlan.read(bad));
        assertTrue(e2.getMessage().contains("bad.json") && e2.getMessage().contains("explode"), e2.getMessage());

        Path noShape = dir.resolve("noshape.json");
        Files.writeString(noShape, "{\"seed\": 1, \"faults\": [{\"at_ms\": 0, \"duration_ms\": 1, \"kind\": \"partition\"}]}");
        IOException e3 = assertThrows(IOException.class, () -> FaultPlan.read(noShape));
        assertTrue(e3.getMessage().contains("shape"), e3.getMessage());

        Path notJson = dir.resolve("text.json");
        Files.writeString(notJson, "hello");
        assertThrows(IOException.class, () -> FaultPlan.read(notJson));
    }

    @Test
    void writeIsAtomicAndLeavesNoTempFile(@TempDir Path dir) throws Exception {
        FaultPlan plan = FaultPlans.generate(5, List.of("n1", "n2", "n3"),
                NemesisConfig.of(List.of("all"), java.time.Duration.ofMinutes(2)));
        Path f = dir.resolve("faults.json");
        plan.write(f);
        plan.write(f);
        try (var s = Files.list(dir)) {
            assertEquals(List.of(f), s.toList());
        }
        assertEquals(plan, FaultPlan.read(f));
    }
}
