package io.custos.audit.ledger;

import java.time.Instant;
import java.util.List;

/**
 * An accounting of disclosures for one patient (45 CFR 164.528(b)(2)): for each disclosure the date, the
 * recipient, a brief description of the PHI and the basis (purpose) of the access.
 *
 * @param patientId   the patient, as requested by the administrator
 * @param pseudonyms  the pseudonyms that stood for the patient in the ledger
 * @param from        start of the period (inclusive)
 * @param to          end of the period (exclusive)
 * @param generatedAt when the report was produced
 * @param generatedBy who produced it (recorded in the ledger as a re-identification event)
 * @param disclosures one line per tool result that returned the patient's data
 */
public record DisclosureReport(String patientId, List<String> pseudonyms, Instant from, Instant to, Instant generatedAt,
    String generatedBy, List<Disclosure> disclosures) {

  /**
   * One disclosure.
   *
   * @param date        when it happened
   * @param recipient   user ({@code sub}) who received the data
   * @param client      client application, or null
   * @param description what was disclosed: tool, resource type, record count
   * @param purpose     the basis: scope and roles
   * @param outcome     outcome code
   * @param eventId     ledger event id (provable with {@code custos audit prove})
   * @param ledgerIndex leaf index in the ledger
   */
  public record Disclosure(Instant date, String recipient, String client, String description, String purpose,
      String outcome, String eventId, long ledgerIndex) {}
}
