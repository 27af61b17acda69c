package io.custos.audit;

import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * One audit record (HIPAA 164.312(b)). PHI-free by construction: patients appear only as keyed
 * pseudonyms, results only as a SHA-256 digest, the token only as a hash of its id.
 *
 * @param eventId        random UUID of this event
 * @param callId         random UUID shared by the intent and result events of one tool call
 * @param timestamp      UTC instant the event was created
 * @param phase          {@link Phase}
 * @param subject        user id ({@code sub}); "anonymous" only when authentication failed
 * @param fhirUser       SMART {@code fhirUser}, or null
 * @param clientId       OAuth client id, or null
 * @param sessionId      MCP session id, or null (stdio)
 * @param tokenIdHash    SHA-256 of the token id, or null
 * @param roles          caller roles
 * @param tool           MCP tool name as requested (may be unknown)
 * @param resourceType   FHIR resource type the tool reads, or null
 * @param patientRefs    tokenized patient references (keyed HMAC pseudonyms)
 * @param scope          the granted scope that permitted the call, or null
 * @param outcome        {@code success}, or the refusal/failure reason code
 * @param recordCount    number of records returned (result events), else 0
 * @param resultSha256   SHA-256 (hex) of the returned structured content, or null
 * @param durationMicros time from call start to this event
 * @param sourceAddress  client network address, or "stdio"
 * @param serverVersion  Custos version
 * @param breakGlass     whether the call relied on (or declared) break-the-glass emergency access
 * @param breakGlassReason the reason the user stated for break-the-glass, or null
 * @param purposeOfUse   HL7 v3 PurposeOfUse code: {@code TREAT}, or {@code ETREAT} under break-the-glass
 * @param consent        the patient's Consent provisions that decided the call (result events), PHI-free:
 *                       {@code <16 hex of SHA-256(Consent/id)>#<provision path>:<deny|permit>[:break-the-glass]}
 */
public record AuditEvent(
    String eventId,
    String callId,
    Instant timestamp,
    Phase phase,
    String subject,
    String fhirUser,
    String clientId,
    String sessionId,
    String tokenIdHash,
    Set<String> roles,
    String tool,
    String resourceType,
    List<String> patientRefs,
    String scope,
    String outcome,
    int recordCount,
    String resultSha256,
    long durationMicros,
    String sourceAddress,
    String serverVersion,
    boolean breakGlass,
    String breakGlassReason,
    String purposeOfUse,
    List<String> consent) {

  /** Stage of a tool call the event records. */
  public enum Phase {
    /** Written durably before any PHI is touched (write-ahead). */
    INTENT,
    /** Outcome after the call (success, or failure after the intent). */
    RESULT,
    /** A call refused before its intent: unauthenticated or not authorized. */
    DENIED,
    /**
     * A misuse-detection alert about earlier events (not a call): the subject is the user it is about, the tool is
     * {@code detect/<rule>}, the outcome its severity, the session id the alert id, the result digest the SHA-256 of the
     * alert document the sinks received.
     */
    ALERT
  }

  public AuditEvent {
    roles = roles == null ? Set.of() : Set.copyOf(roles);
    patientRefs = patientRefs == null ? List.of() : List.copyOf(patientRefs);
    consent = consent == null ? List.of() : List.copyOf(consent);
  }

  /** An ordinary (treatment, no break-the-glass) event. */
  public AuditEvent(String eventId, String callId, Instant timestamp, Phase phase, String subject, String fhirUser,
      String clientId, String sessionId, String tokenIdHash, Set<String> roles, String tool, String resourceType,
      List<String> patientRefs, String scope, String outcome, int recordCount, String resultSha256, long durationMicros,
      String sourceAddress, String serverVersion) {
    this(eventId, callId, timestamp, phase, subject, fhirUser, clientId, sessionId, tokenIdHash, roles, tool, resourceType,
        patientRefs, scope, outcome, recordCount, resultSha256, durationMicros, sourceAddress, serverVersion, false, null, "TREAT", List.of());
  }
}
