package io.custos.writes;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.FhirContext;
import io.custos.audit.AuditEvent;
import io.custos.audit.AuditTrail;
import io.custos.auth.Caller;
import io.custos.fhir.HapiFhirUpstream;
import io.custos.fhir.store.EmbeddedFhirStore;
import io.custos.fhir.store.InMemoryRepository;
import io.custos.pipeline.GovernancePipeline;
import io.custos.pipeline.ToolCall;
import io.custos.pipeline.ToolCallException;
import io.custos.pipeline.ToolOutcome;
import io.custos.tools.Declaration;
import io.custos.policy.TestAccess;
import io.custos.state.InProcessStateStore;
import io.custos.state.StateStore;
import java.net.URL;
import java.nio.file.Path;
import io.custos.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Appointment;
import org.hl7.fhir.r4.model.Claim;
import org.hl7.fhir.r4.model.ClaimResponse;
import org.hl7.fhir.r4.model.Communication;
import org.hl7.fhir.r4.model.DocumentReference;
import org.hl7.fhir.r4.model.QuestionnaireResponse;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Slot;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The write routes end to end at component level: the production pipeline over the embedded FHIR store (loaded with
 * the Synthea fixture) through the real HAPI client, with the real schema validator, role policy and an in-memory
 * audit trail.
 * (The MCP transport, elicitation over the wire and the approval endpoint are covered by {@code WritesIT}.)
 */
class WriteRoutesTest {
  static EmbeddedFhirStore store;
  static InMemoryRepository repo;
  static String patient;
  static String practitioner;
  static final ManualClock CLOCK = new ManualClock(Instant.parse("2026-01-01T08:00:00Z"));
  final List<AuditEvent> events = Collections.synchronizedList(new ArrayList<>());
  Writes writes;

  @BeforeAll
  static void startStore() throws Exception {
    URL url = WriteRoutesTest.class.getResource("/fixtures/synthea");
    store = EmbeddedFhirStore.builder().dataDirectory(Path.of(url.toURI())).referenceInstant(Instant.parse("2026-01-01T00:00:00Z"))
        .port(0).build().start();
    repo = store.repository();
    for (IBaseResource r : repo.all("Patient")) {
      String id = r.getIdElement().getIdPart();
      if (!repo.forPatient("Coverage", id).isEmpty() && !repo.forPatient("Condition", id).isEmpty()) {
        patient = id;
        break;
      }
    }
    practitioner = ((org.hl7.fhir.r4.model.Schedule) repo.all("Schedule").get(0)).getActorFirstRep().getReferenceElement().getIdPart();
    assertThat(patient).isNotNull();
  }

  @AfterAll
  static void stopStore() {
    store.close();
  }

  @BeforeEach
  void service() {
    CLOCK.set(Instant.parse("2026-01-01T08:00:00Z"));
    writes = service(new WriteSettings(false, Duration.ofMinutes(15), true));
  }

  Writes service(WriteSettings settings) {
    return service(settings, InProcessStateStore.builder().clock(CLOCK).build());
  }

  /** The write routes of one server whose server-side state is {@code state}. */
  Writes service(WriteSettings settings, StateStore state) {
    AuditTrail trail = new AuditTrail() {
      @Override
      public void append(AuditEvent event) {
        events.add(event);
      }

      @Override
      public void close() {}
    };
    var upstream = new HapiFhirUpstream(FhirContext.forR4Cached(), store.baseUrl(), Duration.ofSeconds(10), List.of());
    return new Writes(io.custos.routes.TestPaths.path(io.custos.routes.TestPaths.stages(trail, upstream, CLOCK,
        TestAccess.withoutCareRelationships(CLOCK)).cursors(state.cursors()).build(), state.proposals(), settings).pipeline(), settings);
  }

  /** The write routes as a client and a person at the approval page use them. */
  record Writes(GovernancePipeline pipeline, WriteSettings settings) {
    /** A write tool call; {@code ask} stands in for the client's elicitation dialog (null: the client has none). */
    ToolOutcome handle(ToolCall call, java.util.function.Function<String, Optional<Boolean>> ask) {
      ToolOutcome out = pipeline.handle(call);
      return ask == null || !settings.elicitationApproval() || out.isError() ? out
          : io.custos.mcp.ElicitedApproval.decide(pipeline, call, out, ask);
    }

    ToolOutcome status(ToolCall call) {
      return pipeline.handle(call);
    }

