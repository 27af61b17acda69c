package io.custos.pipeline;

import static io.custos.pipeline.PipelineFixture.PATIENT_A;
import static io.custos.pipeline.PipelineFixture.PATIENT_B;
import static io.custos.pipeline.PipelineFixture.call;
import static io.custos.pipeline.PipelineFixture.patientBound;
import static io.custos.pipeline.PipelineFixture.phases;
import static io.custos.pipeline.PipelineFixture.readAudit;
import static io.custos.pipeline.PipelineFixture.user;
import static org.assertj.core.api.Assertions.assertThat;

import io.custos.audit.JsonLinesAuditTrail;
import io.custos.auth.Caller;
import io.custos.tools.ToolCatalog;
import io.custos.tools.ToolSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Patient-bound tokens read only their own patient; compartments and cursors cannot be crossed. */
class PatientBindingTest extends PipelineTestBase {

  final Caller boundToA = patientBound("patient-a", PATIENT_A);

  static Stream<String> patientTools() {
    return ToolCatalog.readTools().tools().stream().filter(ToolSpec::patientScoped).map(ToolSpec::name);
  }

  private Map<String, Object> extraArgs(String tool) {
    Map<String, Object> args = new HashMap<>();
    if (tool.equals("get_encounter")) {
      args.put("encounter_id", fx.encounterIds(PATIENT_A).get(0));
    }
    return args;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("patientTools")
  void withoutPatientIdTheTokensPatientIsRead(String tool) {
    ToolOutcome out = pipeline.handle(call(boundToA, tool, extraArgs(tool)));
    assertThat(out.isError()).as(out.text()).isFalse();
    assertThat(out.structured()).containsEntry("patient_id", PATIENT_A);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("patientTools")
  void anotherPatientIdIsForbidden(String tool) throws IOException {
    Map<String, Object> args = extraArgs(tool);
    args.put("patient_id", PATIENT_B);
    ToolOutcome out = pipeline.handle(call(boundToA, tool, args));
    assertThat(out.error()).isEqualTo(ToolCallException.Reason.FORBIDDEN);
    assertThat(out.structured()).isNull();
    assertThat(out.text()).doesNotContain(PATIENT_B);
    assertThat(phases(readAudit(auditFile))).containsExactly("DENIED");
  }

  @Test
  void theTokensOwnPatientIdIsAllowed() {
    ToolOutcome out = pipeline.handle(call(boundToA, "get_patient_demographics", Map.of("patient_id", PATIENT_A)));
    assertThat(out.isError()).as(out.text()).isFalse();
    assertThat(((Map<?, ?>) out.structured().get("patient")).get("id")).isEqualTo(PATIENT_A);
  }

  @Test
  void aUserLevelTokenMustNameThePatient() {
    ToolOutcome out = pipeline.handle(call(user("dr-a"), "get_active_conditions", Map.of()));
    assertThat(out.error()).isEqualTo(ToolCallException.Reason.INVALID_ARGUMENTS);
  }

  @Test
  void patientScopesWithoutLaunchContextAreForbidden() {
    Caller noContext = new Caller("patient-x", "test-client", java.util.Optional.empty(), java.util.Set.of(),
        java.util.Set.of("patient/*.rs"), java.util.Optional.empty(), false, "h", java.time.Instant.now().plusSeconds(600));
    ToolOutcome out = pipeline.handle(call(noContext, "get_active_conditions", Map.of("patient_id", PATIENT_A)));
    assertThat(out.error()).isEqualTo(ToolCallException.Reason.FORBIDDEN);
  }

  @Test
  void patientScopeDoesNotAllowPatientSearch() {
    ToolOutcome out = pipeline.handle(call(boundToA, "find_patient", Map.of("identifier", "123")));
    assertThat(out.error()).isEqualTo(ToolCallException.Reason.FORBIDDEN);
  }

  @Test
  void encounterOfAnotherPatientIsNotFoundInTheBoundCompartment() {
    String encounterOfB = fx.encounterIds(PATIENT_B).get(0);
    ToolOutcome bound = pipeline.handle(call(boundToA, "get_encounter", Map.of("encounter_id", encounterOfB)));
    assertThat(bound.error()).isEqualTo(ToolCallException.Reason.NOT_FOUND);
    assertThat(bound.text()).doesNotContain(encounterOfB);

    // the same holds for a user-level token that names patient A
    ToolOutcome clinician = pipeline.handle(call(user("dr-a"), "get_encounter",
        Map.of("patient_id", PATIENT_A, "encounter_id", encounterOfB)));
    assertThat(clinician.error()).isEqualTo(ToolCallException.Reason.NOT_FOUND);

    // while naming the right patient returns it
    ToolOutcome right = pipeline.handle(call(user("dr-a"), "get_encounter",
        Map.of("patient_id", PATIENT_B, "encounter_id", encounterOfB)));
    assertThat(right.isError()).as(right.text()).isFalse();
  }

  @Test
  void aCursorIsBoundToItsPatientSubjectAndTool() {
    ToolOutcome first = pipeline.handle(call(boundToA, "get_lab_results", Map.of("limit", 5)));
    assertThat(first.isError()).as(first.text()).isFalse();
    String cursor = (String) first.structured().get("next_cursor");
    assertThat(cursor).isNotNull();

    // the owner can follow it
    ToolOutcome next = pipeline.handle(call(boundToA, "get_lab_results", Map.of("limit", 5, "cursor", cursor)));
    assertThat(next.isError()).as(next.text()).isFalse();
    assertThat(next.structured()).containsEntry("patient_id", PATIENT_A);
    assertThat((List<?>) next.structured().get("items")).hasSize(5);

    // same subject, token bound to patient B
    ToolOutcome otherPatient = pipeline.handle(call(patientBound("patient-a", PATIENT_B), "get_lab_results",
        Map.of("limit", 5, "cursor", cursor)));
    assertThat(otherPatient.error()).isEqualTo(ToolCallException.Reason.INVALID_ARGUMENTS);

    // same subject, user-level token, naming patient B
    ToolOutcome otherPatientByArgument = pipeline.handle(call(user("patient-a"), "get_lab_results",
        Map.of("patient_id", PATIENT_B, "cursor", cursor)));
    assertThat(otherPatientByArgument.error()).isEqualTo(ToolCallException.Reason.INVALID_ARGUMENTS);

    // another subject bound to the same patient
    ToolOutcome otherSubject = pipeline.handle(call(patientBound("someone-else", PATIENT_A), "get_lab_results",
        Map.of("limit", 5, "cursor", cursor)));
    assertThat(otherSubject.error()).isEqualTo(ToolCallException.Reason.INVALID_ARGUMENTS);

    // another tool reading the same resource type
    ToolOutcome otherTool = pipeline.handle(call(boundToA, "get_vital_signs", Map.of("limit", 5, "cursor", cursor)));
    assertThat(otherTool.error()).isEqualTo(ToolCallException.Reason.INVALID_ARGUMENTS);

    // a made-up cursor
    ToolOutcome forged = pipeline.handle(call(boundToA, "get_lab_results", Map.of("cursor", "AAAAAAAAAAAAAAAAAAAAAA")));
    assertThat(forged.error()).isEqualTo(ToolCallException.Reason.INVALID_ARGUMENTS);
  }
}
