package io.custos.alerting;

import com.cloudbees.syslog.Facility;
import com.cloudbees.syslog.SDElement;
import com.cloudbees.syslog.Severity;
import com.cloudbees.syslog.SyslogMessage;
import io.custos.audit.AuditEvent;
import io.custos.policy.AlertSink;
import java.util.Date;

/**
 * Alerts and audit events as RFC 5424 syslog messages: facility {@code authpriv} (10, security/authorization), APP-NAME
 * {@code custos}, MSGID the rule or the audit phase, the PHI-free fields as structured data under the SD-IDs
 * {@value #ALERT_SD_ID} and {@value #AUDIT_SD_ID} (enterprise number 32473 is the one RFC 5612 reserves for
 * documentation; a site with its own Private Enterprise Number may rewrite it in its collector), and the alert
 * document as JSON in MSG. Only fields that the ledger itself keeps PHI-free appear: pseudonyms, ids, codes, counts.
 */
public final class Rfc5424 {
  /** SD-ID of an alert's structured data. */
  public static final String ALERT_SD_ID = "custosAlert@32473";
  /** SD-ID of an audit event's structured data. */
  public static final String AUDIT_SD_ID = "custosAudit@32473";
  static final String APP_NAME = "custos";

  private Rfc5424() {}

  /** Syslog severity of an alert: low notice (5), medium warning (4), high error (3), critical critical (2). */
  static Severity severity(AlertSink.Severity s) {
    return switch (s) {
      case LOW -> Severity.NOTICE;
      case MEDIUM -> Severity.WARNING;
      case HIGH -> Severity.ERROR;
      case CRITICAL -> Severity.CRITICAL;
    };
  }

  /** The alert as a syslog message from {@code hostname}. */
  public static SyslogMessage alert(AlertSink.Alert a, String hostname) {
    SDElement sd = new SDElement(ALERT_SD_ID);
    sd.addSDParam("id", a.id());
    sd.addSDParam("rule", a.rule());
    sd.addSDParam("severity", a.severity().name().toLowerCase(java.util.Locale.ROOT));
    sd.addSDParam("user", a.subject());
    a.patientPseudonyms().forEach(p -> sd.addSDParam("patient", p));
    sd.addSDParam("windowStart", a.windowStart().toString());
    sd.addSDParam("windowEnd", a.windowEnd().toString());
    sd.addSDParam("count", Long.toString(a.count()));
    a.evidenceEventIds().forEach(e -> sd.addSDParam("evidence", e));
    if (a.callId() != null) {
      sd.addSDParam("callId", a.callId());
    }
    return new SyslogMessage().withFacility(Facility.AUTHPRIV).withSeverity(severity(a.severity()))
        .withTimestamp(Date.from(a.windowEnd())).withHostname(hostname).withAppName(APP_NAME)
        .withMsgId(msgId(a.rule())).withSDElement(sd).withMsg(AlertJson.line(a));
  }

  /**
   * One audit event (with its ledger leaf index) as a syslog message: severity informational for a success, notice
   * for any other outcome; MSGID the phase ({@code INTENT}, {@code RESULT}, {@code DENIED}); no MSG.
   */
  public static SyslogMessage auditEvent(AuditEvent e, long leafIndex, String hostname) {
    SDElement sd = new SDElement(AUDIT_SD_ID);
    sd.addSDParam("ledgerIndex", Long.toString(leafIndex));
    sd.addSDParam("eventId", e.eventId());
    sd.addSDParam("callId", e.callId());
    sd.addSDParam("user", e.subject());
    optional(sd, "clientId", e.clientId());
    e.roles().stream().sorted().forEach(r -> sd.addSDParam("role", r));
    sd.addSDParam("tool", e.tool());
    optional(sd, "resourceType", e.resourceType());
    e.patientRefs().forEach(p -> sd.addSDParam("patient", p));
    optional(sd, "scope", e.scope());
    sd.addSDParam("outcome", e.outcome());
    sd.addSDParam("recordCount", Integer.toString(e.recordCount()));
    optional(sd, "resultSha256", e.resultSha256());
    sd.addSDParam("durationMicros", Long.toString(e.durationMicros()));
    optional(sd, "sourceAddress", e.sourceAddress());
    sd.addSDParam("purposeOfUse", e.purposeOfUse());
    sd.addSDParam("breakGlass", Boolean.toString(e.breakGlass()));
    return new SyslogMessage().withFacility(Facility.AUTHPRIV)
        .withSeverity("success".equals(e.outcome()) ? Severity.INFORMATIONAL : Severity.NOTICE)
        .withTimestamp(Date.from(e.timestamp())).withHostname(hostname).withAppName(APP_NAME)
        .withMsgId(e.phase().name()).withSDElement(sd);
  }

  private static void optional(SDElement sd, String name, String value) {
    if (value != null) {
      sd.addSDParam(name, value);
    }
  }

  /** MSGID is 1..32 printable US-ASCII (RFC 5424 section 6.2.7); a rule name outside that is cut or replaced. */
  static String msgId(String rule) {
    String ascii = rule.replaceAll("[^\\x21-\\x7e]", "_");
    return ascii.isEmpty() ? "-" : ascii.substring(0, Math.min(32, ascii.length()));
  }
}