    /** A decision on the approval page. */
    ToolOutcome decide(Caller approver, String id, String decision, String sha, String source) {
      return pipeline.handle(Declaration.Kind.OPERATION, new ToolCall(WriteStages.APPROVE,
          Map.of("proposal_id", id, "decision", decision, "payload_sha256", sha), Optional.of(approver), null, source,
          ToolCall.Channel.APPROVAL_PAGE, Optional.empty()));
    }

    boolean visible(Optional<Caller> caller, String tool) {
      return pipeline.visible(caller, pipeline.registry().find(Declaration.Kind.TOOL, tool).orElseThrow());
    }
  }

  static Caller user(String sub, String client, String role, boolean mfa) {
    return new Caller(sub, client, Optional.of("Practitioner/" + practitioner), Set.of(role), Set.of("openid", "user/*.cruds"),
        Optional.empty(), mfa, "tok-" + sub + client, Instant.MAX);
  }

  final Caller AGENT = user("alice", "agent-app", "clinician", true);
  final Caller HUMAN = user("alice", "approval-app", "clinician", true);

  static ToolCall call(Caller caller, String tool, Map<String, Object> args) {
    return new ToolCall(tool, args, Optional.of(caller), "session-1", "127.0.0.1");
  }

  static Map<String, Object> with(Map<String, Object> args, String key, Object value) {
    Map<String, Object> m = new LinkedHashMap<>(args);
    m.put(key, value);
    return m;
  }

  Map<String, Object> note() {
    return Map.of("patient_id", patient, "title", "Follow-up", "text", "Patient doing well. Continue current plan.");
  }

  /** propose -> approve on the approval endpoint (human, other client) -> commit; returns the commit result. */
  ToolOutcome proposeApproveCommit(String tool, Map<String, Object> args) {
    ToolOutcome proposed = writes.handle(call(AGENT, tool, args), null);
    assertThat(proposed.isError()).as(proposed.text()).isFalse();
    assertThat(proposed.structured()).containsEntry("status", "pending_approval");
    assertMatchesOutputSchema(tool, proposed);
    String id = (String) proposed.structured().get("proposal_id");
    String sha = (String) proposed.structured().get("payload_sha256");
    var view = writes.decide(HUMAN, id, "approve", sha, "127.0.0.1");
    assertThat(view.structured()).as(view.text()).containsEntry("state", "approved");
    ToolOutcome committed = writes.handle(call(AGENT, tool, with(args, "proposal_id", id)), null);
    assertThat(committed.isError()).as(committed.text()).isFalse();
    assertThat(committed.structured()).containsEntry("status", "committed");
    assertMatchesOutputSchema(tool, committed);
    return committed;
  }

  static void assertMatchesOutputSchema(String tool, ToolOutcome r) {
    var check = new io.modelcontextprotocol.json.schema.jackson2.DefaultJsonSchemaValidator(new com.fasterxml.jackson.databind.ObjectMapper())
        .validate(WriteTools.standard().find(tool).orElseThrow().outputSchema(), r.structured());
    assertThat(check.valid()).as("%s output matches its outputSchema: %s", tool, check.errorMessage()).isTrue();
  }

  @SuppressWarnings("unchecked")
  static String writtenId(ToolOutcome r) {
    return (String) ((Map<String, Object>) r.structured().get("written")).get("id");
  }

  static String code(ToolOutcome r) {
    assertThat(r.isError()).as(r.text()).isTrue();
    return r.error().code();
  }

  @Test
  void serversSharingOneStateStoreShareProposalsAndTheirSingleCommit() {
    StateStore shared = InProcessStateStore.builder().clock(CLOCK).build();
    WriteSettings settings = new WriteSettings(false, Duration.ofMinutes(15), false);
    Writes first = service(settings, shared);
    Writes second = service(settings, shared);

    ToolOutcome proposed = first.handle(call(AGENT, "draft_clinical_note", note()), null);
    String id = (String) proposed.structured().get("proposal_id");
    String sha = (String) proposed.structured().get("payload_sha256");
    assertThat(second.decide(HUMAN, id, "approve", sha, "127.0.0.1").structured()).containsEntry("state", "approved");
    var commit = call(AGENT, "draft_clinical_note", with(note(), "proposal_id", id));
    assertThat(first.handle(commit, null).structured()).containsEntry("status", "committed");

    assertThat(code(second.handle(commit, null))).isEqualTo(ToolCallException.Reason.REPLAYED.code());
    Writes elsewhere = service(settings, InProcessStateStore.builder().clock(CLOCK).build());
    assertThat(code(elsewhere.handle(commit, null))).isEqualTo(ToolCallException.Reason.PROPOSAL_NOT_FOUND.code());
  }

