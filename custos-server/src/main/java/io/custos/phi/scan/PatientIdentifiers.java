package io.custos.phi.scan;

import java.util.Collection;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.hl7.fhir.r4.model.Address;
import org.hl7.fhir.r4.model.ContactPoint;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.HumanName;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.StringType;

/**
 * The identifiers a PHI scan searches for, by kind. Values shorter than {@link #MIN_LENGTH} characters are left out:
 * a two-letter name would match ordinary words and drown real findings. Not thread-safe while being filled.
 */
public final class PatientIdentifiers {
  /** Shortest value searched for (characters). */
  public static final int MIN_LENGTH = 3;
  private static final String MAIDEN_NAME = "http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName";
  private final Map<IdentifierKind, Set<String>> byKind = new EnumMap<>(IdentifierKind.class);

  /** Adds one value of {@code kind}; blank or short values are ignored. */
  public PatientIdentifiers add(IdentifierKind kind, String value) {
    if (value != null && value.strip().length() >= MIN_LENGTH) {
      byKind.computeIfAbsent(kind, k -> new LinkedHashSet<>()).add(value.strip());
    }
    return this;
  }

  /**
   * Adds every identifier of each FHIR R4 Patient: names (given, family, mother's maiden name), identifier values,
   * logical id, birth date, address lines and postal code, telecom values.
   */
  public PatientIdentifiers addAll(Collection<Patient> patients) {
    for (Patient p : patients) {
      for (HumanName n : p.getName()) {
        n.getGiven().forEach(g -> add(IdentifierKind.NAME, g.getValue()));
        add(IdentifierKind.NAME, n.getFamily());
      }
      for (Identifier i : p.getIdentifier()) {
        add(IdentifierKind.IDENTIFIER, i.getValue());
      }
      add(IdentifierKind.LOGICAL_ID, p.getIdPart());
      if (p.hasBirthDate()) {
        add(IdentifierKind.BIRTH_DATE, p.getBirthDateElement().getValueAsString());
      }
      for (Address a : p.getAddress()) {
        a.getLine().forEach(l -> add(IdentifierKind.ADDRESS, l.getValue()));
        add(IdentifierKind.POSTAL_CODE, a.getPostalCode());
      }
      for (ContactPoint cp : p.getTelecom()) {
        add(IdentifierKind.TELECOM, cp.getValue());
      }
      for (Extension e : p.getExtension()) {
        if (MAIDEN_NAME.equals(e.getUrl()) && e.getValue() instanceof StringType s) {
          add(IdentifierKind.NAME, s.getValue());
        }
      }
    }
    return this;
  }

  /** The values of each kind (unmodifiable copies). */
  public Map<IdentifierKind, Set<String>> byKind() {
    Map<IdentifierKind, Set<String>> out = new EnumMap<>(IdentifierKind.class);
    byKind.forEach((k, v) -> out.put(k, Set.copyOf(v)));
    return out;
  }

  /** How many distinct values are searched for. */
  public int size() {
    return byKind.values().stream().mapToInt(Set::size).sum();
  }
}
