package io.custos.consent;

import io.custos.auth.Caller;
import java.util.Set;

/**
 * HL7 v3 ActReason purposes of use ({@code http://terminology.hl7.org/CodeSystem/v3-ActReason}) that Consent provisions
 * name and that Custos derives for a call. {@link #ETREAT} is a specialisation of {@link #TREAT}: a provision naming
 * TREAT also covers emergency treatment.
 */
public enum PurposeOfUse {
  /** Treatment. */
  TREAT("treatment"),
  /** Emergency treatment (break-the-glass). */
  ETREAT("emergency treatment"),
  /** Healthcare payment. */
  HPAYMT("payment"),
  /** Healthcare operations. */
  HOPERAT("healthcare operations"),
  /** Healthcare research. */
  HRESCH("research");

  /** The code system of these codes. */
  public static final String SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActReason";

  private static final Set<String> TREATING = Set.of("clinician", "nurse", "patient");

  private final String words;

  PurposeOfUse(String words) {
    this.words = words;
  }

  /** Plain words for the purpose, as a clinician reads them. */
  public String words() {
    return words;
  }

  /** Whether a provision naming {@code code} covers this purpose (the code itself, or TREAT for ETREAT). */
  boolean coveredBy(String code) {
    return name().equals(code) || (this == ETREAT && TREAT.name().equals(code));
  }

  /**
   * The purpose of a call on a patient's record: ETREAT under an active break-the-glass grant; TREAT for treating
   * roles (clinician, nurse, the patient); HPAYMT for billing; HOPERAT for every other role (front desk, ...).
   */
  public static PurposeOfUse of(Caller caller, boolean breakGlass) {
    if (breakGlass) {
      return ETREAT;
    }
    if (caller.roles().stream().anyMatch(TREATING::contains)) {
      return TREAT;
    }
    return caller.roles().contains("billing") ? HPAYMT : HOPERAT;
  }
}
