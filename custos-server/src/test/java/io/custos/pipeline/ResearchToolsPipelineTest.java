package io.custos.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.custos.audit.JsonLinesAuditTrail;
import io.custos.audit.PatientPseudonyms;
import io.custos.auth.Caller;
import io.custos.fhir.HapiFhirUpstream;
import io.custos.fhir.store.EmbeddedFhirStore;
import io.custos.fhir.store.InMemoryRepository;
import io.custos.phi.SensitiveDataPolicy;
import io.custos.phi.SyntheaFixture;
import io.custos.phi.deid.DeIdentifier;
import io.custos.phi.deid.DeidConfig;
import io.custos.phi.research.CohortService;
import io.custos.tools.ToolCatalog;
import io.modelcontextprotocol.json.schema.jackson2.DefaultJsonSchemaValidator;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.Enumerations;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * the researcher tools through the governance pipeline (authenticate, research authorize:
 * role + user/ scopes + MFA, audit intent, de-identified cohort, audit result), refusals audited as DENIED.
 */
class ResearchToolsPipelineTest {
  static final String DIABETES = "44054006";
  static EmbeddedFhirStore store;
  static GovernancePipeline pipeline;
  @TempDir
  static Path dir;
  static Path auditFile;

  @BeforeAll
  static void start() throws Exception {
    InMemoryRepository repo = SyntheaFixture.load();
    for (int i = 0; i < 14; i++) {
      Patient p = new Patient();
      p.setId("research-" + i);
      p.addName().setFamily("Researchson" + i).addGiven("Cohort" + i);
      p.setGender(Enumerations.AdministrativeGender.MALE);
      p.getBirthDateElement().setValueAsString((1950 + i) + "-0" + (1 + i % 9) + "-1" + (i % 9));
      p.addAddress().setCity("Studytown").setState("MA").setPostalCode("0214" + (i % 10));
      repo.put(p);
      Condition c = new Condition();
      c.setId("research-cond-" + i);
      c.setSubject(new Reference("Patient/" + p.getIdPart()));
      c.setCode(new CodeableConcept(new Coding("http://snomed.info/sct", DIABETES, "Diabetes mellitus type 2 (disorder)")));
      repo.put(c);
    }
    store = EmbeddedFhirStore.builder().repository(repo).enrich(false).port(0).build().start();
    var upstream = new HapiFhirUpstream(PipelineFixture.FHIR, store.baseUrl(), Duration.ofSeconds(30), List.of());
    LocalDate today = LocalDate.of(2026, 1, 1);
    var cohorts = new CohortService(upstream, new DeIdentifier(PipelineFixture.FHIR,
        DeidConfig.safeHarbor("research-key-0123456789abcdef".getBytes(StandardCharsets.UTF_8), today)), today, 5000,
        CohortService.Governance.of(io.custos.routes.TestPaths.consent(upstream, Clock.systemUTC(),
            io.custos.consent.BreakGlassOverride.PATIENT_PRIVACY)));
    auditFile = dir.resolve("audit.jsonl");
    pipeline = io.custos.routes.GovernedPath.of(io.custos.routes.TestPaths.stages(new JsonLinesAuditTrail(auditFile), upstream,
        Clock.systemUTC(), PipelineFixture.access(Clock.systemUTC())).build(),
        io.custos.state.InProcessStateStore.create().proposals(), cohorts,
        io.custos.routes.TestPaths.consent(upstream, Clock.systemUTC(), io.custos.consent.BreakGlassOverride.PATIENT_PRIVACY),
        io.custos.writes.WriteSettings.defaults(),
        GovernancePipeline.Observer.NONE).pipeline();
  }

  @AfterAll
  static void stop() {
    if (store != null) {
      store.close();
    }
  }

  static Caller caller(String subject, String role, boolean mfa, String... scopes) {
    return new Caller(subject, "research-app", Optional.empty(), Set.of(role), Set.of(scopes), Optional.empty(), mfa,
        "tok-" + subject, Instant.now().plusSeconds(600));
  }

  static ToolOutcome call(Caller c, String tool) {
    return pipeline.handle(new ToolCall(tool, Map.of("snomed_code", DIABETES, "age_band", "any"), Optional.of(c), "s", "127.0.0.1"));
  }

