package io.custos.phi.research;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ca.uhn.fhir.context.FhirContext;
import io.custos.auth.Caller;
import io.custos.fhir.HapiFhirUpstream;
import io.custos.fhir.store.EmbeddedFhirStore;
import io.custos.fhir.store.InMemoryRepository;
import io.custos.phi.SensitiveCategory;
import io.custos.phi.deid.DeIdentifier;
import io.custos.phi.deid.DeidConfig;
import io.custos.pipeline.ToolCallException;
import io.custos.tools.ResearchTools;
import io.custos.tools.ToolArguments;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
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

/**
 * What research releases can disclose beyond one call: small cells across cohort_count and cohort_extract (a band too
 * small to count must not show up in an extract, nor be the difference of released counts), joins of extracts by
 * pseudonym, and cohorts on sensitive conditions without the role and an approved protocol.
 */
class ResearchDisclosureTest {
  private static final FhirContext FHIR = FhirContext.forR4Cached();
  private static final LocalDate TODAY = LocalDate.of(2026, 1, 1);
  /** A code no fixture patient has: the cohort is exactly the planted patients. */
  private static final String CODE = "999000111";
  /** A code whose Conditions also carry an ICD-10-CM HIV coding. */
  private static final String SENSITIVE_ELSEWHERE = "999000222";
  /** HIV disease (a sensitive category). */
  private static final String HIV_CODE = "165816005";
  private static EmbeddedFhirStore store;
  private static CohortService service;
  /** Planted: thirteen aged 40-64, one 65-89, one 90+; one man among women. */
  private static final List<Patient> planted = new ArrayList<>();

  @BeforeAll
  static void start() {
    InMemoryRepository repo = new InMemoryRepository(FHIR);
    for (int i = 0; i < 15; i++) {
      int birthYear = i == 13 ? 1955 : i == 14 ? 1930 : 1970 + i;
      Patient p = new Patient();
      p.setId("disclosure-" + i);
      p.addName().setFamily("Disclosure" + i);
      p.setGender(i == 5 ? Enumerations.AdministrativeGender.MALE : Enumerations.AdministrativeGender.FEMALE);
      p.getBirthDateElement().setValueAsString(birthYear + "-06-15");
      p.addAddress().setState("MA").setPostalCode(i == 7 ? "01945" : "02139");
      repo.put(p);
      planted.add(p);
      repo.put(condition("c-" + i, p, CODE));
      if (i < 12) {
        repo.put(condition("h-" + i, p, HIV_CODE));
      }
      if (i < 13) {
        Condition both = condition("b-" + i, p, SENSITIVE_ELSEWHERE);
        both.getCode().addCoding().setSystem("http://hl7.org/fhir/sid/icd-10-cm").setCode("B20");
        repo.put(both);
      }
    }
    store = EmbeddedFhirStore.builder().repository(repo).enrich(false).port(0).build().start();
    DeIdentifier deid = new DeIdentifier(FHIR, DeidConfig.safeHarbor("research-key-0123456789abcdef".getBytes(StandardCharsets.UTF_8), TODAY));
    var upstream = new HapiFhirUpstream(FHIR, store.baseUrl(), Duration.ofSeconds(30), List.of());
    service = new CohortService(upstream, deid, TODAY, 5000, new CohortService.Governance(
        io.custos.routes.TestPaths.consent(upstream, java.time.Clock.systemUTC(), io.custos.consent.BreakGlassOverride.PATIENT_PRIVACY),
        ResearchProtocols.of(List.of(new ResearchProtocols.Protocol("IRB-HIV-1", Set.of(SensitiveCategory.HIV), false, Set.of("r1")),
            new ResearchProtocols.Protocol("IRB-LINK-1", Set.of(), true, Set.of("r1")))),
        new io.custos.phi.SensitiveCategories(FHIR)));
  }

