package io.custos.consent;

import java.util.Set;

/**
 * What a call asks of a patient's record, as Consent provisions match it (FHIR R4 Consent.provision).
 *
 * @param actors       relative references standing for the caller: its {@code fhirUser} ({@code Practitioner/1},
 *                     {@code Organization/2}, {@code Patient/3}), the Organizations of its PractitionerRoles and the
 *                     CareTeams it is a member of
 * @param roles        the caller's Custos roles, matched against {@code provision.actor.role} codes
 * @param purpose      the purpose of use of the call
 * @param action       read (access, use, disclose) or write (collect, correct)
 * @param resourceType the FHIR resource type read or written (matched against {@code provision.class})
 */
public record ConsentRequest(Set<String> actors, Set<String> roles, PurposeOfUse purpose, Action action, String resourceType) {
  public ConsentRequest {
    actors = Set.copyOf(actors);
    roles = Set.copyOf(roles);
  }

  /** Consent actions ({@code http://terminology.hl7.org/CodeSystem/consentaction}) a call performs. */
  public enum Action {
    /** A read tool: access, use, disclose. */
    READ(Set.of("access", "use", "disclose")),
    /** A write tool: collect, correct. */
    WRITE(Set.of("collect", "correct"));

    private final Set<String> codes;

    Action(Set<String> codes) {
      this.codes = codes;
    }

    boolean coveredBy(String code) {
      return codes.contains(code);
    }
  }
}