  @Test
  void draftClinicalNoteWritesAPreliminaryDocumentReferenceOnce() {
    long before = repo.count("DocumentReference");
    ToolOutcome r = proposeApproveCommit("draft_clinical_note", note());
    DocumentReference d = (DocumentReference) repo.get("DocumentReference", writtenId(r)).orElseThrow();
    assertThat(d.getDocStatus()).isEqualTo(DocumentReference.ReferredDocumentStatus.PRELIMINARY);
    assertThat(d.getStatus().toCode()).isEqualTo("current");
    assertThat(d.getSubject().getReference()).isEqualTo("Patient/" + patient);
    assertThat(new String(d.getContentFirstRep().getAttachment().getData())).isEqualTo(note().get("text"));
    assertThat(d.getContentFirstRep().getAttachment().getContentType()).startsWith("text/plain");
    assertThat(d.getIdentifierFirstRep().getValue()).isEqualTo(r.structured().get("proposal_id"));
    assertThat(repo.count("DocumentReference")).isEqualTo(before + 1);
    // replay: the same commit again is refused and writes nothing
    ToolOutcome replay = writes.handle(call(AGENT, "draft_clinical_note", with(note(), "proposal_id", r.structured().get("proposal_id"))), null);
    assertThat(code(replay)).isEqualTo(ToolCallException.Reason.REPLAYED.code());
    assertThat(repo.count("DocumentReference")).isEqualTo(before + 1);
    // every step is a governed call (INTENT + RESULT), and each result is bound to the one payload digest
    assertThat(events.stream().map(AuditEvent::phase).filter(ph -> ph == AuditEvent.Phase.INTENT).count())
        .isEqualTo(events.stream().map(AuditEvent::phase).filter(ph -> ph == AuditEvent.Phase.RESULT).count());
    List<String> outcomes = events.stream().filter(e -> r.structured().get("payload_sha256").equals(e.resultSha256()))
        .map(AuditEvent::outcome).toList();
    assertThat(outcomes).containsExactly("write_proposed", "write_approved", "write_committed");
    assertThat(events.get(events.size() - 1).outcome()).isEqualTo(ToolCallException.Reason.REPLAYED.code());
    assertThat(events).allSatisfy(e -> assertThat(e.patientRefs()).doesNotContain(patient));
  }

  @Test
  void proposingWritesNothing() {
    long before = repo.count("DocumentReference");
    ToolOutcome r = writes.handle(call(AGENT, "draft_clinical_note", note()), null);
    assertThat(r.structured()).containsKeys("preview", "payload_sha256", "expires_at", "approval");
    assertThat((String) r.structured().get("preview")).contains("DRAFT", "Follow-up");
    assertThat(repo.count("DocumentReference")).isEqualTo(before);
    // commit before approval
    assertThat(code(writes.handle(call(AGENT, "draft_clinical_note", with(note(), "proposal_id", r.structured().get("proposal_id"))), null)))
        .isEqualTo(ToolCallException.Reason.NOT_APPROVED.code());
  }

  @Test
  void bookAppointmentBooksTheFirstFreeSlotAndMarksItBusy() {
    Map<String, Object> args = Map.of("patient_id", patient, "practitioner_id", practitioner, "date_from", "2026-01-02",
        "date_to", "2026-01-16", "description", "Follow-up visit");
    ToolOutcome r = proposeApproveCommit("book_appointment", args);
    Appointment a = (Appointment) repo.get("Appointment", writtenId(r)).orElseThrow();
    assertThat(a.getStatus()).isEqualTo(Appointment.AppointmentStatus.BOOKED);
    String slotId = a.getSlotFirstRep().getReferenceElement().getIdPart();
    Slot slot = (Slot) repo.get("Slot", slotId).orElseThrow();
    assertThat(slot.getStatus()).isEqualTo(Slot.SlotStatus.BUSY);
    assertThat(a.getStart()).isEqualTo(slot.getStart());
    // the same slot again: refused clearly at proposal time
    ToolOutcome again = writes.handle(call(AGENT, "book_appointment", with(args, "slot_id", slotId)), null);
    assertThat(code(again)).isEqualTo(ToolCallException.Reason.SLOT_TAKEN.code());
    assertThat(again.text()).contains("already taken");
  }

