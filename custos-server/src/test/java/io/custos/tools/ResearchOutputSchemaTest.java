package io.custos.tools;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.FhirContext;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.custos.auth.Caller;
import io.custos.fhir.HapiFhirUpstream;
import io.custos.fhir.store.EmbeddedFhirStore;
import io.custos.fhir.store.InMemoryRepository;
import io.custos.phi.deid.DeIdentifier;
import io.custos.phi.deid.DeidConfig;
import io.custos.phi.research.CohortService;
import io.modelcontextprotocol.json.schema.jackson2.DefaultJsonSchemaValidator;
import java.nio.charset.StandardCharsets;
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
import org.hl7.fhir.r4.model.Enumerations.AdministrativeGender;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The researcher tools' structuredContent validates against their typed output schemas, including the values
 * the data does not hold (null, declared as {@code anyOf [T, null]}) and a suppressed count.
 */
class ResearchOutputSchemaTest {
  private static final FhirContext FHIR = FhirContext.forR4Cached();
  private static final String DIABETES = "44054006";
  private static final String ASTHMA = "195967001";
  private static final DefaultJsonSchemaValidator VALIDATOR = new DefaultJsonSchemaValidator(new ObjectMapper());
  private static final Caller RESEARCHER = new Caller("researcher-1", "test-client", Optional.empty(),
      Set.of(ResearchTools.RESEARCHER_ROLE), Set.of("user/Patient.rs", "user/Condition.rs"), Optional.empty(), true,
      "tokhash-researcher", Instant.now().plus(Duration.ofHours(1)));

  private static EmbeddedFhirStore store;
  private static CohortService cohorts;

  @BeforeAll
  static void start() {
    InMemoryRepository repo = new InMemoryRepository(FHIR);
    for (int i = 0; i < 13; i++) {
      Patient p = new Patient();
      p.setId("r-" + i);
      if (i % 2 == 0) { // half without gender, birth date or address: their fields are null
        p.setGender(AdministrativeGender.FEMALE);
        p.getBirthDateElement().setValueAsString((1950 + i) + "-03-15");
        p.addAddress().setState("MA").setPostalCode("02141");
      }
      repo.put(p);
      repo.put(condition("c-" + i, p, DIABETES));
    }
    repo.put(condition("c-asthma", (Patient) repo.get("Patient", "r-0").orElseThrow(), ASTHMA));
    store = EmbeddedFhirStore.builder().fhirContext(FHIR).repository(repo).enrich(false).port(0).build().start();
    LocalDate today = LocalDate.of(2026, 1, 1);
    var upstream = new HapiFhirUpstream(FHIR, store.baseUrl(), Duration.ofSeconds(30), List.of());
    cohorts = new CohortService(upstream,
        new DeIdentifier(FHIR, DeidConfig.safeHarbor("research-key-0123456789abcdef".getBytes(StandardCharsets.UTF_8), today)),
        today, 5000, CohortService.Governance.of(io.custos.routes.TestPaths.consent(upstream, java.time.Clock.systemUTC(),
            io.custos.consent.BreakGlassOverride.PATIENT_PRIVACY)));
  }

  @AfterAll
  static void stop() {
    if (store != null) {
      store.close();
    }
  }

  private static Condition condition(String id, Patient p, String snomed) {
    Condition c = new Condition();
    c.setId(id);
    c.setSubject(new Reference("Patient/" + p.getIdPart()));
    c.setCode(new CodeableConcept(new Coding("http://snomed.info/sct", snomed, null)));
    return c;
  }

  private static void assertMatches(io.custos.tools.OperationSpec tool, Map<String, Object> structured) {
    var check = VALIDATOR.validate(tool.outputSchema(), structured);
    assertThat(check.valid()).as("%s output matches its outputSchema: %s", tool.name(), check.errorMessage()).isTrue();
  }

  @Test
  void extractRowsWithMissingValuesMatchTheSchema() {
    Map<String, Object> out = cohorts.call(RESEARCHER, "cohort_extract", new ToolArguments(Map.of("snomed_code", DIABETES, "age_band", "any")), new java.util.HashSet<>());
    assertThat((List<?>) out.get("items")).hasSize(13);
    assertThat(out.toString()).contains("=null"); // the case the nullable declarations are for
    assertMatches(ResearchTools.COHORT_EXTRACT, out);
  }

  @Test
  void countsAndSuppressedCountsMatchTheSchema() {
    Map<String, Object> count = cohorts.call(RESEARCHER, "cohort_count", new ToolArguments(Map.of("snomed_code", DIABETES, "age_band", "any")), new java.util.HashSet<>());
    assertThat(count).containsEntry("count", 13);
    assertMatches(ResearchTools.COHORT_COUNT, count);
    Map<String, Object> suppressed = cohorts.call(RESEARCHER, "cohort_count", new ToolArguments(Map.of("snomed_code", ASTHMA, "age_band", "any")), new java.util.HashSet<>());
    assertThat(suppressed).containsEntry("suppressed", true).containsEntry("count", null);
    assertMatches(ResearchTools.COHORT_COUNT, suppressed);
  }
}