  private static Condition condition(String id, Patient p, String code) {
    Condition c = new Condition();
    c.setId(id);
    c.setSubject(new Reference("Patient/" + p.getIdPart()));
    c.setCode(new CodeableConcept(new Coding("http://snomed.info/sct", code, "planted")));
    c.getOnsetDateTimeType().setValueAsString("2020-01-0" + (1 + id.length() % 9));
    return c;
  }

  @AfterAll
  static void stop() {
    if (store != null) {
      store.close();
    }
  }

  private static Caller researcher(String... extraRoles) {
    Set<String> roles = new HashSet<>(List.of("researcher"));
    roles.addAll(List.of(extraRoles));
    return new Caller("r1", "app", Optional.empty(), roles, Set.of("user/Patient.rs", "user/Condition.rs"),
        Optional.empty(), true, "t", Instant.MAX);
  }

  private static Map<String, Object> call(Caller caller, String tool, String code, String band, String protocol) {
    Map<String, Object> args = new LinkedHashMap<>(Map.of("snomed_code", code, "age_band", band));
    if (protocol != null) {
      args.put("protocol_id", protocol);
    }
    return service.call(caller, tool, new ToolArguments(args), new java.util.HashSet<>());
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> rows(Map<String, Object> extract) {
    return (List<Map<String, Object>>) extract.get("items");
  }

  @Test
  void bandCountsAreSuppressedTogetherSoNoneIsTheDifferenceOfOthers() {
    assertThat(call(researcher(), "cohort_count", CODE, "any", null)).containsEntry("count", 15);
    for (String band : List.of("40-64", "65-89", "90+")) {
      assertThat(call(researcher(), "cohort_count", CODE, band, null)).as(band).containsEntry("count", null)
          .containsEntry("suppressed", true);
    }
    assertThat(call(researcher(), "cohort_count", CODE, "0-17", null)).containsEntry("count", 0);
    // an extract of a band the counts hide (here 40-64, hidden with the small ones) is refused: its size would be
    // cohortSize, and the small bands the difference
    for (String band : List.of("40-64", "65-89", "90+")) {
      assertThatThrownBy(() -> call(researcher(), "cohort_extract", CODE, band, null)).as(band)
          .isInstanceOf(ToolCallException.class).hasMessageContaining("suppressed");
    }
  }

  @Test
  void anExtractReleasesNoValueHeldByFewerThanElevenPatients() {
    List<Map<String, Object>> rows = rows(call(researcher(), "cohort_extract", CODE, "any", null));
    assertThat(rows).hasSize(15);
    Map<String, Map<String, Integer>> truth = new HashMap<>();
    for (Patient p : planted) {
      truth.computeIfAbsent("ageBand", k -> new HashMap<>()).merge(CohortService.AgeBand.of(p, TODAY), 1, Integer::sum);
      truth.computeIfAbsent("gender", k -> new HashMap<>()).merge(p.getGender().toCode(), 1, Integer::sum);
      truth.computeIfAbsent("birthYear", k -> new HashMap<>()).merge(String.valueOf(p.getBirthDateElement().getYear()), 1, Integer::sum);
      truth.computeIfAbsent("zip3", k -> new HashMap<>()).merge(p.getAddressFirstRep().getPostalCode().substring(0, 3), 1, Integer::sum);
    }
    for (var attribute : truth.entrySet()) {
      int hidden = 0;
      for (Map<String, Object> row : rows) {
        Object v = row.get(attribute.getKey());
        if (v == null || v.equals("suppressed")) {
          hidden++;
        } else {
          assertThat(attribute.getValue().getOrDefault(String.valueOf(v), 0)).as("%s=%s is held by at least %d patients",
              attribute.getKey(), v, ResearchTools.MIN_CELL).isGreaterThanOrEqualTo(ResearchTools.MIN_CELL);
        }
      }
      assertThat(hidden).as("%s: hidden values cover at least %d rows", attribute.getKey(), ResearchTools.MIN_CELL)
          .isGreaterThanOrEqualTo(ResearchTools.MIN_CELL);
    }
    // in combination too: every released (age band, sex, birth year, state, ZIP3) is shared by at least eleven rows
    Map<List<Object>, Integer> combinations = new HashMap<>();
    for (Map<String, Object> row : rows) {
      combinations.merge(java.util.Arrays.asList(row.get("ageBand"), row.get("gender"), row.get("birthYear"), row.get("state"),
          row.get("zip3")), 1, Integer::sum);
    }
    assertThat(combinations.values()).as("combinations %s", combinations).allSatisfy(n -> assertThat(n)
        .isGreaterThanOrEqualTo(ResearchTools.MIN_CELL));
    assertThat(rows).extracting(r -> r.get("ageBand")).doesNotContain("65-89", "90+");
    assertThat(rows).extracting(r -> r.get("gender")).doesNotContain("male");
  }

  @Test
  void extractsCannotBeJoinedByPseudonymUnlessAProtocolApprovesLinkage() {
    Set<Object> first = pseudonyms(call(researcher(), "cohort_extract", CODE, "any", null));
    Set<Object> second = pseudonyms(call(researcher(), "cohort_extract", CODE, "any", null)); // the same cohort again
    assertThat(first).hasSize(15).doesNotContainAnyElementsOf(second);
    Set<Object> linked = pseudonyms(call(researcher(), "cohort_extract", CODE, "any", "IRB-LINK-1"));
    assertThat(pseudonyms(call(researcher(), "cohort_extract", CODE, "any", "IRB-LINK-1"))).isEqualTo(linked);
    assertThat(call(researcher(), "cohort_extract", CODE, "any", "IRB-LINK-1")).containsEntry("linkage", true);
  }

  private static Set<Object> pseudonyms(Map<String, Object> extract) {
    Set<Object> s = new HashSet<>();
    rows(extract).forEach(r -> s.add(r.get("pseudonym")));
    return s;
  }

  @Test
  void aSensitiveConditionNeedsTheRoleAndAnApprovedProtocolThatCoversIt() {
    for (var refused : List.of(
        new Object[] {researcher(), null},
        new Object[] {researcher("sensitive-data:hiv"), null},
        new Object[] {researcher("sensitive-data:hiv"), "IRB-LINK-1"},
        new Object[] {researcher(), "IRB-HIV-1"})) {
      assertThatThrownBy(() -> call((Caller) refused[0], "cohort_count", HIV_CODE, "any", (String) refused[1]))
          .isInstanceOf(ToolCallException.class).hasMessageContaining("hiv")
          .extracting(e -> ((ToolCallException) e).reason()).isEqualTo(ToolCallException.Reason.FORBIDDEN);
    }
    assertThat(call(researcher("sensitive-data:hiv"), "cohort_count", HIV_CODE, "any", "IRB-HIV-1")).containsEntry("count", 12);
    assertThatThrownBy(() -> call(researcher("sensitive-data:hiv"), "cohort_count", HIV_CODE, "any", "zz-NOT-APPROVED"))
        .isInstanceOf(ToolCallException.class).hasMessageNotContaining("zz-NOT-APPROVED");
    // a protocol is cited only by its investigators
    Caller other = new Caller("r2", "app", Optional.empty(), Set.of("researcher", "sensitive-data:hiv"),
        Set.of("user/Patient.rs", "user/Condition.rs"), Optional.empty(), true, "t2", Instant.MAX);
    assertThatThrownBy(() -> call(other, "cohort_count", HIV_CODE, "any", "IRB-HIV-1")).isInstanceOf(ToolCallException.class);
  }

  @Test
  void aConditionInASensitiveCategoryThroughItsOtherCodingsIsLeftOutAndCounted() {
    // Thirteen of the planted patients' CODE conditions also carry an ICD-10-CM HIV coding (B20): the requested code is
    // not sensitive, the records are.
    Map<String, Object> out = call(researcher(), "cohort_count", SENSITIVE_ELSEWHERE, "any", null);
    assertThat(out).containsEntry("count", 0);
    assertThat(out.get("withheld").toString()).contains("count=13", "hiv");
  }
}
