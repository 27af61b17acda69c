package io.custos.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** SMART App Launch scopes, v2 and v1 forms. */
class SmartScopeTest {

  @Test
  void parsesV2Scopes() {
    assertThat(SmartScope.parse("patient/Observation.rs"))
        .contains(new SmartScope("patient", "Observation", Set.of('r', 's'), Optional.empty()));
    assertThat(SmartScope.parse("user/*.cruds"))
        .contains(new SmartScope("user", "*", Set.of('c', 'r', 'u', 'd', 's'), Optional.empty()));
    assertThat(SmartScope.parse("system/Patient.r"))
        .contains(new SmartScope("system", "Patient", Set.of('r'), Optional.empty()));
    assertThat(SmartScope.parse("patient/Condition.cud"))
        .contains(new SmartScope("patient", "Condition", Set.of('c', 'u', 'd'), Optional.empty()));
  }

  @ParameterizedTest
  @CsvSource({"read, rs", "write, cud", "*, cruds"})
  void mapsV1Permissions(String v1, String v2) {
    SmartScope scope = SmartScope.parse("patient/Observation." + v1).orElseThrow();
    assertThat(scope.permissions()).containsExactlyInAnyOrderElementsOf(v2.chars().mapToObj(c -> (char) c).toList());
    assertThat(scope).isEqualTo(SmartScope.parse("patient/Observation." + v2).orElseThrow());
  }

  @Test
  void v1ReadGrantsReadAndSearchButWriteDoesNot() {
    assertThat(SmartScope.parse("user/Observation.read").orElseThrow().grantsReadSearch("user", "Observation")).isTrue();
    assertThat(SmartScope.parse("user/*.read").orElseThrow().grantsReadSearch("user", "Condition")).isTrue();
    assertThat(SmartScope.parse("user/*.*").orElseThrow().grantsReadSearch("user", "Condition")).isTrue();
    assertThat(SmartScope.parse("user/Observation.write").orElseThrow().grantsReadSearch("user", "Observation")).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"patient/Observation.sr", "patient/Observation.rsc", "patient/Observation.dc",
      "patient/Observation.rr", "patient/Observation.rsx", "patient/Observation.", "patient/Observation.READ",
      "patient/Observation.readwrite", "patient/Observation.**", "patient/Observation.r*"})
  void invalidPermissionStringsAreRejected(String scope) {
    assertThat(SmartScope.parse(scope)).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"openid", "fhirUser", "profile", "launch", "launch/patient", "offline_access", "online_access",
      "Patient/Observation.rs", "practitioner/Observation.rs", "patient/Observation", "patient/Obs-ervation.rs",
      "patient/Observation.rs extra", " patient/Observation.rs", "patient/.rs", "patient/Observation.rs?"})
  void nonResourceOrMalformedScopesAreNotResourceScopes(String scope) {
    assertThat(SmartScope.parse(scope)).isEmpty();
  }

  @Test
  void grantsReadSearchNeedsBothPermissionsTheContextAndTheType() {
    SmartScope rs = SmartScope.parse("patient/Observation.rs").orElseThrow();
    assertThat(rs.grantsReadSearch("patient", "Observation")).isTrue();
    assertThat(rs.grantsReadSearch("PATIENT", "Observation")).isTrue();
    assertThat(rs.grantsReadSearch("user", "Observation")).isFalse();
    assertThat(rs.grantsReadSearch("system", "Observation")).isFalse();
    assertThat(rs.grantsReadSearch("patient", "Condition")).isFalse();
    assertThat(rs.grantsReadSearch("patient", "observation")).isFalse();

    assertThat(SmartScope.parse("patient/Observation.r").orElseThrow().grantsReadSearch("patient", "Observation")).isFalse();
    assertThat(SmartScope.parse("patient/Observation.s").orElseThrow().grantsReadSearch("patient", "Observation")).isFalse();
    assertThat(SmartScope.parse("patient/*.rs").orElseThrow().grantsReadSearch("patient", "AllergyIntolerance")).isTrue();
  }

  @Test
  void granularScopesDoNotGrantUnconstrainedRead() {
    SmartScope labs = SmartScope.parse("patient/Observation.rs?category=laboratory").orElseThrow();
    assertThat(labs.query()).contains("category=laboratory");
    assertThat(labs.permissions()).containsExactlyInAnyOrder('r', 's');
    assertThat(labs.grantsReadSearch("patient", "Observation")).isFalse();

    SmartScope coded = SmartScope.parse("user/Condition.rs?category=http://terminology.hl7.org/CodeSystem/condition-category|problem-list-item")
        .orElseThrow();
    assertThat(coded.query()).isPresent();
    assertThat(coded.grantsReadSearch("user", "Condition")).isFalse();

    assertThat(SmartScope.parse("user/*.cruds?category=vital-signs").orElseThrow().grantsReadSearch("user", "Observation")).isFalse();
  }
}
