package io.custos.pipeline;

import io.custos.audit.AuditIds;
import io.custos.audit.AuditEvent;
import io.custos.audit.AuditTrail;
import io.custos.audit.PatientPseudonyms;
import io.custos.auth.Caller;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Builds PHI-free {@link AuditEvent}s from an exchange and appends them (HIPAA 164.312(b)): the user, the declared
 * name (never an undeclared one the client sent), keyed pseudonyms of the patients involved, scope, outcome, record
 * count and result digest; never arguments or results.
 */
final class AuditRecorder {
  private static final Pattern PATIENT_USER = Pattern.compile("(?:.*/)?Patient/([A-Za-z0-9\\-.]{1,64})(?:/_history/.*)?");
  private static final Pattern FHIR_ID = Pattern.compile("[A-Za-z0-9\\-.]{1,64}");
  /** Recorded instead of a name the registry does not declare (it could hold anything, even an identifier). */
  static final String UNDECLARED = "(undeclared)";

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

  /**
   * @return the appended event's id (alerts refer to it)
   * @throws io.custos.audit.AuditUnavailableException when the event is not durable
   */
  String record(ToolExchange ex, AuditEvent.Phase phase, String outcome) {
    AuditEvent event = event(ex, phase, outcome);
    trail.append(event);
    return event.eventId();
  }

  /**
   * Starts appending the event and returns at once; {@link AuditTrail.Pending#await} before releasing anything that
   * depends on it.
   *
   * @throws io.custos.audit.AuditUnavailableException when the trail already cannot accept it
   */
  AuditTrail.Pending recordAsync(ToolExchange ex, AuditEvent.Phase phase, String outcome) {
    return trail.appendAsync(event(ex, phase, outcome));
  }

  private AuditEvent event(ToolExchange ex, AuditEvent.Phase phase, String outcome) {
    Caller c = ex.caller != null ? ex.caller : ex.call.caller().orElse(null);
    var d = ex.declaration;
    boolean intent = phase == AuditEvent.Phase.INTENT;
    return new AuditEvent(AuditIds.event(), ex.callId, clock.instant(), phase,
        c == null ? "anonymous" : c.subject(),
        c == null ? null : c.fhirUser().map(this::fhirUser).orElse(null),
        c == null ? null : c.clientId(),
        ex.call.sessionId(),
        c == null ? ex.presentedTokenSha256 : c.tokenIdHash(),
        c == null ? Set.of() : c.roles(),
        d == null ? UNDECLARED : d.name(),
        ex.auditedResource != null ? ex.auditedResource
            : d == null || d.access().resourceTypes().size() != 1 ? null : d.access().resourceTypes().get(0),
        patientRefs(ex, intent), ex.scope, outcome,
        intent ? 0 : ex.recordCount,
        intent ? null : ex.resultSha256,
        ex.elapsedMicros(), ex.call.sourceAddress(), serverVersion,
        ex.breakGlass != null, ex.breakGlass == null ? null : ex.breakGlass.reason(),
        ex.breakGlass == null ? "TREAT" : "ETREAT", intent ? List.of() : ex.consentApplied);
  }

  /** The bound patient, else a well-formed requested one, plus every patient a directory result disclosed. */
  private List<String> patientRefs(ToolExchange ex, boolean intent) {
    Set<String> ids = new LinkedHashSet<>();
    if (ex.patientId != null) {
      ids.add(ex.patientId);
    } else if (ex.call.arguments().get("patient_id") instanceof String s && FHIR_ID.matcher(s).matches()) {
      ids.add(s);
    }
    if (!intent) {
      ids.addAll(ex.disclosedPatients);
    }
    List<String> refs = new ArrayList<>(ids.size());
    ids.forEach(id -> refs.add(pseudonyms.tokenize(id)));
    return refs;
  }

  /** A patient user's fhirUser ({@code [base/]Patient/<id>}) holds a patient id: record its pseudonym instead. */
  private String fhirUser(String fhirUser) {
    Matcher m = PATIENT_USER.matcher(fhirUser);
    return m.matches() ? pseudonyms.tokenize(m.group(1)) : fhirUser;
  }
}
