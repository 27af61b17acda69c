package io.custos.pipeline;

import static io.custos.pipeline.PipelineFixture.ALL_PATIENTS;
import static io.custos.pipeline.PipelineFixture.PATIENT_A;
import static io.custos.pipeline.PipelineFixture.PATIENT_B;
import static io.custos.pipeline.PipelineFixture.call;
import static io.custos.pipeline.PipelineFixture.phases;
import static io.custos.pipeline.PipelineFixture.pseudonym;
import static io.custos.pipeline.PipelineFixture.readAudit;
import static io.custos.pipeline.PipelineFixture.user;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.custos.audit.JsonLinesAuditTrail;
import io.custos.auth.Caller;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The audit events each call leaves in the JSON Lines trail, read back from the file. */
class PipelineAuditTest extends PipelineTestBase {


  static String sha256(String s) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void allowedCallWritesIntentThenResultWithTheSameCallId() throws Exception {
    Caller caller = user("dr-house");
    ToolOutcome out = pipeline.handle(call(caller, "get_active_conditions", Map.of("patient_id", PATIENT_A)));
    assertThat(out.isError()).as(out.text()).isFalse();

    List<JsonNode> events = readAudit(auditFile);
    assertThat(phases(events)).containsExactly("INTENT", "RESULT");
    JsonNode intent = events.get(0);
    JsonNode result = events.get(1);
    assertThat(intent.get("callId").asText()).isNotBlank().isEqualTo(result.get("callId").asText());
    assertThat(intent.get("eventId").asText()).isNotEqualTo(result.get("eventId").asText());

    assertThat(intent.get("outcome").asText()).isEqualTo("intent");
    assertThat(intent.get("recordCount").asInt()).isZero();
    assertThat(intent.get("resultSha256").isNull()).isTrue();

    assertThat(result.get("outcome").asText()).isEqualTo("success");
    assertThat(result.get("recordCount").asInt()).isEqualTo(((List<?>) out.structured().get("items")).size()).isPositive();
    assertThat(result.get("resultSha256").asText()).isEqualTo(sha256(out.text()));

    for (JsonNode e : events) {
      assertThat(e.get("subject").asText()).isEqualTo("dr-house");
      assertThat(e.get("clientId").asText()).isEqualTo("test-client");
      assertThat(e.get("fhirUser").asText()).isEqualTo("Practitioner/dr-house");
      assertThat(e.get("tokenIdHash").asText()).isEqualTo("tokhash-dr-house");
      assertThat(e.get("sessionId").asText()).isEqualTo("session-1");
      assertThat(e.get("sourceAddress").asText()).isEqualTo("127.0.0.1");
      assertThat(e.get("tool").asText()).isEqualTo("get_active_conditions");
      assertThat(e.get("resourceType").asText()).isEqualTo("Condition");
      assertThat(e.get("scope").asText()).isEqualTo("user/*.rs");
      assertThat(e.get("patientRefs")).hasSize(1);
      assertThat(e.get("patientRefs").get(0).asText()).isEqualTo(pseudonym(PATIENT_A));
    }
  }

  @Test
  void singleResultCallRecordsOneRecord() throws Exception {
    ToolOutcome out = pipeline.handle(call(user("dr-house"), "get_patient_demographics", Map.of("patient_id", PATIENT_A)));
    assertThat(out.isError()).as(out.text()).isFalse();
    List<JsonNode> events = readAudit(auditFile);
    assertThat(phases(events)).containsExactly("INTENT", "RESULT");
    assertThat(events.get(1).get("recordCount").asInt()).isEqualTo(1);
    assertThat(events.get(1).get("resultSha256").asText()).isEqualTo(sha256(out.text()));
  }

  @Test
  void unauthenticatedCallWritesExactlyOneDeniedEvent() throws Exception {
    ToolOutcome out = pipeline.handle(call(null, "get_active_conditions", Map.of("patient_id", PATIENT_A)));
    assertThat(out.error()).isEqualTo(ToolCallException.Reason.UNAUTHENTICATED);

    List<JsonNode> events = readAudit(auditFile);
    assertThat(phases(events)).containsExactly("DENIED");
    assertThat(events.get(0).get("outcome").asText()).isEqualTo("unauthenticated");
    assertThat(events.get(0).get("subject").asText()).isEqualTo("anonymous");
    assertThat(events.get(0).get("recordCount").asInt()).isZero();
    assertThat(events.get(0).get("resultSha256").isNull()).isTrue();
  }

  @Test
  void missingScopeWritesExactlyOneDeniedInsufficientScopeEvent() throws Exception {
    ToolOutcome out = pipeline.handle(call(user("dr-house", "user/Patient.rs", "openid"), "get_active_conditions",
        Map.of("patient_id", PATIENT_A)));
    assertThat(out.error()).isEqualTo(ToolCallException.Reason.INSUFFICIENT_SCOPE);

    List<JsonNode> events = readAudit(auditFile);
    assertThat(phases(events)).containsExactly("DENIED");
    assertThat(events.get(0).get("outcome").asText()).isEqualTo("insufficient_scope");
    assertThat(events.get(0).get("subject").asText()).isEqualTo("dr-house");
    assertThat(events.get(0).get("scope").isNull()).isTrue();
  }

