package io.custos.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.custos.audit.JsonLinesAuditTrail;
import io.custos.auth.Caller;
import io.custos.emergency.EmergencyAccess;
import io.custos.policy.AccessControl;
import io.custos.policy.AlertSink;
import io.custos.policy.BreakGlass;
import io.custos.policy.FhirCareRelationship;
import io.custos.policy.RolePolicy;
import io.custos.policy.ScopeCheck;
import io.custos.routes.TestPaths;
import io.custos.tools.Declaration;
import io.custos.writes.WriteStages;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Regressions from an outside attack run on the governed path, with care relationships required and every upstream
 * request counted: malformed patient ids never reach the FHIR server and are audited as refusals; rate limits hold
 * on every transport; break-the-glass needs a clinical scope and an existing patient; self-approval cannot be slipped
 * past by a token without a client id; a cached care relationship belongs to the practitioner it was decided for.
 */
class GovernedPathRegressionTest {
  static PipelineFixture fixture;

  @TempDir
  Path dir;
  Path auditFile;
  CountingUpstream counting;
  final List<AlertSink.Alert> alerts = Collections.synchronizedList(new ArrayList<>());
  GovernancePipeline pipeline;
  /** The practitioner who cares for the fixture's patient A. */
  static String practitioner;

  @BeforeAll
  static void start() {
    fixture = PipelineFixture.start();
    practitioner = fixture.store.repository().forPatient("Encounter", PipelineFixture.PATIENT_A).stream()
        .map(e -> ((org.hl7.fhir.r4.model.Encounter) e).getParticipantFirstRep().getIndividual().getReference())
        .filter(r -> r != null && r.contains("Practitioner/")).findFirst().orElseThrow();
  }

  @AfterAll
  static void stop() {
    fixture.close();
  }

  @BeforeEach
  void build() throws Exception {
    auditFile = dir.resolve("audit.jsonl");
    Clock clock = Clock.systemUTC();
    counting = new CountingUpstream(fixture.upstream);
    AccessControl access = new AccessControl(RolePolicy.of(null, TestPaths.registry().toolNames()), new ScopeCheck(Set.of()),
        new FhirCareRelationship(counting, clock, Duration.ofMinutes(5)), true, true,
        new BreakGlass(clock, Duration.ofMinutes(60), io.custos.state.InProcessStateStore.builder().clock(clock).build().grants()), Set.of("clinician"));
    pipeline = TestPaths.pipeline(TestPaths.stages(new JsonLinesAuditTrail(auditFile), counting, clock, access)
        .rateLimits(new io.custos.policy.RateLimits(120, io.custos.state.InProcessStateStore.builder().clock(clock).build().rateLimitBuckets())).alerts(alerts::add));
  }

  static Caller clinician(String subject, String fhirUser, String clientId, String... scopes) {
    return new Caller(subject, clientId, Optional.of(fhirUser), Set.of("clinician"),
        Set.of(scopes.length == 0 ? new String[] {"user/*.cruds"} : scopes), Optional.empty(), true, "tok-" + subject,
        Instant.now().plusSeconds(600), Optional.of(Instant.now()), Optional.empty());
  }

