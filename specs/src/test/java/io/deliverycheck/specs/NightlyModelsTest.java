package io.deliverycheck.specs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The large models of specs/models.json (minutes each): {@code mvn -pl specs test -P nightly}. */
@Tag("nightly")
class NightlyModelsTest {

  static Stream<String> nightlyModels() {
    return Specs.manifest().tier("nightly").stream().map(Model::name);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("nightlyModels")
  void modelGivesItsManifestResult(String name) throws Exception {
    Manifest manifest = Specs.manifest();
    Model model = manifest.model(name).orElseThrow();
    ModelResult r = new ModelRunner(Tlc.standard(), manifest).check(model, 0, System.out::println);
    System.out.println(Report.full(r, true));
    assertEquals(model.expect(), r.actual(), () -> Report.full(r, true));
  }
}