  @Test
  void twoApprovedBookingsOfOneSlotWriteOnlyOne() {
    Map<String, Object> args = Map.of("patient_id", patient, "practitioner_id", practitioner, "date_from", "2026-01-05",
        "date_to", "2026-01-09");
    ToolOutcome p1 = writes.handle(call(AGENT, "book_appointment", args), null);
    ToolOutcome p2 = writes.handle(call(AGENT, "book_appointment", with(args, "description", "second")), null);
    assertThat(((Map<?, ?>) p1.structured().get("details")).get("slot_id")).isEqualTo(((Map<?, ?>) p2.structured().get("details")).get("slot_id"));
    for (ToolOutcome p : List.of(p1, p2)) {
      writes.decide(HUMAN, (String) p.structured().get("proposal_id"), "approve", (String) p.structured().get("payload_sha256"), "x");
    }
    assertThat(writes.handle(call(AGENT, "book_appointment", with(args, "proposal_id", p1.structured().get("proposal_id"))), null)
        .isError()).isFalse();
    ToolOutcome second = writes.handle(call(AGENT, "book_appointment",
        with(with(args, "description", "second"), "proposal_id", p2.structured().get("proposal_id"))), null);
    assertThat(code(second)).isEqualTo(ToolCallException.Reason.SLOT_TAKEN.code());
  }

  @Test
  void sendPatientMessageWritesACommunicationToThePatient() {
    ToolOutcome r = proposeApproveCommit("send_patient_message", Map.of("patient_id", patient, "subject", "Lab results",
        "text", "Your results are normal.", "category", "notification"));
    Communication c = (Communication) repo.get("Communication", writtenId(r)).orElseThrow();
    assertThat(c.getRecipientFirstRep().getReference()).isEqualTo("Patient/" + patient);
    assertThat(c.getPayloadFirstRep().getContentStringType().getValue()).isEqualTo("Your results are normal.");
    assertThat(c.getSender().getReference()).isEqualTo("Practitioner/" + practitioner);
  }

  @Test
  void priorAuthorizationWritesAPreauthorizationClaimAndTracksItsStatus() {
    String condition = repo.forPatient("Condition", patient).get(0).getIdElement().getIdPart();
    ToolOutcome r = proposeApproveCommit("submit_prior_authorization", Map.of("patient_id", patient, "service_code", "72148",
        "service_display", "MRI lumbar spine", "diagnosis_condition_ids", List.of(condition)));
    Claim claim = (Claim) repo.get("Claim", writtenId(r)).orElseThrow();
    assertThat(claim.getUse()).isEqualTo(Claim.Use.PREAUTHORIZATION);
    assertThat(claim.getDiagnosisFirstRep().getDiagnosisReference().getReference()).isEqualTo("Condition/" + condition);
    assertThat(claim.getInsuranceFirstRep().getCoverage().getReference()).startsWith("Coverage/");
    Map<String, Object> statusArgs = Map.of("patient_id", patient, "claim_id", claim.getIdPart());
    ToolOutcome pending = writes.status(call(AGENT, WriteTools.PRIOR_AUTH_STATUS, statusArgs));
    assertThat(pending.isError()).as(pending.text()).isFalse();
    assertThat((String) pending.structured().get("authorization_status")).startsWith("pending");
    ClaimResponse cr = new ClaimResponse();
    cr.setId("cr-" + claim.getIdPart());
    cr.setStatus(ClaimResponse.ClaimResponseStatus.ACTIVE);
    cr.setUse(ClaimResponse.Use.PREAUTHORIZATION);
    cr.setOutcome(ClaimResponse.RemittanceOutcome.COMPLETE);
    cr.setDisposition("Approved");
    cr.setPreAuthRef("PA-1");
    cr.setPatient(new Reference("Patient/" + patient));
    cr.setRequest(new Reference("Claim/" + claim.getIdPart()));
    repo.put(cr);
    ToolOutcome done = writes.status(call(AGENT, WriteTools.PRIOR_AUTH_STATUS, statusArgs));
    assertThat(done.structured()).containsEntry("authorization_status", "complete");
    // a supporting resource of another patient is refused
    String other = repo.all("Condition").stream().filter(c -> !((org.hl7.fhir.r4.model.Condition) c).getSubject().getReference()
        .endsWith(patient)).findFirst().orElseThrow().getIdElement().getIdPart();
    assertThat(code(writes.handle(call(AGENT, "submit_prior_authorization", Map.of("patient_id", patient, "service_code", "72148",
        "diagnosis_condition_ids", List.of(other))), null))).isEqualTo(ToolCallException.Reason.NOT_FOUND.code());
  }