  ToolOutcome call(Caller c, String tool, Map<String, Object> args) {
    return pipeline.handle(new ToolCall(tool, args, Optional.of(c), "s", "stdio"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"A,B", "abc\n", "abc\u0000", "\uD800abc", "abc def", "a|b", "*", "", "../Patient/x", "x?_include=*"})
  void malformedPatientIdsNeverReachTheUpstreamAndAreAuditedAsRefusals(String id) throws Exception {
    ToolOutcome out = call(clinician("dr-m", practitioner, "agent"), "get_active_conditions", Map.of("patient_id", id));
    assertThat(out.error()).isEqualTo(ToolCallException.Reason.INVALID_ARGUMENTS);
    assertThat(out.text()).doesNotContain(id.isEmpty() ? "\u0001" : id);
    assertThat(counting.calls).as("no upstream request for a malformed id").hasValue(0);
    List<JsonNode> events = PipelineFixture.readAudit(auditFile);
    assertThat(PipelineFixture.phases(events)).containsExactly("INTENT", "RESULT");
    assertThat(events.get(1).path("outcome").asText()).isEqualTo("invalid_arguments");
  }

  @ParameterizedTest
  @ValueSource(strings = {"no-such-patient", ".", ".."})
  void anUnknownPatientLooksLikeOneOutsideTheCallersCare(String id) {
    ToolOutcome out = call(clinician("dr-o", practitioner, "agent"), "get_allergies", Map.of("patient_id", id));
    assertThat(out.error()).as("no existence oracle").isEqualTo(ToolCallException.Reason.NO_CARE_RELATIONSHIP);
  }

  @Test
  void aLongIdIsInvalidNotAnUpstreamFailure() {
    ToolOutcome out = call(clinician("dr-l", practitioner, "agent"), "get_medications", Map.of("patient_id", "x".repeat(65)));
    assertThat(out.error()).isEqualTo(ToolCallException.Reason.INVALID_ARGUMENTS);
    assertThat(counting.calls).hasValue(0);
  }

  @Test
  void rateLimitsHoldWithoutHttp() {
    Caller c = clinician("dr-rate", practitioner, "agent");
    int limited = 0;
    for (int i = 0; i < 130; i++) {
      if (call(c, "get_allergies", Map.of("patient_id", PipelineFixture.PATIENT_A)).error() == ToolCallException.Reason.RATE_LIMITED) {
        limited++;
      }
    }
    // 120 per user per minute, half of it (60) per user and tool; the bucket refills greedily (one a second).
    assertThat(130 - limited).isBetween(60, 65);
  }

  @Test
  void breakTheGlassNeedsAClinicalScopeAndAnExistingPatient() throws Exception {
    String reason = "Unconscious patient in the emergency department, no relatives reachable";
    Caller noClinicalScope = clinician("dr-s", practitioner, "agent", "openid", "fhirUser");
    assertThat(call(noClinicalScope, EmergencyAccess.TOOL, Map.of("patient_id", PipelineFixture.PATIENT_B, "reason", reason)).error())
        .isEqualTo(ToolCallException.Reason.INSUFFICIENT_SCOPE);
    assertThat(call(clinician("dr-n", practitioner, "agent"), EmergencyAccess.TOOL, Map.of("patient_id", "no-such-patient",
        "reason", reason)).error()).isEqualTo(ToolCallException.Reason.NOT_FOUND);
    assertThat(alerts).isEmpty();
    ToolOutcome granted = call(clinician("dr-g", practitioner, "agent"), EmergencyAccess.TOOL,
        Map.of("patient_id", PipelineFixture.PATIENT_B, "reason", reason));
    assertThat(granted.isError()).as(granted.text()).isFalse();
    List<JsonNode> events = PipelineFixture.readAudit(auditFile).stream()
        .filter(e -> e.path("subject").asText().equals("dr-g")).toList();
    assertThat(PipelineFixture.phases(events)).containsExactly("INTENT", "RESULT");
    // The alert names the user and the durable ledger event it refers to.
    assertThat(alerts).singleElement().satisfies(a -> {
      assertThat(a.subject()).isEqualTo("dr-g");
      assertThat(a.evidenceEventIds()).containsExactly(events.get(1).path("eventId").asText());
      assertThat(a.rule()).isEqualTo("break-the-glass");
      // The ids survive the log masking (which hashes UUID-shaped values), so the alert line can be matched.
      assertThat(io.custos.phi.logging.PhiMasker.mask("event=" + a.evidenceEventIds().get(0) + " call=" + a.callId()))
          .isEqualTo("event=" + a.evidenceEventIds().get(0) + " call=" + a.callId());
    });
  }

  @Test
  void aTokenWithoutClientIdCannotApproveOnTheApprovalPage() {
    Caller agent = clinician("dr-w", practitioner, "agent");
    ToolOutcome p = call(agent, "draft_clinical_note", Map.of("patient_id", PipelineFixture.PATIENT_A, "title", "Follow-up",
        "text", "Doing well."));
    assertThat(p.isError()).as(p.text()).isFalse();
    Caller noClient = clinician("dr-w", practitioner, null);
    ToolOutcome decided = pipeline.handle(Declaration.Kind.OPERATION, new ToolCall(WriteStages.APPROVE,
        Map.of("proposal_id", p.structured().get("proposal_id"), "decision", "approve", "payload_sha256",
            p.structured().get("payload_sha256")), Optional.of(noClient), null, "127.0.0.1", ToolCall.Channel.APPROVAL_PAGE,
        Optional.empty()));
    assertThat(decided.error()).isEqualTo(ToolCallException.Reason.SELF_APPROVAL);
  }

  @Test
  void aCachedCareRelationshipBelongsToItsPractitioner() {
    Map<String, Object> args = Map.of("patient_id", PipelineFixture.PATIENT_A);
    assertThat(call(clinician("dr-c", practitioner, "agent"), "get_allergies", args).isError()).isFalse();
    // Same user, a token naming another practitioner: decided afresh, not served from the first answer.
    assertThat(call(clinician("dr-c", "Practitioner/someone-else", "agent"), "get_allergies", args).error())
        .isEqualTo(ToolCallException.Reason.NO_CARE_RELATIONSHIP);
  }

  @Test
  void anEmptyResultReadsThePatientOncePerUserNotOnEveryCall() {
    Map<String, Object> empty = Map.of("patient_id", PipelineFixture.PATIENT_A, "date_from", "1901-01-01",
        "date_to", "1901-01-31");
    ToolOutcome first = call(clinician("dr-e", practitioner, "agent"), "get_lab_results", empty);
    assertThat(first.isError()).isFalse();
    int afterFirst = counting.calls.get(); // care relationship, the patient's Consents, search, Patient read
    ToolOutcome again = call(clinician("dr-e", practitioner, "agent"), "get_lab_results", empty);
    assertThat(again.isError()).isFalse();
    assertThat(counting.calls.get() - afterFirst).as("only the search: the patient is known to exist").isEqualTo(1);
    // Another user learns nothing from the first one's reads: its own care relationship, Consents (read with its own
    // upstream credentials), search and Patient read.
    int beforeOther = counting.calls.get();
    assertThat(call(clinician("dr-f", practitioner, "agent"), "get_lab_results", empty).isError()).isFalse();
    assertThat(counting.calls.get() - beforeOther).isEqualTo(afterFirst);
    // An unknown patient is still not found on every call.
    assertThat(call(clinician("dr-e", practitioner, "agent"), "get_lab_results",
        Map.of("patient_id", "no-such-patient")).error()).isIn(ToolCallException.Reason.NOT_FOUND,
        ToolCallException.Reason.NO_CARE_RELATIONSHIP);
  }
}
