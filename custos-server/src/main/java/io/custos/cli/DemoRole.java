package io.custos.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The demo's users, one per built-in role of the role policy, each with the SMART App Launch v2 scopes its tokens
 * carry. Staff roles read with {@code user/*.rs} (the role policy decides which tools they see) plus the create
 * scopes of their write tools; the researcher reads only the types the de-identified cohort tools need; the patient's
 * token is bound to one patient (SMART {@code patient} launch context, {@code patient/*.rs}).
 *
 * <p>Staff act for the demo clinician's practice: their {@code fhirUser} is the demo practitioner, so their care
 * relationships are the clinician's and what differs between them is the role.
 */
enum DemoRole {
  CLINICIAN("clinician", Binding.PRACTITIONER, "openid fhirUser user/*.rs user/DocumentReference.c user/Appointment.c "
      + "user/Communication.c user/Claim.c user/QuestionnaireResponse.c"),
  NURSE("nurse", Binding.PRACTITIONER,
      "openid fhirUser user/*.rs user/DocumentReference.c user/Communication.c user/QuestionnaireResponse.c"),
  FRONT_DESK("front-desk", Binding.PRACTITIONER, "openid fhirUser user/*.rs user/Appointment.c"),
  BILLING("billing", Binding.PRACTITIONER, "openid fhirUser user/*.rs user/Claim.c"),
  RESEARCHER("researcher", Binding.NONE, "openid user/Patient.rs user/Condition.rs"),
  PATIENT("patient", Binding.PATIENT, "openid fhirUser patient/*.rs");

  /** Whom a role's token speaks for. */
  private enum Binding { PRACTITIONER, PATIENT, NONE }

  private final String id;
  private final Binding binding;
  private final String scope;

  DemoRole(String id, Binding binding, String scope) {
    this.id = id;
    this.binding = binding;
    this.scope = scope;
  }

  /** The role name, as in the role policy and the token's {@code roles} claim. */
  String id() {
    return id;
  }

  /** The token's {@code sub}: {@code demo-<role>}. */
  String subject() {
    return "demo-" + id;
  }

  /** Space-separated scopes of the role's tokens. */
  String scope() {
    return scope;
  }

  /**
   * @param cast the demo's practitioner and suggested patient
   * @return the role's token claims besides the standard ones: {@code scope}, {@code roles}, and {@code fhirUser}
   *         (and SMART {@code patient} for the patient)
   */
  Map<String, Object> claims(DemoClinician.Cast cast) {
    Map<String, Object> claims = new LinkedHashMap<>();
    claims.put("scope", scope);
    claims.put("roles", List.of(id));
    switch (binding) {
      case PRACTITIONER -> claims.put("fhirUser", cast.practitioner());
      case PATIENT -> {
        claims.put("fhirUser", "Patient/" + cast.patient());
        claims.put("patient", cast.patient());
      }
      case NONE -> { }
    }
    return claims;
  }

  /** The role named {@code id}. */
  static DemoRole of(String id) {
    for (DemoRole r : values()) {
      if (r.id.equals(id)) {
        return r;
      }
    }
    throw new IllegalArgumentException("unknown demo role; one of clinician, nurse, front-desk, billing, researcher, patient");
  }

  @Override
  public String toString() {
    return id;
  }
}
