package io.custos.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.custos.tools.ToolCatalog;
import io.modelcontextprotocol.json.schema.jackson2.DefaultJsonSchemaValidator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Validator output becomes sentences naming the argument and the bound, never the value. */
class SchemaMessagesTest {
  private static final DefaultJsonSchemaValidator VALIDATOR = new DefaultJsonSchemaValidator(new ObjectMapper());
  private static final ToolCatalog CATALOG = ToolCatalog.readTools();

  /** The sentence for {@code args} against {@code tool}'s input schema (the arguments must be invalid). */
  private static String message(String tool, Map<String, Object> args) {
    Map<String, Object> schema = CATALOG.find(tool).orElseThrow().inputSchema();
    return message(schema, args);
  }

  private static String message(Map<String, Object> schema, Map<String, Object> args) {
    var response = VALIDATOR.validate(schema, args);
    assertThat(response.valid()).as("%s must be invalid", args).isFalse();
    return SchemaMessages.summarize(response.errorMessage(), schema);
  }

  @Test
  void missingAlternativesReadAsOneSentence() {
    assertThat(message("find_patient", Map.of("family", "Schuster709"))).isEqualTo("Give family and birthdate, or identifier.");
    assertThat(message("find_patient", Map.of("gender", "female"))).isEqualTo("Give family and birthdate, or identifier.");
  }

  @Test
  void aPatternFailureNamesTheArgumentAndItsDescribedFormNotTheValue() {
    String m = message("find_patient", Map.of("identifier", "http://hl7.org/fhir/sid/us-ssn|", "gender", "female"));
    assertThat(m).startsWith("identifier is not in the accepted form (A complete identifier such as an MRN: system|value")
        .doesNotContain("us-ssn").doesNotContain("female").doesNotContain("regex").doesNotContain("^");
    assertThat(message("find_patient", Map.of("family", "Sm*"))).isEqualTo(
        "family is not in the accepted form (Family name, matched exactly as recorded (FHIR :exact, case-sensitive)). "
            + "Give family and birthdate, or identifier.");
  }

  @Test
  void boundsAreNamed() {
    String a = "79590754-4679-dafd-8aab-103706580fff";
    assertThat(message("get_lab_results", Map.of("patient_id", a, "limit", 51))).isEqualTo("limit must be at most 50.");
    assertThat(message("get_lab_results", Map.of("patient_id", a, "limit", 0))).isEqualTo("limit must be at least 1.");
    assertThat(message("get_lab_results", Map.of("patient_id", a, "limit", "fifty-one"))).isEqualTo("limit must be an integer.");
    assertThat(message("find_patient", Map.of("identifier", "A".repeat(201))))
        .contains("identifier must be at most 200 characters long.").doesNotContain("AAA");
    assertThat(message("get_medications", Map.of("patient_id", a, "status", "Dennise990")))
        .isEqualTo("status must be one of: active, on-hold, completed, stopped, cancelled, any.");
    assertThat(message("get_encounter", Map.of("patient_id", a))).isEqualTo("encounter_id is required.");
  }

  @Test
  void anUnknownArgumentIsNotRepeatedButTheDeclaredOnesAreListed() {
    Map<String, Object> args = new LinkedHashMap<>();
    args.put("patient_id", "79590754-4679-dafd-8aab-103706580fff");
    args.put("ssn_999_12_3456", "x");
    assertThat(message("get_allergies", args)).isEqualTo(
        "Remove arguments this tool does not take (it takes: patient_id, limit, cursor).").doesNotContain("ssn");
  }

  @Test
  void nestedArgumentsAndArrayBoundsAreNamedByPath() {
    Map<String, Object> answer = Map.of("type", "object", "properties", Map.of("link_id",
        Map.of("type", "string", "minLength", 1)), "additionalProperties", false);
    Map<String, Object> schema = Map.of("type", "object", "additionalProperties", false, "properties", Map.of(
        "answers", Map.of("type", "array", "maxItems", 2, "uniqueItems", true, "items", answer)));
    assertThat(message(schema, Map.of("answers", List.of(Map.of("link_id", ""))))).isEqualTo("answers[0].link_id must not be empty.");
    assertThat(message(schema, Map.of("answers", List.of(Map.of("link_id", "a"), Map.of("link_id", "b"), Map.of("link_id", "c")))))
        .isEqualTo("answers may have at most 2 items.");
    assertThat(message(schema, Map.of("answers", List.of(Map.of("link_id", "a"), Map.of("link_id", "a")))))
        .isEqualTo("answers must not repeat items.");
  }

  @Test
  void withoutASchemaOrAMessageTheTextStaysGenericAndValueFree() {
    assertThat(SchemaMessages.summarize(null)).isEqualTo("The arguments are not valid.");
    assertThat(SchemaMessages.summarize("Validation failed: something new about 'Schuster709'"))
        .isEqualTo("The arguments are not valid.");
    assertThat(SchemaMessages.summarize("JSON schema validation errors: [/status: does not have a value in the enumeration "
        + "[\"active\", \"any\"], : property 'Dennise990' is not defined in the schema and the schema does not allow "
        + "additional properties]")).isEqualTo(
        "status must be one of the values the tool's input schema lists. Remove arguments this tool does not take.");
  }
}
