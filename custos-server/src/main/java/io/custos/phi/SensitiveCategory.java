package io.custos.phi;

import java.util.Optional;

/**
 * Categories of health information that law or policy protects beyond the general HIPAA Privacy Rule.
 * Each carries the FHIR security label that marks it (an HL7 v3 ActCode information-sensitivity code; for
 * {@link #RESTRICTED} the v3-Confidentiality code R), and a stable lower-case id used in policy configuration,
 * role names ({@code sensitive-data:<id>}) and tool results ({@code withheld.categories}).
 */
public enum SensitiveCategory {
  /** Substance use disorder records: 42 CFR Part 2. */
  SUBSTANCE_USE("substance-use", "ETH", "42 CFR Part 2 substance use disorder information"),
  /** Mental and behavioural health, including psychotherapy notes (45 CFR 164.508(a)(2)). */
  MENTAL_HEALTH("mental-health", "PSY", "mental health information"),
  /** HIV/AIDS status and testing (state law). */
  HIV("hiv", "HIV", "HIV/AIDS information"),
  /** Reproductive and sexual health, pregnancy, contraception (45 CFR 164.502(a)(5)(iii), 2024 rule). */
  REPRODUCTIVE_HEALTH("reproductive-health", "SEX", "reproductive and sexual health information"),
  /** Sexual assault, abuse and domestic violence. */
  VIOLENCE("sexual-domestic-violence", "SDV", "sexual assault, abuse or domestic violence information"),
  /**
   * Records marked restricted or very restricted (v3-Confidentiality R, V), or with a sensitivity label no other
   * category covers, that no other category classifies: withheld unless the caller holds this category's role.
   */
  RESTRICTED("restricted", "R", "records marked restricted confidentiality");

  /** Code system of the FHIR security labels. */
  public static final String ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
  /** Code system of the confidentiality labels (R restricted, V very restricted). */
  public static final String CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality";

  private final String id;
  private final String securityLabel;
  private final String description;

  SensitiveCategory(String id, String securityLabel, String description) {
    this.id = id;
    this.securityLabel = securityLabel;
    this.description = description;
  }

  public String id() {
    return id;
  }

  /** The category with {@code id}, if any. */
  public static Optional<SensitiveCategory> byId(String id) {
    for (SensitiveCategory c : values()) {
      if (c.id.equals(id)) {
        return Optional.of(c);
      }
    }
    return Optional.empty();
  }

  /** The label for this category: a v3 ActCode code (e.g. {@code ETH}), for {@link #RESTRICTED} the v3-Confidentiality {@code R}. */
  public String securityLabel() {
    return securityLabel;
  }

  public String description() {
    return description;
  }
}
