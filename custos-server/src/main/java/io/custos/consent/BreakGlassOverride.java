package io.custos.consent;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;

/**
 * Which patient consent denials break-the-glass (purpose {@link PurposeOfUse#ETREAT}) overrides: configuration key
 * {@code policy.breakGlassOverridesConsent}. An override is always audited with the Consent and provision it set aside.
 */
public enum BreakGlassOverride {
  /** Emergency treatment overrides a {@code patient-privacy} Consent's deny (the default); research consents never. */
  PATIENT_PRIVACY("patient-privacy"),
  /** Break-the-glass overrides no consent. */
  NONE("none");

  private final String key;

  BreakGlassOverride(String key) {
    this.key = key;
  }

  @JsonValue
  public String key() {
    return key;
  }

  /** @throws IllegalArgumentException naming the key and its allowed values */
  @JsonCreator
  public static BreakGlassOverride of(String value) {
    return Arrays.stream(values()).filter(v -> v.key.equals(value.toLowerCase(Locale.ROOT))).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("policy.breakGlassOverridesConsent: must be one of patient-privacy, none"));
  }
}
