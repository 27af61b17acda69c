package io.custos.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelcontextprotocol.json.schema.jackson2.DefaultJsonSchemaValidator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The tool catalog as data: strict, read-only, scoped, minimum-necessary; the policy document mirrors it. */
class ToolCatalogTest {
  static final ToolCatalog CATALOG = ToolCatalog.readTools();

  static Stream<ToolSpec> tools() {
    return CATALOG.tools().stream();
  }

  @Test
  void declaresTheFourteenReadTools() {
    assertThat(CATALOG.tools()).extracting(ToolSpec::name).containsExactly("find_patient", "get_patient_demographics",
        "get_active_conditions", "get_medications", "get_allergies", "get_lab_results", "get_vital_signs",
        "get_immunizations", "list_encounters", "get_encounter", "check_coverage", "list_appointments",
        "get_clinical_notes", "get_patient_consents");
    assertThat(CATALOG.find("get_lab_results")).isPresent();
    assertThat(CATALOG.find("nope")).isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("tools")
  void everyToolIsStrictReadOnlyScopedAndMinimal(ToolSpec t) {
    assertThat(t.name()).matches("[a-z][a-z_]+");
    assertThat(t.title()).isNotBlank();
    assertThat(t.description()).isNotBlank();

    assertThat(t.inputSchema()).containsEntry("type", "object").containsEntry("additionalProperties", false);
    assertThat(t.inputSchema().get("properties")).isInstanceOf(Map.class);
    assertThat(t.outputSchema()).isNotEmpty().containsEntry("type", "object").containsKey("properties");

    assertThat(t.hints().readOnly()).isTrue();
    assertThat(t.hints().destructive()).isFalse();
    assertThat(t.hints().idempotent()).isTrue();

    assertThat(t.requiredScopes()).isNotEmpty()
        .allSatisfy(s -> assertThat(s).matches("(patient|user|system)/" + t.resourceType() + "\\.rs"));
    assertThat(t.requiredScopes()).noneMatch(s -> s.contains("*"));

    assertThat(t.allowedElements()).isNotEmpty().doesNotHaveDuplicates()
        .allSatisfy(e -> assertThat(e).startsWith(t.resourceType() + "."));
    assertThat(t.maxResults()).isBetween(1, 50);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("tools")
  void schemasAreValidJsonSchemas(ToolSpec t) {
    var validator = new DefaultJsonSchemaValidator(new ObjectMapper());
    assertThat(validator.validateSchema(t.inputSchema()).valid()).isTrue();
    assertThat(validator.validateSchema(t.outputSchema()).valid()).isTrue();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("tools")
  void patientToolsTakeAPatientIdAndListToolsAreBoundedAndPaged(ToolSpec t) {
    @SuppressWarnings("unchecked")
    Map<String, Object> props = (Map<String, Object>) t.inputSchema().get("properties");
    if (t.patientScoped()) {
      assertThat(props).containsKey("patient_id");
    } else {
      assertThat(t.name()).isEqualTo("find_patient");
      assertThat(t.requiredScopes()).noneMatch(s -> s.startsWith("patient/"));
    }
    if (props.containsKey("limit")) {
      @SuppressWarnings("unchecked")
      Map<String, Object> limit = (Map<String, Object>) props.get("limit");
      assertThat(limit).containsEntry("maximum", t.maxResults()).containsEntry("minimum", 1);
      assertThat(props).containsKey("cursor");
    }
    if (props.containsKey("date_from")) {
      assertThat(t.maxDateRangeDays()).isEqualTo(3653);
    }
  }

  @Test
  void policyDocumentListsEveryTool() {
    Map<String, Object> doc = PolicyDocument.of(io.custos.routes.TestPaths.registry());
    assertThat((String) doc.get("policy")).contains("deny unless allowed");
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> all = (List<Map<String, Object>>) doc.get("declarations");
    // The clinical catalog first, then every other declaration of the registry.
    List<Map<String, Object>> tools = all.subList(0, CATALOG.tools().size());
    assertThat(tools).extracting(m -> m.get("name")).containsExactlyElementsOf(CATALOG.tools().stream().map(ToolSpec::name).toList());
    assertThat(all).extracting(m -> m.get("name")).containsExactlyElementsOf(
        io.custos.routes.TestPaths.registry().all().stream().map(io.custos.tools.Declaration::name).toList());
    for (Map<String, Object> m : tools) {
      ToolSpec t = CATALOG.find((String) m.get("name")).orElseThrow();
      assertThat(m).containsEntry("resourceType", t.resourceType()).containsEntry("readOnly", true)
          .containsEntry("requiredScopes", t.requiredScopes()).containsEntry("allowedElements", t.allowedElements())
          .containsEntry("maxResultsPerPage", t.maxResults());
      assertThat((String) m.get("patientBinding")).isEqualTo(
          t.patientPath().map(p -> t.resourceType() + "." + p).orElse("none (not patient-scoped)"));
    }
  }
}
