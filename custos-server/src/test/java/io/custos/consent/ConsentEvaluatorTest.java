package io.custos.consent;

import static org.assertj.core.api.Assertions.assertThat;

import io.custos.consent.ConsentEvaluator.Outcome;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.Consent;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.Period;
import org.hl7.fhir.r4.model.Reference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** FHIR R4 Consent evaluation: status, scope, periods, base policy, nested exceptions and whole-request decisions. */
class ConsentEvaluatorTest {
  static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
  static final String PSY = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
  static final ConsentRequest TEAM = new ConsentRequest(Set.of("Practitioner/p1", "CareTeam/ct1"), Set.of("clinician"),
      PurposeOfUse.TREAT, ConsentRequest.Action.READ, "Condition");
  static final ConsentRequest OTHER = new ConsentRequest(Set.of("Practitioner/p2"), Set.of("clinician"),
      PurposeOfUse.TREAT, ConsentRequest.Action.READ, "Condition");

  /** Permit all; except deny PSY-labelled records; except permit CareTeam/ct1. */
  static Consent mentalHealthToCareTeam() {
    Consent c = active("patient-privacy");
    c.getProvision().setType(Consent.ConsentProvisionType.PERMIT);
    var deny = c.getProvision().addProvision().setType(Consent.ConsentProvisionType.DENY);
    deny.addSecurityLabel(new Coding(PSY, "PSY", null));
    deny.addProvision().addActor().setReference(new Reference("CareTeam/ct1")); // no type: inverts its parent (permit)
    return c;
  }

  static Consent active(String scope) {
    Consent c = new Consent();
    c.setId("c1");
    c.setStatus(Consent.ConsentState.ACTIVE);
    c.setScope(new CodeableConcept(new Coding(ConsentEvaluator.CONSENT_SCOPE, scope, null)));
    c.setPatient(new Reference("Patient/pat"));
    return c;
  }

  static Condition condition(boolean psy, String date) {
    Condition r = new Condition();
    r.setId("cond");
    r.setCode(new CodeableConcept(new Coding("http://snomed.info/sct", "44054006", null)));
    r.setOnset(new DateTimeType(date));
    if (psy) {
      r.getMeta().addSecurity(PSY, "PSY", null);
    }
    return r;
  }

  @Test
  void aNestedExceptionInvertsItsParentAndTheDeepestMatchDecides() {
    Consent c = mentalHealthToCareTeam();
    assertThat(ConsentEvaluator.evaluate(c, OTHER, Optional.of(condition(true, "2020-01-01")), NOW).outcomes())
        .isEqualTo(Map.of(Outcome.DENY, "provision.provision[0]"));
    assertThat(ConsentEvaluator.evaluate(c, TEAM, Optional.of(condition(true, "2020-01-01")), NOW).outcomes())
        .isEqualTo(Map.of(Outcome.PERMIT, "provision.provision[0].provision[0]"));
    assertThat(ConsentEvaluator.evaluate(c, OTHER, Optional.of(condition(false, "2020-01-01")), NOW).only(Outcome.PERMIT)).isTrue();
  }

  @Test
  void withoutARecordALabelConditionIsUnknownSoTheRequestIsNotRefusedAsAWhole() {
    var possible = ConsentEvaluator.evaluate(mentalHealthToCareTeam(), OTHER, Optional.empty(), NOW);
    assertThat(possible.can(Outcome.DENY)).isTrue();
    assertThat(possible.can(Outcome.PERMIT)).isTrue();
    assertThat(possible.only(Outcome.DENY)).isFalse();
  }

  @Test
  void aDenyOnActorAloneDecidesTheWholeRequest() {
    Consent c = active("patient-privacy");
    c.getProvision().setType(Consent.ConsentProvisionType.DENY).addProvision().addActor().setReference(new Reference("Organization/a"));
    var outsider = new ConsentRequest(Set.of("Practitioner/p2", "Organization/b"), Set.of("clinician"), PurposeOfUse.TREAT,
        ConsentRequest.Action.READ, "Observation");
    var insider = new ConsentRequest(Set.of("Practitioner/p1", "Organization/a"), Set.of("clinician"), PurposeOfUse.TREAT,
        ConsentRequest.Action.READ, "Observation");
    assertThat(ConsentEvaluator.evaluate(c, outsider, Optional.empty(), NOW).only(Outcome.DENY)).isTrue();
    assertThat(ConsentEvaluator.evaluate(c, insider, Optional.empty(), NOW).only(Outcome.PERMIT)).isTrue();
  }

