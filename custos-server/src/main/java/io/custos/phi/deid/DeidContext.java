package io.custos.phi.deid;

import java.time.LocalDate;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import org.hl7.fhir.r4.model.Address;
import org.hl7.fhir.r4.model.ContactPoint;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.HumanName;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.PrimitiveType;

/**
 * What the de-identifier knows about the patient a resource belongs to: the id (for the per-patient date
 * shift), the birth date (ages over 89) and the patient's own identifying strings, which free-text
 * scrubbing removes wherever they occur (names of the patient and relatives, address lines, city,
 * identifiers, phone numbers, emails).
 *
 * @param patientId  logical id of the patient (or null)
 * @param birthDate  birth date, if known
 * @param knownTerms identifying strings of this patient
 */
public record DeidContext(String patientId, Optional<LocalDate> birthDate, Set<String> knownTerms) {
  public DeidContext {
    knownTerms = Set.copyOf(knownTerms);
  }

  public static DeidContext none() {
    return new DeidContext(null, Optional.empty(), Set.of());
  }

  /** Collects the identifying strings of {@code p}. */
  public static DeidContext of(Patient p) {
    Set<String> terms = new LinkedHashSet<>();
    for (HumanName n : p.getName()) {
      n.getGiven().forEach(g -> terms.add(g.getValue()));
      terms.add(n.getFamily());
      terms.add(n.getText());
    }
    for (var c : p.getContact()) {
      c.getName().getGiven().forEach(g -> terms.add(g.getValue()));
      terms.add(c.getName().getFamily());
      c.getAddress().getLine().forEach(l -> terms.add(l.getValue()));
      terms.add(c.getAddress().getCity());
      c.getTelecom().forEach(t -> terms.add(t.getValue()));
    }
    for (Identifier i : p.getIdentifier()) {
      terms.add(i.getValue());
    }
    for (Address a : p.getAddress()) {
      a.getLine().forEach(l -> terms.add(l.getValue()));
      terms.add(a.getCity());
      terms.add(a.getDistrict());
      terms.add(a.getPostalCode());
    }
    for (ContactPoint cp : p.getTelecom()) {
      terms.add(cp.getValue());
    }
    for (Extension e : p.getExtension()) {
      if (e.getValue() instanceof PrimitiveType<?> v && e.hasUrl() && e.getUrl().endsWith("mothersMaidenName")) {
        terms.add(v.getValueAsString());
      }
    }
    terms.add(p.getIdPart());
    terms.removeIf(t -> t == null || t.isBlank() || t.length() < 2);
    var b = p.getBirthDateElement();
    Optional<LocalDate> birth = b.getValue() == null ? Optional.empty()
        : Optional.of(LocalDate.of(b.getYear(), b.getMonth() + 1, b.getDay()));
    return new DeidContext(p.getIdPart(), birth, terms);
  }
}