  @Test
  void intakeFormStoresAQuestionnaireResponseAndProposesDemographicChangesWithoutApplyingThem() {
    IBaseResource before = repo.get("Patient", patient).orElseThrow();
    String patientJson = FhirContext.forR4Cached().newJsonParser().encodeResourceToString(before);
    ToolOutcome r = proposeApproveCommit("sync_intake_form", Map.of("patient_id", patient, "answers", List.of(
        Map.of("link_id", "phone", "question", "Phone number", "answer", "555-0199"),
        Map.of("link_id", "allergies-reviewed", "answer", "yes"))));
    QuestionnaireResponse q = (QuestionnaireResponse) repo.get("QuestionnaireResponse", writtenId(r)).orElseThrow();
    assertThat(q.getSubject().getReference()).isEqualTo("Patient/" + patient);
    assertThat(q.getItem()).hasSize(2);
    @SuppressWarnings("unchecked")
    var changes = (List<Map<String, Object>>) ((Map<String, Object>) r.structured().get("details")).get("proposed_demographic_changes");
    assertThat(changes).singleElement().satisfies(c -> {
      assertThat(c).containsEntry("field", "phone").containsEntry("applied", false);
    });
    assertThat(FhirContext.forR4Cached().newJsonParser().encodeResourceToString(repo.get("Patient", patient).orElseThrow()))
        .isEqualTo(patientJson);
  }

  @Test
  void elicitationApprovalCommitsInTheSameCallAndRejectionWritesNothing() {
    ToolOutcome approved = writes.handle(call(AGENT, "draft_clinical_note", note()), message -> {
      assertThat(message).contains("Payload SHA-256: ", "Follow-up");
      return Optional.of(true);
    });
    assertThat(approved.structured()).containsEntry("status", "committed");
    assertThat(repo.get("DocumentReference", writtenId(approved))).isPresent();
    long before = repo.count("DocumentReference");
    ToolOutcome rejected = writes.handle(call(AGENT, "draft_clinical_note", note()), message -> Optional.of(false));
    assertThat(rejected.structured()).containsEntry("status", "rejected");
    ToolOutcome unanswered = writes.handle(call(AGENT, "draft_clinical_note", note()), message -> Optional.empty());
    assertThat(unanswered.structured()).containsEntry("status", "pending_approval");
    assertThat(repo.count("DocumentReference")).isEqualTo(before);
    // elicitation answers do not count when the configuration turns them off
    Writes strict = service(new WriteSettings(false, Duration.ofMinutes(15), false));
    assertThat(strict.handle(call(AGENT, "draft_clinical_note", note()), message -> Optional.of(true)).structured())
        .containsEntry("status", "pending_approval");
  }

  @Test
  void approvalPageViewsAreAuditedLikeReads() {
    ToolOutcome p = writes.handle(call(AGENT, "draft_clinical_note", note()), null);
    events.clear();
    ToolOutcome view = writes.decide(HUMAN, (String) p.structured().get("proposal_id"), "view",
        (String) p.structured().get("payload_sha256"), "x");
    assertThat(view.structured()).containsEntry("state", "pending").containsKey("preview");
    assertThat(events).extracting(AuditEvent::phase).containsExactly(AuditEvent.Phase.INTENT, AuditEvent.Phase.RESULT);
    assertThat(events.get(1).tool()).isEqualTo(WriteStages.APPROVE);
    assertThat(events.get(1).patientRefs()).hasSize(1).doesNotContain(patient); // the patient it shows, as a pseudonym
    // another user's view is refused and names no patient
    events.clear();
    assertThat(writes.decide(user("bob", "approval-app", "clinician", true), (String) p.structured().get("proposal_id"), "view",
        (String) p.structured().get("payload_sha256"), "x").error()).isEqualTo(ToolCallException.Reason.WRONG_USER);
    assertThat(events.get(events.size() - 1).patientRefs()).isEmpty();
  }

