package io.custos.phi;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * FHIR security labels ({@code meta.security}, {@code DocumentReference.securityLabel}) that put a record in a
 * {@link SensitiveCategory}: HL7 v3 ActCode information-sensitivity codes and the 42 CFR Part 2 law code, read from
 * {@code io/custos/phi/security-labels.json} (HL7 Terminology, ActCode 9.0.0). Labels mapped to {@code restricted}
 * (sensitivities no other category covers) and v3-Confidentiality R and V mark a record restricted: it is withheld as
 * {@link SensitiveCategory#RESTRICTED} when no category classifies it, and otherwise as its categories.
 */
final class SecurityLabels {
  private static final String FILE = "/io/custos/phi/security-labels.json";
  private final Map<String, SensitiveCategory> byCode;

  private SecurityLabels(Map<String, SensitiveCategory> byCode) {
    this.byCode = Map.copyOf(byCode);
  }

  private static final class BuiltIn {
    static final SecurityLabels INSTANCE = read();
  }

  static SecurityLabels builtIn() {
    return BuiltIn.INSTANCE;
  }

  private static SecurityLabels read() {
    Map<String, SensitiveCategory> map = new HashMap<>();
    CategoryData.forEach(FILE, (cat, codes) -> codes.forEach(code -> map.put(code.asText(), cat)));
    return new SecurityLabels(map);
  }

  /**
   * The category a label puts a record in: ActCode labels per the mapping, v3-Confidentiality R and V as
   * {@link SensitiveCategory#RESTRICTED}; empty for any other coding.
   */
  Optional<SensitiveCategory> category(String system, String code) {
    if (code == null) {
      return Optional.empty();
    }
    String canonical = canonical(system);
    if (SensitiveCategory.ACT_CODE.equals(canonical)) {
      return Optional.ofNullable(byCode.get(code));
    }
    if (SensitiveCategory.CONFIDENTIALITY.equals(canonical) && (code.equals("R") || code.equals("V"))) {
      return Optional.of(SensitiveCategory.RESTRICTED);
    }
    return Optional.empty();
  }

  /**
   * Whether a security label ({@code meta.security}, {@code securityLabel}) is a v3-ActCode code the mapping does not
   * know (a sensitivity, privacy policy or handling caveat such as {@code PRS} or {@code NORDSCLCD}): such a record is
   * treated as restricted rather than released (deny unless known).
   */
  boolean unknownActCode(String system, String code) {
    return code != null && SensitiveCategory.ACT_CODE.equals(canonical(system)) && !byCode.containsKey(code);
  }

  /** The FHIR R4 system URI for the OID and pre-R4 forms of v3-ActCode and v3-Confidentiality. */
  private static String canonical(String system) {
    if (system == null) {
      return null;
    }
    return switch (system) {
      case "urn:oid:2.16.840.1.113883.5.4", "http://hl7.org/fhir/v3/ActCode" -> SensitiveCategory.ACT_CODE;
      case "urn:oid:2.16.840.1.113883.5.25", "http://hl7.org/fhir/v3/Confidentiality" -> SensitiveCategory.CONFIDENTIALITY;
      default -> system;
    };
  }
}
