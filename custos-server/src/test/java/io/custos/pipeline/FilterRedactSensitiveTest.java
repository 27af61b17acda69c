package io.custos.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ca.uhn.fhir.context.FhirContext;
import io.custos.fhir.store.InMemoryRepository;
import io.custos.phi.SensitiveCategories;
import io.custos.phi.SensitiveCategory;
import io.custos.phi.SensitiveDataPolicy;
import io.custos.phi.SyntheaFixture;
import io.custos.state.InProcessStateStore;
import io.custos.tools.ToolCatalog;
import io.custos.tools.ToolSpec;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.DocumentReference;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.MedicationRequest;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Sensitive categories (42 CFR Part 2, mental health, HIV, reproductive health) are withheld and signalled. */
class FilterRedactSensitiveTest {
  private static final FhirContext FHIR = FhirContext.forR4Cached();
  private static InMemoryRepository repo;
  private static final ToolCatalog CATALOG = ToolCatalog.readTools();

  @BeforeAll
  static void load() {
    repo = SyntheaFixture.load();
  }

  private static FilterRedact stage(SensitiveDataPolicy policy) {
    return new FilterRedact(FHIR, new PageCursors(InProcessStateStore.create().cursors(), Clock.systemUTC(), Duration.ofMinutes(1)),
        policy);
  }

  private static Condition condition(String pid, String system, String code) {
    Condition c = new Condition();
    c.setId("c-" + code);
    c.setSubject(new Reference("Patient/" + pid));
    c.setCode(new CodeableConcept(new Coding(system, code, null)));
    return c;
  }

  private static Map<String, Object> run(String tool, Set<String> roles, String pid, List<? extends Resource> resources) {
    return run(SensitiveDataPolicy.byRole(), tool, roles, pid, resources);
  }

  private static Map<String, Object> run(SensitiveDataPolicy policy, String tool, Set<String> roles, String pid,
      List<? extends Resource> resources) {
    ToolSpec spec = CATALOG.find(tool).orElseThrow();
    ToolExchange ex = PipelineFixtures.fetched(spec, PipelineFixtures.caller(roles, Set.of("user/*.rs"), null), pid, resources);
    stage(policy).intercept(ex, e -> null);
    return ex.structured;
  }

  /** Under the server's default policy: no item returned, one withheld, in {@code category}. */
  private static void withheldByDefault(String tool, String role, Resource r, String category) {
    Map<String, Object> out = run(SensitiveDataPolicy.treating(), tool, Set.of(role), "p1", List.of(r));
    assertThat((List<?>) out.get("items")).as(tool + " for " + role).isEmpty();
    Map<?, ?> withheld = (Map<?, ?>) out.get("withheld");
    assertThat(withheld.get("count")).as(tool + " for " + role).isEqualTo(1);
    assertThat(withheld.get("categories")).as(tool + " for " + role).isEqualTo(List.of(category));
  }

  private static Reference p1() {
    return new Reference("Patient/p1");
  }

  @Test
  void regression_partTwoMedicationsAreWithheldFromClinicianAndNurseWithASignal() {
    for (String[] med : new String[][] {{"351266", "buprenorphine 2 MG / naloxone 0.5 MG Sublingual Tablet"},
        {"864706", "methadone hydrochloride 10 MG Oral Tablet"}}) {
      MedicationRequest m = new MedicationRequest().setSubject(p1())
          .setMedication(new CodeableConcept(new Coding("http://www.nlm.nih.gov/research/umls/rxnorm", med[0], med[1])));
      m.setId("m-" + med[0]);
      for (String role : List.of("clinician", "nurse")) {
        withheldByDefault("get_medications", role, m, "substance-use");
      }
    }
  }

  @Test
  void regression_opioidDependenceIsWithheldFromClinicianNurseAndBilling() {
    Condition c = condition("p1", "http://snomed.info/sct", "75544000");
    for (String role : List.of("clinician", "nurse", "billing")) {
      withheldByDefault("get_active_conditions", role, c, "substance-use");
    }
  }

  @Test
  void regression_aPositiveDrugsOfAbusePanelIsWithheld() {
    Observation o = new Observation().setSubject(p1()).setStatus(Observation.ObservationStatus.FINAL)
        .setCode(new CodeableConcept(new Coding("http://loinc.org", "65750-2", "Drugs of abuse 5 panel - Urine by Screen method")))
        .setValue(new CodeableConcept().setText("Positive"));
    o.setId("o-doa");
    withheldByDefault("get_lab_results", "clinician", o, "substance-use");
  }

