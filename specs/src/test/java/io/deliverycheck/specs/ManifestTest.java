package io.deliverycheck.specs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestTest {

  @Test
  void theRepositoryManifestCoversEveryModeAndKnownBug() {
    Manifest m = Specs.manifest();
    for (String name : List.of("exactly-once", "at-most-once", "at-least-once", "bug-ack-before-commit",
        "bug-no-idempotency-key", "bug-gateway-write-is-delivered", "bug-no-lease")) {
      assertTrue(m.model(name).isPresent(), name);
    }
    assertEquals("NoLoss", m.model("at-most-once").orElseThrow().expect());
    assertEquals("AcceptedIsDurable", m.model("bug-ack-before-commit").orElseThrow().expect());
    assertTrue(m.tier("nightly").size() >= 1);
    assertEquals(List.of("NoLoss"), Tlc.temporalName(m, m.model("at-most-once").orElseThrow()) == null
        ? List.of() : List.of(Tlc.temporalName(m, m.model("at-most-once").orElseThrow())));
  }

  @Test
  void everyV2PropertyHasAModelThatHoldsAndOneThatBreaksIt() {
    Manifest m = Specs.manifest();
    assertEquals(List.of("NoLoss", "NoUnresolved"), m.liveness());
    for (String property : List.of("NoLoss", "NoUnresolved", "NoReorder", "NoMisrouted", "ReceiptsMonotonic")) {
      assertTrue(m.models().stream().anyMatch(x -> x.expect().equals(property)), property + " is broken by some model");
      assertTrue(m.models().stream().anyMatch(x -> x.expectsPass() && checks(m, x, property)),
          property + " holds in some model");
    }
  }

  @Test
  void noLossIsClaimedOnlyWhereFaultsAreFewerThanAttempts() {
    // The spec's assumption FaultsFewerThanAttempts (MaxFaults < EffMax): every model in which NoLoss must hold
    // satisfies it, and the models that break NoLoss in a correct mode are the ones outside it.
    Manifest m = Specs.manifest();
    int outside = 0;
    for (Model model : m.models()) {
      Map<String, String> c = ModelConfig.constants(m.dir().resolve(model.config()));
      int effMax = c.get("Mode").equals("\"at-most-once\"") ? 1 : Integer.parseInt(c.get("MaxAttempts"));
      boolean assumption = Integer.parseInt(c.get("MaxFaults")) < effMax;
      if (model.expectsPass() && checks(m, model, "NoLoss")) {
        assertTrue(assumption, model.name() + " claims NoLoss outside FaultsFewerThanAttempts");
      }
      if (model.expect().equals("NoLoss") && c.get("Bugs").equals("{}")) {
        assertTrue(!assumption, model.name() + " loses a message inside the assumption");
        outside++;
      }
    }
    assertEquals(2, outside, "at-most-once and faults-outlast-attempts");
  }

  private static boolean checks(Manifest m, Model model, String property) {
    try {
      return Files.readAllLines(m.dir().resolve(model.config())).stream()
          .filter(l -> l.startsWith("INVARIANT") || l.startsWith("PROPERT"))
          .anyMatch(l -> List.of(l.split("\\s+")).contains(property));
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void everyExpectedPropertyIsCheckedByItsModel() {
    Manifest m = Specs.manifest();
    for (Model model : m.models()) {
      if (model.expectsPass()) continue;
      Path cfg = m.dir().resolve(model.config());
      String text;
      try {
        text = Files.readString(cfg);
      } catch (java.io.IOException e) {
        throw new AssertionError(e);
      }
      assertTrue(text.lines().anyMatch(l -> !l.startsWith("\\*") && l.contains(model.expect())),
          model.name() + " must check " + model.expect());
    }
  }

  @Test
  void foundFromAnyFolderBelowTheRepository() {
    Path specs = Specs.dir();
    assertEquals(specs, Manifest.find(specs.resolve("models")).orElseThrow());
    assertEquals(specs, Manifest.find(specs.getParent()).orElseThrow());
  }

  @Test
  void badManifestsNameTheFileAndTheProblem(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("S.tla"), "---- MODULE S ----\n====\n");
    Files.writeString(dir.resolve("models.json"), "{\"spec\":\"S.tla\",\"models\":[{\"name\":\"a\",\"config\":\"a.cfg\",\"expect\":\"pass\"}]}");
    var e = assertThrows(Manifest.ManifestException.class, () -> Manifest.load(dir));
    assertTrue(e.getMessage().contains("models[0]: config a.cfg does not exist"), e.getMessage());
    Files.writeString(dir.resolve("models.json"), "{\"spec\":\"S.tla\",\"models\":[{\"name\":\"a\"}]}");
    e = assertThrows(Manifest.ManifestException.class, () -> Manifest.load(dir));
    assertTrue(e.getMessage().contains("missing string field \"config\""), e.getMessage());
    Files.writeString(dir.resolve("models.json"), "{not json");
    e = assertThrows(Manifest.ManifestException.class, () -> Manifest.load(dir));
    assertTrue(e.getMessage().startsWith(dir.resolve("models.json") + ": cannot read"), e.getMessage());
  }
}