  static List<JsonNode> events(String subject) throws Exception {
    return PipelineFixture.readAudit(auditFile).stream().filter(e -> e.path("subject").asText().equals(subject)
        || e.toString().contains("\"" + subject + "\"")).toList();
  }

  @Test
  void researcherGetsADeidentifiedExtractAuditedAsIntentAndResult() throws Exception {
    ToolOutcome out = call(caller("res-1", "researcher", true, "user/Patient.rs", "user/Condition.rs"), "cohort_extract");
    assertThat(out.isError()).as(out.text()).isFalse();
    assertThat((Integer) out.structured().get("cohortSize")).isGreaterThanOrEqualTo(14); // 14 planted + fixture patients
    assertThat(out.text()).doesNotContain("Researchson", "Studytown", "research-").contains("\"zip3\"");
    List<JsonNode> ev = events("res-1");
    assertThat(PipelineFixture.phases(ev)).containsExactly("INTENT", "RESULT");
    JsonNode result = ev.get(1);
    assertThat(result.toString()).contains("cohort_extract").contains("success").doesNotContain("Researchson");
    assertThat(result.path("resultSha256").asText()).hasSize(64);
  }

  @Test
  void wildcardUserScopeCountsAndTheCountIsReturned() {
    ToolOutcome out = call(caller("res-2", "researcher", true, "user/*.rs"), "cohort_count");
    assertThat(out.isError()).as(out.text()).isFalse();
    assertThat((Integer) out.structured().get("count")).isGreaterThanOrEqualTo(14);
  }

  @Test
  void otherRolesPatientScopesAndMissingMfaAreRefusedAndAuditedAsDenied() throws Exception {
    assertThat(call(caller("doc-1", "clinician", true, "user/*.rs"), "cohort_count").error())
        .isEqualTo(ToolCallException.Reason.FORBIDDEN);
    assertThat(call(caller("res-3", "researcher", true, "patient/*.rs"), "cohort_count").error())
        .isEqualTo(ToolCallException.Reason.INSUFFICIENT_SCOPE);
    assertThat(call(caller("res-4", "researcher", false, "user/*.rs"), "cohort_extract").error())
        .isEqualTo(ToolCallException.Reason.MFA_REQUIRED);
    for (String who : List.of("doc-1", "res-3", "res-4")) {
      assertThat(PipelineFixture.phases(events(who))).as(who).containsExactly("DENIED");
    }
    // The researcher role reaches no identified-data tool.
    ToolOutcome identified = pipeline.handle(new ToolCall("get_patient_demographics", Map.of("patient_id", "research-1"),
        Optional.of(caller("res-5", "researcher", true, "user/*.rs")), "s", "127.0.0.1"));
    assertThat(identified.error()).isEqualTo(ToolCallException.Reason.FORBIDDEN);
  }

  static boolean visible(Optional<Caller> caller, String tool) {
    return pipeline.visible(caller, pipeline.registry().find(io.custos.tools.Declaration.Kind.TOOL, tool).orElseThrow());
  }

  @Test
  void argumentsAreValidatedByTheSharedStage() {
    Caller c = caller("res-9", "researcher", true, "user/*.rs");
    ToolOutcome out = pipeline.handle(new ToolCall("cohort_count", Map.of("snomed_code", "DROP TABLE", "age_band", "any"),
        Optional.of(c), "s", "127.0.0.1"));
    assertThat(out.error()).isEqualTo(ToolCallException.Reason.INVALID_ARGUMENTS);
    assertThat(out.text()).doesNotContain("DROP TABLE");
  }

  @Test
  void visibilityFollowsRoleAndScopes() {
    var researcher = Optional.of(caller("res-6", "researcher", true, "user/*.rs"));
    assertThat(visible(researcher, "cohort_count")).isTrue();
    assertThat(visible(researcher, "cohort_extract")).isTrue();
    assertThat(visible(researcher, "get_patient_demographics")).isFalse();
    assertThat(visible(Optional.of(caller("res-7", "researcher", true, "patient/*.rs")), "cohort_count")).isFalse();
    assertThat(visible(Optional.of(caller("doc-2", "clinician", true, "user/*.rs")), "cohort_count")).isFalse();
  }
}
