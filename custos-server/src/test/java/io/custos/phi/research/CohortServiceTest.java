package io.custos.phi.research;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ca.uhn.fhir.context.FhirContext;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.custos.auth.Caller;
import io.custos.fhir.HapiFhirUpstream;
import io.custos.fhir.store.EmbeddedFhirStore;
import io.custos.fhir.store.InMemoryRepository;
import io.custos.phi.SyntheaFixture;
import io.custos.phi.deid.DeIdentifier;
import io.custos.phi.deid.DeidConfig;
import io.custos.phi.deid.DeidContext;
import io.custos.pipeline.ToolCallException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.Enumerations;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Researcher tools: counts with small-cell suppression, de-identified bounded extracts, role and scope checks. */
class CohortServiceTest {
  private static final FhirContext FHIR = FhirContext.forR4Cached();
  private static final LocalDate TODAY = LocalDate.of(2026, 1, 1);
  private static final String DIABETES = "44054006";
  private static EmbeddedFhirStore store;
  private static CohortService service;
  private static final List<Patient> everyone = new ArrayList<>();

  @BeforeAll
  static void start() {
    InMemoryRepository repo = SyntheaFixture.load();
    for (int i = 0; i < 14; i++) {
      Patient p = new Patient();
      p.setId("cohort-" + i);
      p.addName().setFamily("Cohortson" + i).addGiven("Research" + i);
      p.setGender(Enumerations.AdministrativeGender.FEMALE);
      p.getBirthDateElement().setValueAsString((1960 + i) + "-0" + (1 + i % 9) + "-1" + (i % 9));
      p.addAddress().addLine(i + "00 Cohort Street").setCity("Cohortville").setState("MA").setPostalCode("0213" + (i % 10));
      p.addIdentifier().setSystem("http://hl7.org/fhir/sid/us-ssn").setValue("999-55-00" + (10 + i));
      repo.put(p);
      Condition c = new Condition();
      c.setId("cohort-cond-" + i);
      c.setSubject(new Reference("Patient/" + p.getIdPart()));
      c.setCode(new CodeableConcept(new Coding("http://snomed.info/sct", DIABETES, "Diabetes mellitus type 2 (disorder)")));
      c.getOnsetDateTimeType().setValueAsString("2015-03-1" + (i % 9));
      repo.put(c);
    }
    everyone.addAll(SyntheaFixture.patients(repo));
    store = EmbeddedFhirStore.builder().repository(repo).enrich(false).port(0).build().start();
    DeIdentifier deid = new DeIdentifier(FHIR, DeidConfig.safeHarbor("research-key-0123456789abcdef".getBytes(StandardCharsets.UTF_8), TODAY));
    var upstream = new HapiFhirUpstream(FHIR, store.baseUrl(), Duration.ofSeconds(30), List.of());
    service = new CohortService(upstream, deid, TODAY, 5000, CohortService.Governance.of(io.custos.routes.TestPaths.consent(upstream,
        java.time.Clock.systemUTC(), io.custos.consent.BreakGlassOverride.PATIENT_PRIVACY)));
  }

  @AfterAll
  static void stop() {
    if (store != null) {
      store.close();
    }
  }

  private static Caller researcher() {
    return new Caller("r1", "app", Optional.empty(), Set.of("researcher"), Set.of("user/Patient.rs", "user/Condition.rs"),
        Optional.empty(), true, "t", Instant.MAX);
  }

  @Test
  void countsAreSuppressedBelowElevenAndZeroIsReported() {
    Map<String, Object> big = service.call(researcher(), "cohort_count", new io.custos.tools.ToolArguments(Map.of("snomed_code", DIABETES, "age_band", "any")), new java.util.HashSet<>());
    assertThat(big).containsEntry("count", 15).containsEntry("suppressed", false);
    // 40-64 holds most of the cohort, but the 65-89 band is a small cell: both are suppressed, or 40-64 would reveal it
    Map<String, Object> band = service.call(researcher(), "cohort_count", new io.custos.tools.ToolArguments(Map.of("snomed_code", DIABETES, "age_band", "40-64")), new java.util.HashSet<>());
    assertThat(band).containsEntry("count", null).containsEntry("suppressed", true);
    Map<String, Object> small = service.call(researcher(), "cohort_count", new io.custos.tools.ToolArguments(Map.of("snomed_code", "59621000", "age_band", "any")), new java.util.HashSet<>());
    assertThat(small.get("count")).isNull();
    assertThat(small).containsEntry("suppressed", true);
    Map<String, Object> none = service.call(researcher(), "cohort_count", new io.custos.tools.ToolArguments(Map.of("snomed_code", "123456789", "age_band", "any")), new java.util.HashSet<>());
    assertThat(none).containsEntry("count", 0).containsEntry("suppressed", false);
  }

  @Test
  void extractIsDeidentifiedAndBounded() throws Exception {
    Map<String, Object> out = service.call(researcher(), "cohort_extract", new io.custos.tools.ToolArguments(Map.of("snomed_code", DIABETES, "age_band", "any")), new java.util.HashSet<>());
    List<?> items = (List<?>) out.get("items");
    assertThat(items).hasSize(15);
    String json = new ObjectMapper().writeValueAsString(out);
    for (Patient p : everyone) {
      for (String id : DeidContext.of(p).knownTerms()) {
        assertThat(Pattern.compile("(?<![\\p{L}\\p{N}])" + Pattern.quote(id) + "(?![\\p{L}\\p{N}])", Pattern.CASE_INSENSITIVE)
            .matcher(json).find()).as("identifier '%s' in extract", id).isFalse();
      }
      assertThat(json).doesNotContain(p.getBirthDateElement().getValueAsString());
    }
    Map<?, ?> row = (Map<?, ?>) items.get(0);
    assertThat(new ArrayList<Object>(row.keySet())).isEqualTo(List.of("pseudonym", "gender", "birthYear", "ageBand", "state", "zip3", "conditions"));
    // fifteen rows with fifteen birth years: no combination of the released attributes is shared by eleven, so all are
    // suppressed; a ZIP3 that is released has three digits
    assertThat(items).extracting(r -> ((Map<?, ?>) r).get("zip3")).filteredOn(java.util.Objects::nonNull)
        .allSatisfy(z -> assertThat((String) z).hasSize(3));
    assertThat((Integer) out.get("suppressedCells")).isPositive();
  }

  @Test
  void extractsOfSmallCohortsAreRefused() {
    assertThatThrownBy(() -> service.call(researcher(), "cohort_extract", new io.custos.tools.ToolArguments(Map.of("snomed_code", "59621000", "age_band", "any")), new java.util.HashSet<>()))
        .isInstanceOf(ToolCallException.class).hasMessageContaining("smaller than 11");
    // role, scopes and the argument schema are the research route's shared stages (ResearchToolsPipelineTest)
  }
}