  @Test
  void refusals() {
    ToolOutcome p = writes.handle(call(AGENT, "draft_clinical_note", note()), null);
    String id = (String) p.structured().get("proposal_id");
    String sha = (String) p.structured().get("payload_sha256");
    assertThat(approvalCode(AGENT, id, sha)).isEqualTo(ToolCallException.Reason.SELF_APPROVAL.code());
    assertThat(approvalCode(user("bob", "approval-app", "clinician", true), id, sha)).isEqualTo(ToolCallException.Reason.WRONG_USER.code());
    assertThat(approvalCode(user("alice", "approval-app", "clinician", false), id, sha)).isEqualTo(ToolCallException.Reason.MFA_REQUIRED.code());
    assertThat(approvalCode(user("alice", "approval-app", "front-desk", true), id, sha)).isEqualTo(ToolCallException.Reason.WRONG_ROLE.code());
    assertThat(approvalCode(HUMAN, id, CanonicalJson.sha256("something else"))).isEqualTo(ToolCallException.Reason.PAYLOAD_MISMATCH.code());
    writes.decide(HUMAN, id, "approve", sha, "x");
    // payload swapped after approval
    assertThat(code(writes.handle(call(AGENT, "draft_clinical_note", with(with(note(), "text", "Start opioids."), "proposal_id", id)), null)))
        .isEqualTo(ToolCallException.Reason.PAYLOAD_MISMATCH.code());
    // another user commits
    assertThat(code(writes.handle(call(user("bob", "agent-app", "clinician", true), "draft_clinical_note",
        with(note(), "proposal_id", id)), null))).isEqualTo(ToolCallException.Reason.WRONG_USER.code());
    // expired
    CLOCK.advance(Duration.ofMinutes(16));
    assertThat(code(writes.handle(call(AGENT, "draft_clinical_note", with(note(), "proposal_id", id)), null)))
        .isEqualTo(ToolCallException.Reason.EXPIRED.code());
    // wrong role proposes
    assertThat(code(writes.handle(call(user("carol", "agent-app", "front-desk", true), "draft_clinical_note", note()), null)))
        .isEqualTo(ToolCallException.Reason.FORBIDDEN.code());
    assertThat(code(writes.handle(call(user("pat", "agent-app", "patient", true), "send_patient_message",
        Map.of("patient_id", patient, "subject", "x", "text", "y")), null))).isEqualTo(ToolCallException.Reason.FORBIDDEN.code());
    // read-only scopes
    Caller readOnly = new Caller("alice", "agent-app", Optional.empty(), Set.of("clinician"), Set.of("user/*.rs"), Optional.empty(),
        true, "t", Instant.MAX);
    assertThat(code(writes.handle(call(readOnly, "draft_clinical_note", note()), null))).isEqualTo(ToolCallException.Reason.INSUFFICIENT_SCOPE.code());
    assertThat(writes.visible(Optional.of(readOnly), "draft_clinical_note")).isFalse();
    assertThat(writes.visible(Optional.of(AGENT), "draft_clinical_note")).isTrue();
    assertThat(writes.visible(Optional.of(user("f", "c", "front-desk", true)), "book_appointment")).isTrue();
    assertThat(writes.visible(Optional.of(user("f", "c", "front-desk", true)), "draft_clinical_note")).isFalse();
    // unknown arguments
    assertThat(code(writes.handle(call(AGENT, "draft_clinical_note", with(note(), "status", "final")), null)))
        .isEqualTo(ToolCallException.Reason.INVALID_ARGUMENTS.code());
  }

  @Test
  void readOnlyModeHidesAndRefusesEveryWriteTool() {
    Writes ro = service(new WriteSettings(true, Duration.ofMinutes(15), true));
    for (WriteToolSpec t : WriteTools.standard().tools()) {
      assertThat(code(ro.handle(call(AGENT, t.name(), Map.of("patient_id", patient)), null))).isEqualTo(ToolCallException.Reason.READ_ONLY.code());
    }
  }

  @Test
  void writeToolDeclarationsAreStrictAndAnnotated() {
    for (WriteToolSpec t : WriteTools.standard().tools()) {
      assertThat(t.inputSchema()).containsEntry("additionalProperties", false);
      assertThat(t.hints().readOnly()).isFalse();
      assertThat(t.requiredScopes()).allMatch(s -> s.endsWith("." + t.resourceType().length() * 0 + "c") || s.endsWith(".c"));
      assertThat(io.custos.policy.RolePolicy.WRITE_TOOLS).contains(t.name());
    }
    assertThat(WriteTools.standard().find("book_appointment").orElseThrow().hints().destructive()).isTrue();
    assertThat(WriteTools.standard().find("draft_clinical_note").orElseThrow().hints().destructive()).isFalse();
    assertThat(io.custos.policy.RolePolicy.WRITE_TOOLS).containsExactlyInAnyOrderElementsOf(WriteTools.names());
  }

  String approvalCode(Caller approver, String id, String sha) {
    ToolOutcome out = writes.decide(approver, id, "approve", sha, "x");
    return out.isError() ? out.error().code() : "approved";
  }

