package io.custos.pipeline;

import io.custos.audit.AuditEvent;
import io.custos.audit.AuditTrail;
import io.custos.audit.PatientPseudonyms;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Builds PHI-free {@link AuditEvent}s from an exchange and appends them. Used by the audit-intent and
 * audit-result stages and for refusals that happen before the intent.
 */
final class AuditRecorder {
  private static final Pattern PATIENT_USER = Pattern.compile("(?:.*/)?Patient/([^/]+)(?:/_history/.*)?");

  private final AuditTrail trail;
  private final PatientPseudonyms pseudonyms;
  private final Clock clock;
  private final String serverVersion;

  AuditRecorder(AuditTrail trail, PatientPseudonyms pseudonyms, Clock clock, String serverVersion) {
    this.trail = trail;
    this.pseudonyms = pseudonyms;
    this.clock = clock;
    this.serverVersion = serverVersion;
  }

  /** @throws io.custos.audit.AuditUnavailableException when the event is not durable */
  void record(ToolExchange ex, AuditEvent.Phase phase, String outcome) {
    // ex.caller is set by Authenticate; a call refused before it (unknown tool) is still attributed to its identity.
    var c = ex.caller != null ? ex.caller : ex.call.caller().orElse(null);
    String patient = ex.patientId != null ? ex.patientId
        : ex.call.arguments().get("patient_id") instanceof String s ? s : null;
    List<String> refs = patient == null ? List.of() : List.of(pseudonyms.tokenize(patient));
    trail.append(new AuditEvent(UUID.randomUUID().toString(), ex.callId, clock.instant(), phase,
        c == null ? "anonymous" : c.subject(),
        c == null ? null : c.fhirUser().map(this::fhirUser).orElse(null),
        c == null ? null : c.clientId(),
        ex.call.sessionId(),
        c == null ? null : c.tokenIdHash(),
        c == null ? Set.of() : c.roles(),
        ex.call.toolName(),
        ex.spec == null ? null : ex.spec.resourceType(),
        refs, ex.scope, outcome,
        phase == AuditEvent.Phase.INTENT ? 0 : ex.recordCount,
        phase == AuditEvent.Phase.INTENT ? null : ex.resultSha256,
        ex.elapsedMicros(), ex.call.sourceAddress(), serverVersion,
        ex.breakGlass != null, ex.breakGlass == null ? null : ex.breakGlass.reason(),
        ex.breakGlass == null ? "TREAT" : "ETREAT"));
  }

  /** A patient user's fhirUser ({@code [base/]Patient/<id>}) holds a patient id: record its pseudonym instead. */
  private String fhirUser(String fhirUser) {
    Matcher m = PATIENT_USER.matcher(fhirUser);
    return m.matches() ? pseudonyms.tokenize(m.group(1)) : fhirUser;
  }
}