  @Test
  void invalidArgumentsWriteIntentAndResultInvalidArguments() throws Exception {
    ToolOutcome out = pipeline.handle(call(user("dr-house"), "list_encounters",
        Map.of("patient_id", PATIENT_A, "date_from", "2024-02-31")));
    assertThat(out.error()).isEqualTo(ToolCallException.Reason.INVALID_ARGUMENTS);

    List<JsonNode> events = readAudit(auditFile);
    assertThat(phases(events)).containsExactly("INTENT", "RESULT");
    assertThat(events.get(0).get("callId").asText()).isEqualTo(events.get(1).get("callId").asText());
    assertThat(events.get(1).get("outcome").asText()).isEqualTo("invalid_arguments");
    assertThat(events.get(1).get("recordCount").asInt()).isZero();
    assertThat(events.get(1).get("resultSha256").isNull()).isTrue();
  }

  @Test
  void unknownPatientWritesIntentAndResultNotFound() throws Exception {
    String unknown = "00000000-0000-0000-0000-000000000000";
    for (String tool : List.of("get_active_conditions", "get_patient_demographics")) {
      ToolOutcome out = pipeline.handle(call(user("dr-house"), tool, Map.of("patient_id", unknown)));
      assertThat(out.error()).as(tool).isEqualTo(ToolCallException.Reason.NOT_FOUND);
      assertThat(out.text()).doesNotContain(unknown);
    }
    List<JsonNode> events = readAudit(auditFile);
    assertThat(phases(events)).containsExactly("INTENT", "RESULT", "INTENT", "RESULT");
    assertThat(events.get(1).get("outcome").asText()).isEqualTo("not_found");
    assertThat(events.get(3).get("outcome").asText()).isEqualTo("not_found");
    assertThat(events).allSatisfy(e -> assertThat(e.get("patientRefs").get(0).asText()).isEqualTo(pseudonym(unknown)));
    assertThat(Files.readString(auditFile)).doesNotContain(unknown);
  }

  @Test
  void auditFileHoldsNoPatientIdsOrNamesOnlyPseudonyms() throws Exception {
    Caller doc = user("dr-house");
    Patient a = fx.patient(PATIENT_A);
    pipeline.handle(call(doc, "find_patient", Map.of("family", a.getNameFirstRep().getFamily(),
        "given", a.getNameFirstRep().getGivenAsSingleString().split(" ")[0],
        "birthdate", a.getBirthDateElement().getValueAsString())));
    for (String patient : ALL_PATIENTS) {
      pipeline.handle(call(doc, "get_patient_demographics", Map.of("patient_id", patient)));
      pipeline.handle(call(doc, "list_encounters", Map.of("patient_id", patient, "limit", 3)));
      pipeline.handle(call(doc, "get_clinical_notes", Map.of("patient_id", patient, "limit", 1)));
    }
    pipeline.handle(call(doc, "get_encounter", Map.of("patient_id", PATIENT_A, "encounter_id", fx.encounterIds(PATIENT_B).get(0))));
    pipeline.handle(call(PipelineFixture.patientBound("pt-1", PATIENT_A), "get_allergies", Map.of("patient_id", PATIENT_B)));
    pipeline.handle(call(null, "get_allergies", Map.of("patient_id", PATIENT_B)));

    String audit = Files.readString(auditFile);
    List<JsonNode> events = readAudit(auditFile);
    assertThat(events).hasSizeGreaterThanOrEqualTo(2 + ALL_PATIENTS.size() * 6);
    for (String id : ALL_PATIENTS) {
      assertThat(audit).doesNotContain(id);
    }
    List<String> names = fx.allPatientNames();
    assertThat(names).isNotEmpty();
    for (String name : names) {
      assertThat(audit).doesNotContainIgnoringCase(name);
    }
    assertThat(audit).doesNotContain(a.getBirthDateElement().getValueAsString());
    for (JsonNode e : events) {
      for (JsonNode ref : e.get("patientRefs")) {
        assertThat(ref.asText()).matches("pt_[0-9a-f]{32}");
      }
    }
  }

  @Test
  void unknownToolIsDeniedAndAttributedToTheAuthenticatedCaller() throws Exception {
    ToolOutcome out = pipeline.handle(call(user("dr-house"), "export_everything", Map.of("patient_id", PATIENT_A)));
    assertThat(out.error()).isEqualTo(ToolCallException.Reason.UNKNOWN_TOOL);

    List<JsonNode> events = readAudit(auditFile);
    assertThat(phases(events)).containsExactly("DENIED");
    assertThat(events.get(0).get("outcome").asText()).isEqualTo("unknown_tool");
    assertThat(events.get(0).get("subject").asText()).isEqualTo("dr-house");
    // An undeclared name could hold anything (even an identifier): it is never written to the trail.
    assertThat(events.get(0).get("tool").asText()).isEqualTo("(undeclared)");
    assertThat(events.get(0).toString()).doesNotContain("export_everything");
    assertThat(events.get(0).get("resourceType").isNull()).isTrue();
  }

  @Test
  void aPatientUsersFhirUserIsRecordedAsAPseudonym() throws Exception {
    for (String fhirUser : List.of("Patient/" + PATIENT_A, "https://ehr.example.org/fhir/Patient/" + PATIENT_A)) {
      Caller patientUser = new Caller("patient-a", "test-client", java.util.Optional.of(fhirUser), java.util.Set.of("patient"),
          java.util.Set.of("patient/*.rs"), java.util.Optional.of(PATIENT_A), true, "h", java.time.Instant.now().plusSeconds(600));
      assertThat(pipeline.handle(call(patientUser, "get_immunizations", Map.of())).isError()).isFalse();
    }
    List<JsonNode> events = readAudit(auditFile);
    assertThat(events).hasSize(4)
        .allSatisfy(e -> assertThat(e.get("fhirUser").asText()).isEqualTo(pseudonym(PATIENT_A)));
    assertThat(Files.readString(auditFile)).doesNotContain(PATIENT_A);
  }
}
