package io.custos.writes;

import io.custos.audit.AuditEvent;
import io.custos.audit.AuditTrail;
import io.custos.audit.PatientPseudonyms;
import io.custos.auth.Caller;
import io.custos.policy.BreakGlass;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Audit events of the write flow (HIPAA 164.312(b)), appended to the same durable {@link AuditTrail} as tool calls
 * and built the same way as {@code io.custos.pipeline.AuditRecorder}'s (PHI-free: patient pseudonym, digests only).
 * Every event about one proposal carries the proposal id as its {@code callId}, so the trail links proposal,
 * approval or rejection, and commit. Outcomes: {@link #PROPOSE_INTENT}, {@link #PROPOSED}, {@link #APPROVED},
 * {@link #REJECTED}, {@link #COMMIT_INTENT}, {@link #COMMITTED}, or a refusal code from {@link WriteException}.
 * {@code resultSha256} is the payload digest the step was bound to; {@code recordCount} is 1 for a commit.
 */
final class WriteAudit {
  static final String PROPOSE_INTENT = "write_propose_intent";
  static final String PROPOSED = "write_proposed";
  static final String APPROVED = "write_approved";
  static final String REJECTED = "write_rejected";
  static final String COMMIT_INTENT = "write_commit_intent";
  static final String COMMITTED = "write_committed";

  private static final Pattern PATIENT_USER = Pattern.compile("(?:.*/)?Patient/([^/]+)(?:/_history/.*)?");

  private final AuditTrail trail;
  private final PatientPseudonyms pseudonyms;
  private final Clock clock;
  private final String version;

  WriteAudit(AuditTrail trail, PatientPseudonyms pseudonyms, Clock clock, String version) {
    this.trail = trail;
    this.pseudonyms = pseudonyms;
    this.clock = clock;
    this.version = version;
  }

  /**
   * One step of a write.
   *
   * @param callId       the proposal id (or a random id when no proposal exists yet)
   * @param caller       who acted, or null when unauthenticated
   * @param sessionId    MCP session id, or null
   * @param tool         write tool name
   * @param resourceType FHIR type written
   * @param patientId    the patient, or null
   * @param scope        the granted scope, or null
   * @param breakGlass   the grant relied on, or null
   */
  record Step(String callId, Caller caller, String sessionId, String source, String tool, String resourceType,
      String patientId, String scope, BreakGlass.Grant breakGlass, long startNanos) {}

  /** @throws io.custos.audit.AuditUnavailableException when the event is not durable */
  void record(Step s, AuditEvent.Phase phase, String outcome, String payloadSha256, int records) {
    Caller c = s.caller();
    List<String> refs = s.patientId() == null ? List.of() : List.of(pseudonyms.tokenize(s.patientId()));
    trail.append(new AuditEvent(UUID.randomUUID().toString(), s.callId() == null ? UUID.randomUUID().toString() : s.callId(),
        clock.instant(), phase,
        c == null ? "anonymous" : c.subject(),
        c == null ? null : c.fhirUser().map(this::fhirUser).orElse(null),
        c == null ? null : c.clientId(),
        s.sessionId(),
        c == null ? null : c.tokenIdHash(),
        c == null ? Set.of() : c.roles(),
        s.tool(), s.resourceType(), refs, s.scope(), outcome, records, payloadSha256,
        (System.nanoTime() - s.startNanos()) / 1_000, s.source(), version,
        s.breakGlass() != null, s.breakGlass() == null ? null : s.breakGlass().reason(),
        s.breakGlass() == null ? "TREAT" : "ETREAT"));
  }

  private String fhirUser(String fhirUser) {
    Matcher m = PATIENT_USER.matcher(fhirUser);
    return m.matches() ? pseudonyms.tokenize(m.group(1)) : fhirUser;
  }
}