  @ParameterizedTest
  @EnumSource(value = Consent.ConsentState.class, names = {"INACTIVE", "REJECTED", "ENTEREDINERROR", "DRAFT", "PROPOSED"})
  void onlyAnActiveConsentApplies(Consent.ConsentState status) {
    Consent c = active("patient-privacy");
    c.getProvision().setType(Consent.ConsentProvisionType.DENY);
    c.setStatus(status);
    assertThat(ConsentEvaluator.evaluate(c, OTHER, Optional.empty(), NOW).only(Outcome.NOT_APPLICABLE)).isTrue();
    c.setStatus(Consent.ConsentState.ACTIVE);
    assertThat(ConsentEvaluator.evaluate(c, OTHER, Optional.empty(), NOW).only(Outcome.DENY)).isTrue();
  }

  @Test
  void aConsentOutsideItsProvisionPeriodDoesNotApply() {
    Consent c = active("patient-privacy");
    c.getProvision().setType(Consent.ConsentProvisionType.DENY)
        .setPeriod(new Period().setEnd(Date.from(Instant.parse("2025-06-30T00:00:00Z"))));
    assertThat(ConsentEvaluator.evaluate(c, OTHER, Optional.empty(), NOW).only(Outcome.NOT_APPLICABLE)).isTrue();
    c.getProvision().setPeriod(new Period().setStart(Date.from(Instant.parse("2026-06-01T00:00:00Z"))));
    assertThat(ConsentEvaluator.evaluate(c, OTHER, Optional.empty(), NOW).only(Outcome.NOT_APPLICABLE)).isTrue();
    c.getProvision().setPeriod(new Period().setStart(Date.from(Instant.parse("2025-01-01T00:00:00Z"))));
    assertThat(ConsentEvaluator.evaluate(c, OTHER, Optional.empty(), NOW).only(Outcome.DENY)).isTrue();
  }

  @Test
  void aNestedProvisionOutsideItsPeriodDoesNotMatch() {
    Consent c = mentalHealthToCareTeam();
    c.getProvision().getProvisionFirstRep().setPeriod(new Period().setEnd(Date.from(Instant.parse("2025-01-01T00:00:00Z"))));
    assertThat(ConsentEvaluator.evaluate(c, OTHER, Optional.of(condition(true, "2020-01-01")), NOW).only(Outcome.PERMIT)).isTrue();
  }

  @Test
  void aResearchConsentGovernsResearchOnly() {
    Consent c = active("research");
    c.getProvision().setType(Consent.ConsentProvisionType.DENY);
    var research = new ConsentRequest(Set.of(), Set.of("researcher"), PurposeOfUse.HRESCH, ConsentRequest.Action.READ, "Condition");
    assertThat(ConsentEvaluator.evaluate(c, research, Optional.empty(), NOW).only(Outcome.DENY)).isTrue();
    assertThat(ConsentEvaluator.evaluate(c, OTHER, Optional.empty(), NOW).only(Outcome.NOT_APPLICABLE)).isTrue();
  }

  @Test
  void thePolicyRuleSetsTheBaseWhenTheRootHasNoType() {
    Consent c = active("patient-privacy");
    c.setPolicyRule(new CodeableConcept(new Coding(PSY, "OPTOUT", null)));
    c.getProvision().addProvision().addPurpose(new Coding(PurposeOfUse.SYSTEM, "TREAT", null)); // inverts: permit
    assertThat(ConsentEvaluator.evaluate(c, OTHER, Optional.empty(), NOW).only(Outcome.PERMIT)).isTrue();
    var billing = new ConsentRequest(Set.of(), Set.of("billing"), PurposeOfUse.HPAYMT, ConsentRequest.Action.READ, "Condition");
    assertThat(ConsentEvaluator.evaluate(c, billing, Optional.empty(), NOW).only(Outcome.DENY)).isTrue();
  }

  @Test
  void emergencyTreatmentIsCoveredByAProvisionForTreatment() {
    Consent c = active("patient-privacy");
    c.getProvision().setType(Consent.ConsentProvisionType.PERMIT).addProvision().setType(Consent.ConsentProvisionType.DENY)
        .addPurpose(new Coding(PurposeOfUse.SYSTEM, "TREAT", null));
    var emergency = new ConsentRequest(Set.of(), Set.of("clinician"), PurposeOfUse.ETREAT, ConsentRequest.Action.READ, "Condition");
    assertThat(ConsentEvaluator.evaluate(c, emergency, Optional.empty(), NOW).only(Outcome.DENY)).isTrue();
  }

