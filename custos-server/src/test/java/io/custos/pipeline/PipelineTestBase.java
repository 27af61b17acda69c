package io.custos.pipeline;

import io.custos.audit.JsonLinesAuditTrail;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shared lifecycle of the pipeline tests: one embedded FHIR store with the Synthea fixture per class, and
 * per test a fresh JSON Lines audit trail (readable back) and a pipeline over the real upstream.
 */
abstract class PipelineTestBase {
  static PipelineFixture fx;

  @TempDir
  Path dir;
  Path auditFile;
  JsonLinesAuditTrail trail;
  GovernancePipeline pipeline;

  @BeforeAll
  static void startStore() {
    fx = PipelineFixture.start();
  }

  @AfterAll
  static void stopStore() {
    if (fx != null) {
      fx.close();
    }
  }

  @BeforeEach
  void setUpPipeline() throws IOException {
    auditFile = dir.resolve("audit").resolve("audit.jsonl");
    trail = new JsonLinesAuditTrail(auditFile);
    pipeline = createPipeline(trail);
  }

  /** The pipeline under test; override to wrap the upstream. */
  GovernancePipeline createPipeline(JsonLinesAuditTrail trail) {
    return fx.pipeline(trail);
  }

  @AfterEach
  void closeTrail() {
    trail.close();
  }
}