  /**
   * Human approval of a write as an MCP 2026-07-28 multi-round-trip request, through the real 2026-07-28 front over the
   * same pipeline: the propose step answers {@code input_required} with a form and a sealed request state; the retry
   * carrying the answer approves and commits once; a replayed, forged, expired, other user's or altered state is
   * refused with -32602 and audited.
   */
  @org.junit.jupiter.api.Nested
  class MultiRoundTrip {
    final com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
    io.custos.mcp.v2026.StatelessFront front;
    int ids;
    /** While true, the single-use records behave as a shared store whose database is down. */
    boolean stateDown;

    @BeforeEach
    void front() throws Exception {
      com.google.crypto.tink.aead.AeadConfig.register();
      var key = com.google.crypto.tink.KeysetHandle.generateNew(com.google.crypto.tink.aead.PredefinedAeadParameters.AES256_GCM)
          .getPrimitive(com.google.crypto.tink.RegistryConfiguration.get(), com.google.crypto.tink.Aead.class);
      var singleUse = io.custos.state.InProcessStateStore.builder().clock(CLOCK).build().singleUse();
      var states = new io.custos.mcp.v2026.RequestStates(key, (claim, expires) -> {
        if (stateDown) {
          throw new io.custos.state.StateUnavailableException("single-use records",
              new java.sql.SQLTransientConnectionException("Connection refused", "08001"));
        }
        return singleUse.claimOnce(claim, expires);
      }, CLOCK, io.custos.mcp.v2026.RequestStates.DEFAULT_TTL);
      front = new io.custos.mcp.v2026.StatelessFront(new io.custos.mcp.Catalog(writes.pipeline(), json, "test", true), json,
          states, true);
    }

    com.fasterxml.jackson.databind.JsonNode send(Caller caller, Map<String, Object> params) {
      Map<String, Object> p = new LinkedHashMap<>(params);
      p.put("_meta", Map.of("io.modelcontextprotocol/protocolVersion", "2026-07-28",
          "io.modelcontextprotocol/clientCapabilities", Map.of("elicitation", Map.of("form", Map.of()))));
      var message = json.valueToTree(Map.of("jsonrpc", "2.0", "id", ++ids, "method", "tools/call", "params", p));
      var reply = front.answer(message, new io.custos.mcp.EnvelopeFront.Inbound(Optional.empty(), Optional.of(caller), "127.0.0.1", false));
      return ((io.custos.mcp.EnvelopeFront.Reply.Answer) reply).body().orElseThrow();
    }

    com.fasterxml.jackson.databind.JsonNode propose(Map<String, Object> args) {
      var r = send(AGENT, Map.of("name", "draft_clinical_note", "arguments", args)).path("result");
      assertThat(r.path("resultType").asText()).as(r.toString()).isEqualTo("input_required");
      var form = r.path("inputRequests").path("approval");
      assertThat(form.path("method").asText()).isEqualTo("elicitation/create");
      assertThat(form.path("params").path("mode").asText()).isEqualTo("form");
      assertThat(form.path("params").path("message").asText()).contains("Payload SHA-256: ", "Follow-up");
      assertThat(r.path("requestState").asText()).isNotBlank().doesNotContain(patient);
      return r;
    }

    Map<String, Object> retry(Map<String, Object> args, String state, String action, String decision) {
      Map<String, Object> answer = new LinkedHashMap<>();
      answer.put("action", action);
      if (decision != null) {
        answer.put("content", Map.of("decision", decision));
      }
      return Map.of("name", "draft_clinical_note", "arguments", args, "requestState", state,
          "inputResponses", Map.of("approval", answer));
    }

    @Test
    void anApprovedFormCommitsOnceAndAReplayIsRefusedAndAudited() {
      long before = repo.count("DocumentReference");
      String state = propose(note()).path("requestState").asText();
      var done = send(AGENT, retry(note(), state, "accept", "approve")).path("result");
      assertThat(done.path("resultType").asText()).isEqualTo("complete");
      assertThat(done.path("structuredContent").path("status").asText()).as(done.toString()).isEqualTo("committed");
      assertThat(repo.count("DocumentReference")).isEqualTo(before + 1);
      var replay = send(AGENT, retry(note(), state, "accept", "approve"));
      assertThat(replay.path("error").path("code").asInt()).isEqualTo(-32602);
      assertThat(replay.toString()).doesNotContain(state).doesNotContain(patient);
      assertThat(repo.count("DocumentReference")).isEqualTo(before + 1);
      assertThat(events.get(events.size() - 1).outcome()).isEqualTo(ToolCallException.Reason.REPLAYED.code());
    }

