package io.custos.policy;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where security alerts go (activity review and breach readiness, 45 CFR 164.308(a)(1)(ii)(D), 164.400-414). Alerts
 * are PHI-free: a rule, the workforce user, pseudonymised patients (never identifiers or names), counts and the audit
 * ledger evidence they refer to.
 */
public interface AlertSink {
  /** How urgently a privacy officer should look (RFC 5424 severities map onto these). */
  enum Severity { LOW, MEDIUM, HIGH, CRITICAL }

  /**
   * One alert.
   *
   * @param id                unique alert id (a UUID string)
   * @param rule              the rule that raised it, e.g. {@code break-the-glass}
   * @param severity          how urgent
   * @param subject           the user ({@code sub}) whose actions raised it
   * @param patientPseudonyms the patients concerned, as ledger pseudonyms (may be empty; never identifiers)
   * @param windowStart       start of the time window the rule looked at (inclusive)
   * @param windowEnd         end of that window (inclusive; the triggering event's time)
   * @param count             how many events the rule counted in the window (1 for a single-event rule)
   * @param evidenceEventIds  audit event ids in the ledger that support it ({@code custos audit} finds them)
   * @param callId            correlation id of the triggering call (its INTENT and RESULT events share it)
   */
  record Alert(String id, String rule, Severity severity, String subject, List<String> patientPseudonyms,
               Instant windowStart, Instant windowEnd, long count, List<String> evidenceEventIds, String callId) {
    public Alert {
      patientPseudonyms = List.copyOf(patientPseudonyms);
      evidenceEventIds = List.copyOf(evidenceEventIds);
    }

    /** A single-event alert raised at {@code at}, with no patient pseudonyms attached. */
    public static Alert single(String rule, Severity severity, String subject, String eventId, String callId,
                               Instant at) {
      return new Alert(java.util.UUID.randomUUID().toString(), rule, severity, subject, List.of(), at, at, 1,
          List.of(eventId), callId);
    }

    /** The alert as an ordered, PHI-free JSON-ready map with stable field names (what every sink sends). */
    public Map<String, Object> document() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("id", id);
      m.put("rule", rule);
      m.put("severity", severity.name().toLowerCase(java.util.Locale.ROOT));
      m.put("user", subject);
      m.put("patients", patientPseudonyms);
      m.put("window_start", windowStart.toString());
      m.put("window_end", windowEnd.toString());
      m.put("count", count);
      m.put("evidence", evidenceEventIds);
      m.put("call_id", callId);
      return m;
    }
  }

  void alert(Alert alert);
}
