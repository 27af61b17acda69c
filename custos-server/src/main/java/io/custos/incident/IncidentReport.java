package io.custos.incident;

import io.custos.audit.AuditEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * An incident rendered for the privacy office: as plain text and as a self-contained HTML page (every value
 * escaped), with the days left before the notification deadline and the incident's own ledger history (opening and
 * each re-identification: who, when). Patients appear as pseudonyms only.
 *
 * @param incident the record
 * @param history  the ledger events of the incident (those whose call id is the incident id), oldest first
 * @param at       the instant the report is made
 */
public record IncidentReport(Incident incident, List<AuditEvent> history, Instant at) {
  public IncidentReport {
    history = List.copyOf(history);
  }

  /** Whole days from {@link #at} to the deadline; negative once it has passed. */
  public long daysToDeadline() {
    return Math.floorDiv(Duration.between(at, incident.notificationDeadline()).toHours(), 24);
  }

  /** The report's facts as (label, value) pairs, in reading order; patients as pseudonyms only. */
  public List<String[]> rows() {
    Incident i = incident;
    Incident.RiskAssessment r = i.riskAssessment();
    return List.of(
        new String[] {"Incident", i.id()},
        new String[] {"Alert", i.alertId() + " (" + i.rule() + ", " + i.severity() + ")"},
        new String[] {"Workforce member", i.user()},
        new String[] {"Affected patients (pseudonyms)", i.patientPseudonyms().size() + ": " + String.join(", ", i.patientPseudonyms())},
        new String[] {"Ledger evidence", String.join(", ", i.evidence())},
        new String[] {"Discovered (164.404(a)(2))", i.discoveredAt().toString()},
        new String[] {"Notification deadline (164.404(b), 60 days)", i.notificationDeadline() + " (" + daysToDeadline() + " days left)"},
        new String[] {"Opened", i.openedAt() + " by " + i.openedBy()},
        new String[] {"(i) Nature and extent of the PHI", r.natureAndExtent()},
        new String[] {"(ii) Unauthorized person", r.unauthorizedPerson()},
        new String[] {"(iii) Acquired or viewed", r.acquiredOrViewed()},
        new String[] {"(iv) Mitigation", r.mitigation()},
        new String[] {"Conclusion (164.402(2))", r.conclusion().name()});
  }

  private static String historyLine(AuditEvent e) {
    return e.timestamp() + "  " + e.tool() + "  by " + e.subject() + "  (event " + e.eventId() + ")";
  }

  /** Plain text, one {@code label: value} line per field, then the ledger history. */
  public String text() {
    StringBuilder b = new StringBuilder("Security incident report (45 CFR 164.308(a)(6), 164.402-414)\n\n");
    rows().forEach(r -> b.append(r[0]).append(": ").append(r[1]).append('\n'));
    b.append("\nLedger history:\n");
    history.forEach(e -> b.append("  ").append(historyLine(e)).append('\n'));
    return b.toString();
  }

  /** A self-contained HTML page. */
  public String html() {
    StringBuilder b = new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        + "<title>Security incident</title><style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        + "td,th{border:1px solid #999;padding:4px 8px;text-align:left;vertical-align:top}</style></head><body>\n"
        + "<h1>Security incident report</h1>\n<table>\n");
    rows().forEach(r -> b.append("<tr><th>").append(esc(r[0])).append("</th><td>").append(esc(r[1])).append("</td></tr>\n"));
    b.append("</table>\n<h2>Ledger history</h2>\n<ul>\n");
    history.forEach(e -> b.append("<li>").append(esc(historyLine(e))).append("</li>\n"));
    return b.append("</ul>\n</body></html>\n").toString();
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;").replace("'", "&#39;");
  }
}