  @Test
  void regression_notesNamingBuprenorphineNaloxoneAreWithheldFromTheClinician() {
    DocumentReference d = new DocumentReference().setSubject(p1());
    d.setId("d-bup");
    d.addContent().getAttachment().setContentType("text/plain")
        .setData("Plan: continue buprenorphine/naloxone 8/2 mg SL daily.".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    withheldByDefault("get_clinical_notes", "clinician", d, "substance-use");
  }

  @Test
  void regression_uncodedHivTextAndContraceptionReasonsAreWithheldFromBilling() {
    Condition hiv = new Condition().setSubject(p1()).setCode(new CodeableConcept().setText("HIV positive, on antiretroviral therapy"));
    hiv.setId("c-hiv-text");
    withheldByDefault("get_active_conditions", "billing", hiv, "hiv");
    Encounter e = new Encounter().setSubject(p1())
        .addReasonCode(new CodeableConcept(new Coding("http://snomed.info/sct", "389095005", "Contraception care (regime/therapy)")));
    e.setId("e-contraception");
    withheldByDefault("list_encounters", "billing", e, "reproductive-health");
  }

  @Test
  void fixtureConditionsInSensitiveCategoriesAreWithheldAndCounted() {
    SensitiveCategories table = new SensitiveCategories(FHIR);
    int sensitive = 0;
    for (var p : SyntheaFixture.patients(repo)) {
      List<Resource> conditions = repo.forPatient("Condition", p.getIdPart()).stream().map(Resource.class::cast).toList();
      long expectedWithheld = conditions.stream().filter(c -> !table.classify(c).isEmpty()).count();
      sensitive += (int) expectedWithheld;
      Map<String, Object> clinician = run("get_active_conditions", Set.of("clinician"), p.getIdPart(), conditions);
      List<?> items = (List<?>) clinician.get("items");
      if (expectedWithheld == 0) {
        assertThat(clinician).doesNotContainKey("withheld");
      } else {
        Map<?, ?> w = (Map<?, ?>) clinician.get("withheld");
        assertThat(w.get("count")).isEqualTo((int) expectedWithheld);
        assertThat((List<?>) w.get("categories")).isNotEmpty();
      }
      assertThat(items.size() + expectedWithheld).isEqualTo(Math.min(conditions.size(), 50));
      Map<String, Object> privileged = run("get_active_conditions", Set.of(SensitiveDataPolicy.ALL_ROLE), p.getIdPart(), conditions);
      assertThat(privileged).doesNotContainKey("withheld");
      assertThat((List<?>) privileged.get("items")).hasSize(Math.min(conditions.size(), 50));
    }
    assertThat(sensitive).as("the fixture has Part 2 / reproductive conditions").isGreaterThanOrEqualTo(5);
  }

  @Test
  void valueSetsSecurityLabelsAndPerCategoryRoles() {
    String pid = "p1";
    Condition sud = condition(pid, "http://snomed.info/sct", "361055000");
    Condition icd = condition(pid, "http://hl7.org/fhir/sid/icd-10-cm", "F11.20");
    Condition hiv = condition(pid, "http://hl7.org/fhir/sid/icd-10-cm", "B20");
    Condition labelled = condition(pid, "http://snomed.info/sct", "44054006");
    labelled.getMeta().addSecurity(new Coding(SensitiveCategory.ACT_CODE, "PSY", null));
    Condition plain = condition(pid, "http://snomed.info/sct", "59621000");
    SensitiveCategories table = new SensitiveCategories(FHIR);
    assertThat(table.classify(sud)).containsExactly(SensitiveCategory.SUBSTANCE_USE);
    assertThat(table.classify(icd)).containsExactly(SensitiveCategory.SUBSTANCE_USE);
    assertThat(table.classify(hiv)).containsExactly(SensitiveCategory.HIV);
    assertThat(table.classify(labelled)).containsExactly(SensitiveCategory.MENTAL_HEALTH);
    assertThat(table.classify(plain)).isEmpty();

    List<Condition> all = List.of(sud, icd, hiv, labelled, plain);
    Map<String, Object> out = run("get_active_conditions", Set.of("sensitive-data:substance-use"), pid, all);
    assertThat((List<?>) out.get("items")).hasSize(3);
    Map<?, ?> w = (Map<?, ?>) out.get("withheld");
    assertThat(w.get("count")).isEqualTo(2);
    assertThat(w.get("categories")).isEqualTo(List.of("mental-health", "hiv"));

    SensitiveDataPolicy open = SensitiveDataPolicy.byRole(Set.of(SensitiveCategory.HIV));
    assertThat(open.permits(PipelineFixtures.caller(Set.of(), Set.of(), null), SensitiveCategory.HIV)).isTrue();
    assertThat(open.permits(PipelineFixtures.caller(Set.of(), Set.of(), null), SensitiveCategory.MENTAL_HEALTH)).isFalse();
  }

  @Test
  void aWithheldSingleRecordIsRefusedWithItsCategory() {
    Encounter e = new Encounter();
    e.setId("e1");
    e.setSubject(new Reference("Patient/p1"));
    e.addReasonCode(new CodeableConcept(new Coding("http://snomed.info/sct", "72892002", "Normal pregnancy")));
    assertThatThrownBy(() -> run("get_encounter", Set.of("clinician"), "p1", List.of(e)))
        .isInstanceOf(ToolCallException.class).hasMessageContaining("reproductive-health")
        .extracting(t -> ((ToolCallException) t).reason()).isEqualTo(ToolCallException.Reason.FORBIDDEN);
    assertThat(run("get_encounter", Set.of("sensitive-data"), "p1", List.of(e))).containsKey("encounter");
  }

  @Test
  void notesMentioningACategoryAreWithheld() {
    SensitiveCategories table = new SensitiveCategories(FHIR);
    assertThat(table.categoriesOfText("Patient misuses drugs (finding).")).containsExactly(SensitiveCategory.SUBSTANCE_USE);
    assertThat(table.categoriesOfText("Hearing aids fitted. Hypertension.")).isEmpty();
    assertThat(table.categoriesOfText("HIV test negative")).containsExactly(SensitiveCategory.HIV);
  }
}
