package io.custos.pipeline;

import static io.custos.pipeline.PipelineFixture.PATIENT_A;
import static io.custos.pipeline.PipelineFixture.call;
import static io.custos.pipeline.PipelineFixture.user;
import static org.assertj.core.api.Assertions.assertThat;

import io.custos.audit.JsonLinesAuditTrail;
import io.custos.phi.UntrustedText;
import io.custos.tools.ResultShape;
import io.custos.tools.ToolCatalog;
import io.custos.tools.ToolSpec;
import io.modelcontextprotocol.json.schema.jackson2.DefaultJsonSchemaValidator;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every read tool through the full pipeline against the embedded store loaded with the Synthea fixture. */
class GovernancePipelineTest extends PipelineTestBase {
  static final ToolCatalog CATALOG = ToolCatalog.readTools();
  static final DefaultJsonSchemaValidator VALIDATOR = new DefaultJsonSchemaValidator(PipelineFixture.MAPPER);


  static Stream<String> toolNames() {
    return CATALOG.tools().stream().map(ToolSpec::name);
  }

  /** Arguments that make {@code tool} read patient A, with the page size set to the tool's maximum. */
  Map<String, Object> argumentsFor(ToolSpec spec) {
    Map<String, Object> args = new LinkedHashMap<>();
    switch (spec.name()) {
      case "find_patient" -> {
        Patient a = fx.patient(PATIENT_A);
        args.put("family", a.getNameFirstRep().getFamily());
        args.put("birthdate", a.getBirthDateElement().getValueAsString());
      }
      case "get_encounter" -> {
        args.put("patient_id", PATIENT_A);
        args.put("encounter_id", fx.encounterIds(PATIENT_A).get(0));
      }
      default -> args.put("patient_id", PATIENT_A);
    }
    if (((Map<?, ?>) spec.inputSchema().get("properties")).containsKey("limit")) { // find_patient has no limit
      args.put("limit", spec.maxResults());
    }
    return args;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("toolNames")
  void everyReadToolSucceedsForAFixturePatient(String tool) throws Exception {
    ToolSpec spec = CATALOG.find(tool).orElseThrow();
    ToolOutcome out = pipeline.handle(call(user("dr-who"), tool, argumentsFor(spec)));

    assertThat(out.isError()).as(out.text()).isFalse();
    assertThat(out.structured()).isNotNull();
    assertThat(out.text()).isEqualTo(PipelineFixture.MAPPER.writeValueAsString(out.structured()));
    var check = VALIDATOR.validate(spec.outputSchema(), out.structured());
    assertThat(check.valid()).as("output matches outputSchema: %s", check.errorMessage()).isTrue();

    if (spec.patientScoped()) {
      assertThat(out.structured()).containsEntry("patient_id", PATIENT_A);
    } else {
      assertThat(out.structured()).doesNotContainKey("patient_id");
    }
    switch (spec.shape()) {
      case ResultShape.ListOf list -> {
        List<?> items = (List<?>) out.structured().get("items");
        assertThat(items).hasSizeLessThanOrEqualTo(spec.maxResults());
        assertThat(out.structured()).containsEntry("count", items.size());
        @SuppressWarnings("unchecked")
        Map<String, Object> itemProps = (Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>)
            ((Map<String, Object>) spec.outputSchema().get("properties")).get("items")).get("items")).get("properties");
        for (Object item : items) {
          // minimum necessary: only the documented fields leave the server
          assertThat(((Map<?, ?>) item).keySet()).allMatch(itemProps::containsKey);
        }
        if (!tool.equals("get_allergies") && !tool.equals("get_patient_consents")) { // the fixture gives A neither
          assertThat(items).as("fixture patient A has %s data", spec.resourceType()).isNotEmpty();
        }
      }
      case ResultShape.Single single -> assertThat(out.structured()).containsKey(single.key());
    }
  }

  @Test
  void findPatientByFamilyAndBirthdateFindsTheFixturePatient() {
    Patient a = fx.patient(PATIENT_A);
    ToolOutcome out = pipeline.handle(call(user("dr-who"), "find_patient",
        Map.of("family", a.getNameFirstRep().getFamily(), "birthdate", a.getBirthDateElement().getValueAsString())));
    assertThat(out.isError()).as(out.text()).isFalse();
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> items = (List<Map<String, Object>>) out.structured().get("items");
    assertThat(items).extracting(i -> i.get("id")).contains(PATIENT_A);
    assertThat(items).allSatisfy(i -> assertThat(i.keySet()).isSubsetOf("id", "name", "gender", "birthDate"));
  }

  @Test
  void getEncounterReturnsTheRequestedEncounter() {
    String encounterId = fx.encounterIds(PATIENT_A).get(3);
    ToolOutcome out = pipeline.handle(call(user("dr-who"), "get_encounter",
        Map.of("patient_id", PATIENT_A, "encounter_id", encounterId)));
    assertThat(out.isError()).as(out.text()).isFalse();
    assertThat(out.structured()).containsEntry("patient_id", PATIENT_A);
    assertThat(((Map<?, ?>) out.structured().get("encounter")).get("id")).isEqualTo(encounterId);
  }

  @Test
  void listsRespectTheRequestedLimitAndTheToolMaximum() {
    // patient A has 517 laboratory observations
    ToolOutcome seven = pipeline.handle(call(user("dr-who"), "get_lab_results", Map.of("patient_id", PATIENT_A, "limit", 7)));
    assertThat(seven.isError()).as(seven.text()).isFalse();
    assertThat((List<?>) seven.structured().get("items")).hasSize(7);
    assertThat(seven.structured()).containsKey("next_cursor");

    ToolOutcome max = pipeline.handle(call(user("dr-who"), "get_lab_results", Map.of("patient_id", PATIENT_A, "limit", 50)));
    assertThat((List<?>) max.structured().get("items")).hasSize(50);

    ToolOutcome byDefault = pipeline.handle(call(user("dr-who"), "get_lab_results", Map.of("patient_id", PATIENT_A)));
    assertThat((List<?>) byDefault.structured().get("items")).hasSize(20);
  }

  @Test
  void clinicalNotesAreAtMostFivePerPageAndFenced() {
    // patient A has 34 notes; the tool's maximum page is 5
    ToolOutcome out = pipeline.handle(call(user("dr-who"), "get_clinical_notes", Map.of("patient_id", PATIENT_A)));
    assertThat(out.isError()).as(out.text()).isFalse();
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> items = (List<Map<String, Object>>) out.structured().get("items");
    // A page holds 5 notes; a note in a 42 CFR Part 2 category is withheld (and counted) for a clinician.
    assertThat(items.size() + PipelineFixture.withheld(out)).isEqualTo(5);
    assertThat(out.structured()).containsKey("next_cursor");
    assertThat(items).allSatisfy(i -> assertThat((String) i.get("text"))
        .startsWith(UntrustedText.FENCE_BEGIN + "\n").endsWith("\n" + UntrustedText.FENCE_END));
  }

  @Test
  void followingACursorReturnsTheNextPage() {
    Map<String, Object> first = pipeline.handle(call(user("dr-who"), "list_encounters",
        Map.of("patient_id", PATIENT_A, "limit", 10))).structured();
    String cursor = (String) first.get("next_cursor");
    assertThat(cursor).matches("[A-Za-z0-9_-]{22}");
    ToolOutcome second = pipeline.handle(call(user("dr-who"), "list_encounters",
        Map.of("patient_id", PATIENT_A, "limit", 10, "cursor", cursor)));
    assertThat(second.isError()).as(second.text()).isFalse();
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> page1 = (List<Map<String, Object>>) first.get("items");
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> page2 = (List<Map<String, Object>>) second.structured().get("items");
    assertThat(page2).isNotEmpty();
    assertThat(page2).extracting(i -> i.get("id")).doesNotContainAnyElementsOf(page1.stream().map(i -> i.get("id")).toList());
  }

  @Test
  void aGranularScopeDoesNotGrantUnconstrainedRead() {
    ToolOutcome out = pipeline.handle(call(user("dr-who", "user/Observation.rs?category=laboratory"), "get_lab_results",
        Map.of("patient_id", PATIENT_A)));
    assertThat(out.error()).isEqualTo(ToolCallException.Reason.INSUFFICIENT_SCOPE);
  }

  @Test
  void unknownToolIsRefused() {
    ToolOutcome out = pipeline.handle(call(user("dr-who"), "delete_patient", Map.of("patient_id", PATIENT_A)));
    assertThat(out.error()).isEqualTo(ToolCallException.Reason.UNKNOWN_TOOL);
    assertThat(out.structured()).isNull();
  }
}
