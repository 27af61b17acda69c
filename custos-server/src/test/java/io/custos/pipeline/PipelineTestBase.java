package io.custos.pipeline;

import io.custos.audit.JsonLinesAuditTrail;
import io.custos.consent.BreakGlassOverride;
import io.custos.phi.research.ResearchProtocols;
import io.custos.policy.AccessControl;
import io.custos.policy.BreakGlass;
import io.custos.policy.RolePolicy;
import io.custos.policy.ScopeCheck;
import io.custos.routes.Routes;
import io.custos.routes.TestPaths;
import io.custos.sql.SqlUpstream;
import io.custos.state.InProcessStateStore;
import io.custos.tools.ToolCatalog;
import io.custos.writes.WriteSettings;
import io.custos.writes.WriteTools;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
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

  /**
   * The production path with the tools of {@code sql} on the SQL route and these research protocols; care relationships
   * required, every caller treating {@code patient} only; break-the-glass for clinicians and nurses.
   */
  static GovernancePipeline sqlPipeline(JsonLinesAuditTrail trail, SqlUpstream sql, String patient,
      ResearchProtocols protocols) {
    Clock clock = Clock.systemUTC();
    Set<String> names = Routes.registry(ToolCatalog.readTools(), WriteTools.standard(), sql.declarations()).toolNames();
    AccessControl access = new AccessControl(RolePolicy.of(null, names).with(sql.roleGrants()), new ScopeCheck(Set.of()),
        (caller, p) -> p.equals(patient), true, true,
        new BreakGlass(clock, Duration.ofMinutes(60), InProcessStateStore.builder().clock(clock).build().grants()),
        Set.of("clinician", "nurse"));
    var stages = TestPaths.stages(trail, fx.upstream, clock, access).build();
    return TestPaths.path(stages, InProcessStateStore.builder().clock(clock).build().proposals(), WriteSettings.defaults(),
        TestPaths.consent(fx.upstream, clock, BreakGlassOverride.PATIENT_PRIVACY), Optional.of(sql), protocols).pipeline();
  }

  @AfterEach
  void closeTrail() {
    trail.close();
  }
}