    @Test
    void aStateThatCannotBeClaimedWhileTheStoreIsDownIsRefusedAuditedAndHonouredOnRetry() {
      long before = repo.count("DocumentReference");
      String state = propose(note()).path("requestState").asText();

      stateDown = true;
      var refused = send(AGENT, retry(note(), state, "accept", "approve")).path("result");
      stateDown = false;

      assertThat(refused.path("isError").asBoolean()).as(refused.toString()).isTrue();
      assertThat(refused.toString()).contains("state_unavailable").doesNotContain(state).doesNotContain(patient);
      assertThat(events.get(events.size() - 1).outcome()).isEqualTo(ToolCallException.Reason.STATE_UNAVAILABLE.code());
      assertThat(repo.count("DocumentReference")).isEqualTo(before);
      var done = send(AGENT, retry(note(), state, "accept", "approve")).path("result");
      assertThat(done.path("structuredContent").path("status").asText()).as(done.toString()).isEqualTo("committed");
      assertThat(repo.count("DocumentReference")).isEqualTo(before + 1);
    }

    @Test
    void declinedOrRejectedWritesNothingAndDismissedStaysPending() {
      long before = repo.count("DocumentReference");
      var declined = send(AGENT, retry(note(), propose(note()).path("requestState").asText(), "decline", null));
      assertThat(declined.path("result").path("structuredContent").path("status").asText()).isEqualTo("rejected");
      var rejected = send(AGENT, retry(note(), propose(note()).path("requestState").asText(), "accept", "reject"));
      assertThat(rejected.path("result").path("structuredContent").path("status").asText()).isEqualTo("rejected");
      var dismissed = send(AGENT, retry(note(), propose(note()).path("requestState").asText(), "cancel", null));
      assertThat(dismissed.path("result").path("structuredContent").path("status").asText()).isEqualTo("pending_approval");
      assertThat(repo.count("DocumentReference")).isEqualTo(before);
    }

    @Test
    void aStateIsBoundToItsUserClientArgumentsExpiryAndIntegrity() {
      long before = repo.count("DocumentReference");
      String state = propose(note()).path("requestState").asText();
      Caller otherUser = user("bob", "agent-app", "clinician", true);
      Map<String, Object> otherText = with(note(), "text", "Something else entirely.");
      char[] forged = state.toCharArray();
      forged[forged.length / 2] = forged[forged.length / 2] == 'A' ? 'B' : 'A';
      List<com.fasterxml.jackson.databind.JsonNode> refusals = List.of(
          send(otherUser, retry(note(), state, "accept", "approve")),
          send(HUMAN, retry(note(), state, "accept", "approve")),
          send(AGENT, retry(otherText, state, "accept", "approve")),
          send(AGENT, retry(note(), new String(forged), "accept", "approve")),
          send(AGENT, retry(note(), "not-a-state", "accept", "approve")));
      for (var r : refusals) {
        assertThat(r.path("error").path("code").asInt()).as(r.toString()).isEqualTo(-32602);
      }
      assertThat(events.subList(events.size() - 5, events.size())).extracting(AuditEvent::outcome)
          .containsOnly(ToolCallException.Reason.REQUEST_STATE_INVALID.code());
      CLOCK.advance(io.custos.mcp.v2026.RequestStates.DEFAULT_TTL.plusSeconds(1));
      var expired = send(AGENT, retry(note(), state, "accept", "approve"));
      assertThat(expired.path("error").path("code").asInt()).isEqualTo(-32602);
      assertThat(events.get(events.size() - 1).outcome()).isEqualTo(ToolCallException.Reason.EXPIRED.code());
      assertThat(repo.count("DocumentReference")).isEqualTo(before);
    }

    @Test
    void aClientWithoutFormElicitationGetsThePendingProposal() {
      Map<String, Object> p = new LinkedHashMap<>(Map.of("name", "draft_clinical_note", "arguments", note()));
      p.put("_meta", Map.of("io.modelcontextprotocol/protocolVersion", "2026-07-28",
          "io.modelcontextprotocol/clientCapabilities", Map.of()));
      var message = json.valueToTree(Map.of("jsonrpc", "2.0", "id", 1, "method", "tools/call", "params", p));
      var reply = (io.custos.mcp.EnvelopeFront.Reply.Answer) front.answer(message,
          new io.custos.mcp.EnvelopeFront.Inbound(Optional.empty(), Optional.of(AGENT), "127.0.0.1", false));
      var r = reply.body().orElseThrow().path("result");
      assertThat(r.path("resultType").asText()).isEqualTo("complete");
      assertThat(r.path("structuredContent").path("status").asText()).isEqualTo("pending_approval");
    }
  }
}
