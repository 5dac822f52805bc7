package io.deliverycheck.specs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
