package io.custos.alerting;

import io.custos.audit.AuditEvent;

/**
 * Audit events as ArcSight Common Event Format (CEF) version 0 lines, for SIEMs that ingest CEF:
 * {@code CEF:0|Custos|Custos|<version>|<phase>:<outcome>|<tool> <phase>|<severity>|<extension>}. Header values escape
 * {@code \} and {@code |}; extension values escape {@code \}, {@code =} and line breaks. Severity is 1 for a success,
 * 5 for a refusal or failure, 7 for break-the-glass. Only the ledger's PHI-free fields appear; patients are pseudonyms.
 */
public final class Cef {
  private Cef() {}

  /** One CEF line (no trailing line break) for the event at {@code leafIndex}. */
  public static String line(AuditEvent e, long leafIndex) {
    int severity = e.breakGlass() ? 7 : "success".equals(e.outcome()) ? 1 : 5;
    StringBuilder b = new StringBuilder("CEF:0|Custos|Custos|").append(header(e.serverVersion())).append('|')
        .append(header(e.phase().name() + ":" + e.outcome())).append('|')
        .append(header(e.tool() + " " + e.phase().name())).append('|').append(severity).append('|');
    ext(b, "rt", Long.toString(e.timestamp().toEpochMilli()));
    ext(b, "externalId", e.eventId());
    ext(b, "suser", e.subject());
    ext(b, "act", e.tool());
    ext(b, "outcome", e.outcome());
    ext(b, "cnt", Integer.toString(e.recordCount()));
    ext(b, "src", e.sourceAddress());
    ext(b, "cs1Label", "callId");
    ext(b, "cs1", e.callId());
    ext(b, "cs2Label", "patientPseudonyms");
    ext(b, "cs2", String.join(",", e.patientRefs()));
    ext(b, "cs3Label", "purposeOfUse");
    ext(b, "cs3", e.purposeOfUse());
    ext(b, "cs4Label", "scope");
    ext(b, "cs4", e.scope());
    ext(b, "cn1Label", "ledgerIndex");
    ext(b, "cn1", Long.toString(leafIndex));
    return b.toString().stripTrailing();
  }

  private static String header(String v) {
    return v == null ? "" : v.replace("\\", "\\\\").replace("|", "\\|").replaceAll("[\\r\\n]", " ");
  }

  private static void ext(StringBuilder b, String key, String value) {
    if (value == null || value.isEmpty()) {
      return;
    }
    b.append(key).append('=').append(value.replace("\\", "\\\\").replace("=", "\\=").replace("\r", "\\r")
        .replace("\n", "\\n")).append(' ');
  }
}
