package io.deliverycheck.specs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every small model of specs/models.json gives its expected result under TLC, the failing
 * ones included: each mode's weakness and each known bug has a counterexample for exactly
 * the property it breaks.
 */
class SmallModelsTest {

  static Stream<String> smallModels() {
    return Specs.manifest().tier("small").stream().map(Model::name);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("smallModels")
  void modelGivesItsManifestResult(String name) throws Exception {
    Manifest manifest = Specs.manifest();
    Model model = manifest.model(name).orElseThrow();
    ModelResult r = new ModelRunner(Tlc.standard(), manifest).check(model, 0, line -> { });
    System.out.println(Report.full(r, true));
    assertEquals(model.expect(), r.actual(), () -> Report.full(r, true));
    assertTrue(r.asExpected());
    assertTrue(r.outcome().distinctStates() > 0);
    if (model.expectsPass()) {
      assertTrue(r.outcome().trace().isEmpty());
    } else {
      assertFalse(r.outcome().trace().isEmpty(), "a violation comes with its counterexample");
    }
  }
}
