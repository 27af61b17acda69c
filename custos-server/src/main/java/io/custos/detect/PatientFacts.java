package io.custos.detect;

import java.text.Normalizer;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What the patient-attribute rules need to know about one patient, resolved server-side from a ledger pseudonym and
 * kept only in the engine's memory: it is PHI, so it never enters an alert, a log line or an exception message.
 *
 * @param family         normalised family name ({@link #norm}), or empty
 * @param given          normalised first given name, or empty
 * @param birthDate      birth date, if known
 * @param address        normalised first address line and postal code, or empty
 * @param deceased       whether the record says the patient died
 * @param securityLabels {@code Patient.meta.security} codes
 * @param lastVisitByOrganization start of the latest encounter per serviceProvider Organization id ({@code ""} when
 *                       the encounter names none)
 */
public record PatientFacts(String family, String given, Optional<LocalDate> birthDate, String address, boolean deceased,
    Set<String> securityLabels, Map<String, Instant> lastVisitByOrganization) {

  public PatientFacts {
    securityLabels = Set.copyOf(securityLabels);
    lastVisitByOrganization = Map.copyOf(lastVisitByOrganization);
  }

  /** Resolves a ledger pseudonym ({@code pt_...}) to facts; empty when unknown or unreadable. */
  @FunctionalInterface
  public interface Source {
    Optional<PatientFacts> facts(String pseudonym);
  }

  /** The latest encounter start at any organisation. */
  Optional<Instant> lastVisit() {
    return lastVisitByOrganization.values().stream().max(Instant::compareTo);
  }

  /** Lower case, accents and everything but letters and digits removed, so {@code "O'Brien "} matches {@code obrien}. */
  static String norm(String s) {
    if (s == null) {
      return "";
    }
    return Normalizer.normalize(s, Normalizer.Form.NFD).replaceAll("[^\\p{Alnum}]", "").toLowerCase(Locale.ROOT);
  }

  /** A full {@code YYYY-MM-DD} date; empty for absent or partial dates. */
  static Optional<LocalDate> date(String s) {
    try {
      return s == null || s.isBlank() ? Optional.empty() : Optional.of(LocalDate.parse(s.trim()));
    } catch (java.time.format.DateTimeParseException e) {
      return Optional.empty();
    }
  }

  /** The address key of a FHIR Address ({@link #addressKey(String, String)}). */
  static String addressKey(org.hl7.fhir.r4.model.Address a) {
    return addressKey(a.hasLine() ? a.getLine().get(0).getValue() : null, a.getPostalCode());
  }

  /** The normalised first given name of a FHIR HumanName. */
  static String given(org.hl7.fhir.r4.model.HumanName n) {
    return norm(n.hasGiven() ? n.getGiven().get(0).getValue() : null);
  }

  /** The address key: first line and postal code, normalised; empty when either is missing. */
  static String addressKey(String line, String postalCode) {
    String l = norm(line);
    String p = norm(postalCode);
    return l.isEmpty() || p.isEmpty() ? "" : l + "|" + p;
  }
}