  @Test
  void theWordsNeverNameASensitiveCodeOrLabel() {
    Consent c = active("patient-privacy");
    var deny = c.getProvision().setType(Consent.ConsentProvisionType.PERMIT).addProvision().setType(Consent.ConsentProvisionType.DENY);
    deny.addCode(new CodeableConcept(new Coding("http://snomed.info/sct", "165816005", null)));
    deny.addCode(new CodeableConcept(new Coding("http://snomed.info/sct", "44054006", null)));
    deny.addSecurityLabel(new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "PSY", null));
    deny.addSecurityLabel(new Coding("http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "R", null));
    String words = String.join(" ", ConsentWords.rules(c));
    assertThat(words).doesNotContain("165816005", "mental health", "PSY")
        .contains("a code in a sensitive category", "SNOMED CT 44054006", "a sensitive category", "restricted");
  }

  @Test
  void anUndatedClinicalRecordIsInsideADenyDataPeriodButAPatientIsNot() {
    Consent c = active("patient-privacy");
    c.getProvision().setType(Consent.ConsentProvisionType.PERMIT).addProvision().setType(Consent.ConsentProvisionType.DENY)
        .setDataPeriod(new Period().setEnd(Date.from(Instant.parse("2019-12-31T00:00:00Z"))));
    Condition undated = condition(false, "2015-01-01");
    undated.setOnset(null);
    assertThat(ConsentEvaluator.evaluate(c, OTHER, Optional.of(undated), NOW).only(Outcome.DENY))
        .as("deny unless the date is known").isTrue();
    assertThat(ConsentEvaluator.evaluate(c, OTHER, Optional.of(new org.hl7.fhir.r4.model.Patient()), NOW).only(Outcome.PERMIT))
        .as("a Patient has no clinical date").isTrue();
  }

  @Test
  void classCodeDataPeriodAndActionEachNarrowAProvision() {
    Consent c = active("patient-privacy");
    var deny = c.getProvision().setType(Consent.ConsentProvisionType.PERMIT).addProvision().setType(Consent.ConsentProvisionType.DENY);
    deny.addClass_(new Coding("http://hl7.org/fhir/resource-types", "Condition", null));
    deny.addCode(new CodeableConcept(new Coding("http://snomed.info/sct", "44054006", null)));
    deny.setDataPeriod(new Period().setEnd(Date.from(Instant.parse("2019-12-31T00:00:00Z"))));
    deny.addAction(new CodeableConcept(new Coding("http://terminology.hl7.org/CodeSystem/consentaction", "access", null)));
    assertThat(ConsentEvaluator.evaluate(c, OTHER, Optional.of(condition(false, "2015-01-01")), NOW).only(Outcome.DENY)).isTrue();
    assertThat(ConsentEvaluator.evaluate(c, OTHER, Optional.of(condition(false, "2022-01-01")), NOW).only(Outcome.PERMIT))
        .as("after the data period").isTrue();
    assertThat(ConsentEvaluator.evaluate(c, new ConsentRequest(OTHER.actors(), OTHER.roles(), PurposeOfUse.TREAT,
        ConsentRequest.Action.READ, "Observation"), Optional.empty(), NOW).only(Outcome.PERMIT))
        .as("another class").isTrue();
    var write = new ConsentRequest(OTHER.actors(), OTHER.roles(), PurposeOfUse.TREAT, ConsentRequest.Action.WRITE, "Condition");
    assertThat(ConsentEvaluator.evaluate(c, write, Optional.of(condition(false, "2015-01-01")), NOW).only(Outcome.PERMIT))
        .as("another action").isTrue();
    Condition other = condition(false, "2015-01-01");
    other.setCode(new CodeableConcept(new Coding("http://snomed.info/sct", "38341003", null)));
    assertThat(ConsentEvaluator.evaluate(c, OTHER, Optional.of(other), NOW).only(Outcome.PERMIT)).as("another code").isTrue();
  }

  @Test
  void amongMatchingSiblingsDenyWins() {
    Consent c = active("patient-privacy");
    c.getProvision().setType(Consent.ConsentProvisionType.DENY);
    c.getProvision().addProvision().setType(Consent.ConsentProvisionType.PERMIT).addActor().setReference(new Reference("Practitioner/p2"));
    c.getProvision().addProvision().setType(Consent.ConsentProvisionType.DENY).addClass_(new Coding(null, "Condition", null));
    assertThat(ConsentEvaluator.evaluate(c, OTHER, Optional.of(condition(false, "2020-01-01")), NOW).outcomes())
        .isEqualTo(Map.of(Outcome.DENY, "provision.provision[1]"));
    assertThat(ConsentWords.rules(c)).isEqualTo(List.of("Deny access to all records.",
        "Except: permit access to all records for practitioner Practitioner/p2.",
        "Except: deny access to Condition records."));
  }
}
