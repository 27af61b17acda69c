package io.custos.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.custos.fhir.store.EmbeddedFhirStore;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * End to end: the human-approved write tools ({@link WriteCheck}) with Custos in front of the embedded FHIR store.
 */
class WritesIT {
  private static final Path MODULE = Path.of("").toAbsolutePath();

  private static EmbeddedFhirStore store;
  private static WriteCheck check;

  @BeforeAll
  static void start() throws Exception {
    // Slots are generated for the days after the reference instant: make that today, so they are in the future.
    store = EmbeddedFhirStore.builder().dataDirectory(MODULE.resolve("src/test/resources/fixtures/synthea")).port(0)
        .referenceInstant(Instant.now().truncatedTo(ChronoUnit.DAYS)).build().start();
    check = new WriteCheck(store.baseUrl(), store.repository());
  }

  @AfterAll
  static void stop() {
    if (check != null) {
      check.close();
    }
    if (store != null) {
      store.close();
    }
  }

  @Test
  void typescriptSdkClientProposesApprovesAndCommitsEveryWriteToolAndEveryRefusalHolds() throws Exception {
    assertThat(check.run("write-check")).as("checks run").isGreaterThanOrEqualTo(33);
  }
}
