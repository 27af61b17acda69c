package io.custos.phi.scan;

import java.util.Locale;

/**
 * The kinds of patient identifier a PHI scan looks for: the HIPAA Safe Harbor identifiers (45 CFR 164.514(b)(2)(i))
 * that a FHIR Patient or a legacy patient table carries. A finding names its kind, never its value.
 */
public enum IdentifierKind {
  /** Given, family and maiden names (164.514(b)(2)(i)(A)). */
  NAME,
  /** Patient.identifier values: MRN, SSN, licence and passport numbers; a legacy table's MRN ((i)(H), (i)(R)). */
  IDENTIFIER,
  /** The FHIR Patient logical id (a record number in the upstream server). */
  LOGICAL_ID,
  /** Birth date ((i)(C)). */
  BIRTH_DATE,
  /** Street address lines ((i)(B)). */
  ADDRESS,
  /** Postal code ((i)(B)). */
  POSTAL_CODE,
  /** Phone, fax and e-mail ((i)(D)-(F)). */
  TELECOM;

  /** The lower-case code in reports, e.g. {@code birth-date}. */
  public String code() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }
}
