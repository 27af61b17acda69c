package io.custos.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.custos.policy.RolePolicy;
import io.custos.writes.WriteToolSpec;
import io.custos.writes.WriteTools;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The demo's users: one per built-in role, each able to use the write tools its role lists (so write tools and
 * their approval appear in a client), and the patient's token bound to the suggested patient.
 */
class DemoRoleTest {
  private static final DemoClinician.Cast CAST = new DemoClinician.Cast("Practitioner/p1", "pat1", List.of("pat1", "pat2"));

  @Test
  void everyDemoRoleIsAPolicyRoleAndHoldsTheScopesOfItsWriteTools() {
    assertThat(RolePolicy.DEFAULT_ROLES.keySet()).containsAll(
        java.util.Arrays.stream(DemoRole.values()).map(DemoRole::id).toList());
    for (DemoRole role : DemoRole.values()) {
      List<String> granted = List.of(role.scope().split(" "));
      for (WriteToolSpec spec : WriteTools.standard().tools()) {
        if (RolePolicy.DEFAULT_ROLES.get(role.id()).contains(spec.name())) {
          assertThat(granted).as("%s may use %s", role, spec.name()).containsAnyElementsOf(spec.requiredScopes());
        }
      }
    }
    assertThat(DemoRole.CLINICIAN.scope()).contains("user/Appointment.c", "user/DocumentReference.c");
  }

  @Test
  void claimsBindThePractitionerOrThePatient() {
    assertThat(DemoRole.NURSE.claims(CAST)).containsEntry("fhirUser", "Practitioner/p1")
        .containsEntry("roles", List.of("nurse")).doesNotContainKey("patient");
    Map<String, Object> patient = DemoRole.PATIENT.claims(CAST);
    assertThat(patient).containsEntry("patient", "pat1").containsEntry("fhirUser", "Patient/pat1");
    assertThat((String) patient.get("scope")).contains("patient/*.rs").doesNotContain("user/");
    assertThat(DemoRole.RESEARCHER.claims(CAST)).doesNotContainKeys("fhirUser", "patient");
    assertThat(DemoRole.of("front-desk")).isEqualTo(DemoRole.FRONT_DESK);
  }
}
