package io.custos.audit.ledger;

import com.google.crypto.tink.Aead;
import io.custos.audit.AuditEvent;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Produces an accounting of disclosures (45 CFR 164.528) for one patient from the encrypted ledger. The
 * patient id is turned into its pseudonyms through the encrypted {@link TokenMap}; that re-identification
 * is itself appended to the ledger as an audit event before the report is returned (45 CFR 164.312(b)).
 */
public final class DisclosureReporter {
  /** Tool name recorded for the re-identification event. */
  public static final String REIDENTIFY_TOOL = "custos.audit.report";
  /**
   * Prefix of the tool names of administrative events (reports, re-identification, the compliance console's actions):
   * they record people reviewing the audit trail, not disclosures, and no MCP tool is named so.
   */
  public static final String ADMINISTRATIVE_PREFIX = "custos.";

  private DisclosureReporter() {}

  /**
   * @param ledgerDir ledger directory (must not be open by a running server: the re-identification event is appended)
   * @param keys      keys for decryption, token map and checkpoints
   * @param operator  who asks (OS user or named administrator)
   */
  public static DisclosureReport report(Path ledgerDir, KeySource keys, String patientId, Instant from, Instant to,
      String operator) throws IOException {
    List<String> pseudonyms;
    try (TokenMap map = TokenMap.open(ledgerDir.resolve(TokenMap.FILE), keys.tokenMapAead())) {
      pseudonyms = map.pseudonymsFor(patientId);
    } catch (java.security.GeneralSecurityException e) {
      throw new IOException("token map key unusable", e);
    }
    Set<String> wanted = new HashSet<>(pseudonyms);
    List<DisclosureReport.Disclosure> out = new ArrayList<>();
    Aead aead;
    try {
      aead = keys.ledgerAead();
    } catch (java.security.GeneralSecurityException e) {
      throw new IOException("ledger key unusable", e);
    }
    LedgerEvents.forEach(ledgerDir, aead, s -> disclosure(s, wanted, from, to).ifPresent(out::add));
    Instant now = Instant.now();
    // The re-identification is audited before the report leaves this method; fail closed if it cannot be.
    try (MerkleLedger ledger = MerkleLedger.open(ledgerDir, keys)) {
      ledger.append(new AuditEvent(io.custos.audit.AuditIds.event(), io.custos.audit.AuditIds.call(), now, AuditEvent.Phase.RESULT,
          operator, null, "custos-cli", null, null, Set.of("administrator"), REIDENTIFY_TOOL, null, pseudonyms,
          "accounting-of-disclosures", "success", out.size(), null, 0, "cli", "custos"));
    }
    return new DisclosureReport(patientId, pseudonyms, from, to, now, operator, out);
  }

  /**
   * The disclosure an event records, if it is one: a successful result that returned records of one of the
   * {@code pseudonyms}' patients in {@code [from, to)} (administrative events, {@value #ADMINISTRATIVE_PREFIX}*, such as
   * re-identifications for reports, are not disclosures).
   */
  public static java.util.Optional<DisclosureReport.Disclosure> disclosure(StoredEvent s, Set<String> pseudonyms, Instant from,
      Instant to) {
    AuditEvent e = s.event();
    if (e.phase() != AuditEvent.Phase.RESULT || !"success".equals(e.outcome())
        || e.tool() != null && e.tool().startsWith(ADMINISTRATIVE_PREFIX)
        || e.timestamp().isBefore(from) || !e.timestamp().isBefore(to) || e.patientRefs().stream().noneMatch(pseudonyms::contains)) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(new DisclosureReport.Disclosure(e.timestamp(), e.subject(), e.clientId(),
        e.tool() + ": " + e.recordCount() + " " + (e.resourceType() == null ? "record(s)" : e.resourceType() + " record(s)"),
        (e.scope() == null ? "" : "scope " + e.scope() + "; ") + "roles " + String.join(",", new java.util.TreeSet<>(e.roles())),
        e.outcome(), e.eventId(), s.leafIndex()));
  }

  /** The report as a self-contained HTML page (all values escaped). */
  public static String html(DisclosureReport r) {
    StringBuilder b = new StringBuilder();
    b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Accounting of disclosures</title>")
        .append("<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #999;")
        .append("padding:4px 8px;text-align:left}</style></head><body>\n")
        .append("<h1>Accounting of disclosures (45 CFR 164.528)</h1>\n<p>Patient: <b>").append(esc(r.patientId()))
        .append("</b><br>Period: ").append(esc(r.from().toString())).append(" to ").append(esc(r.to().toString()))
        .append("<br>Generated ").append(esc(r.generatedAt().toString())).append(" by ").append(esc(r.generatedBy()))
        .append("<br>Disclosures: ").append(r.disclosures().size()).append("</p>\n<table><tr><th>Date</th><th>Recipient</th>")
        .append("<th>Client</th><th>Description of PHI</th><th>Purpose / basis</th><th>Ledger event</th></tr>\n");
    for (DisclosureReport.Disclosure d : r.disclosures()) {
      b.append("<tr><td>").append(esc(d.date().toString())).append("</td><td>").append(esc(d.recipient()))
          .append("</td><td>").append(esc(d.client())).append("</td><td>").append(esc(d.description()))
          .append("</td><td>").append(esc(d.purpose())).append("</td><td>").append(esc(d.eventId())).append(" (#")
          .append(d.ledgerIndex()).append(")</td></tr>\n");
    }
    return b.append("</table>\n</body></html>\n").toString();
  }

  private static String esc(String s) {
    if (s == null) {
      return "";
    }
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;").replace("'", "&#39;");
  }
}
