package io.custos.phi;

import static io.custos.phi.SensitiveCategory.HIV;
import static io.custos.phi.SensitiveCategory.MENTAL_HEALTH;
import static io.custos.phi.SensitiveCategory.REPRODUCTIVE_HEALTH;
import static io.custos.phi.SensitiveCategory.RESTRICTED;
import static io.custos.phi.SensitiveCategory.SUBSTANCE_USE;
import static io.custos.phi.SensitiveCategory.VIOLENCE;
import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.FhirContext;
import java.nio.charset.StandardCharsets;
import org.hl7.fhir.r4.model.Appointment;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.DocumentReference;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.MedicationRequest;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.StringType;
import org.junit.jupiter.api.Test;

/** The classification rules: codes, security labels, uncoded text; and the leaks they close. */
class SensitiveCategoriesTest {
  private static final SensitiveCategories C = new SensitiveCategories(FhirContext.forR4Cached());
  private static final String SCT = "http://snomed.info/sct";
  private static final String RX = "http://www.nlm.nih.gov/research/umls/rxnorm";

  private static Condition condition(CodeableConcept code) {
    return new Condition().setSubject(new Reference("Patient/p1")).setCode(code);
  }

  private static MedicationRequest medication(String system, String code, String display) {
    return new MedicationRequest().setMedication(new CodeableConcept(new Coding(system, code, display)));
  }

  @Test
  void anUnknownSensitivityLabelOrAnOidFormRestrictsTheRecordButAnEncounterClassDoesNot() {
    org.hl7.fhir.r4.model.Condition prs = new org.hl7.fhir.r4.model.Condition();
    prs.getMeta().addSecurity("http://terminology.hl7.org/CodeSystem/v3-ActCode", "PRS", null);
    assertThat(C.classify(prs)).containsExactly(SensitiveCategory.RESTRICTED);
    org.hl7.fhir.r4.model.Condition oid = new org.hl7.fhir.r4.model.Condition();
    oid.getMeta().addSecurity("urn:oid:2.16.840.1.113883.5.25", "R", null);
    assertThat(C.classify(oid)).containsExactly(SensitiveCategory.RESTRICTED);
    org.hl7.fhir.r4.model.Condition legacyPsy = new org.hl7.fhir.r4.model.Condition();
    legacyPsy.getMeta().addSecurity("http://hl7.org/fhir/v3/ActCode", "PSY", null);
    assertThat(C.classify(legacyPsy)).containsExactly(SensitiveCategory.MENTAL_HEALTH);
    org.hl7.fhir.r4.model.Encounter ambulatory = new org.hl7.fhir.r4.model.Encounter();
    ambulatory.setClass_(new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB", "ambulatory"));
    assertThat(C.classify(ambulatory)).isEmpty();
  }

  @Test
  void aConsentIsSensitiveByItsOwnLabelsNotByTheCodesAndLabelsItGoverns() {
    org.hl7.fhir.r4.model.Consent consent = new org.hl7.fhir.r4.model.Consent();
    var provision = consent.getProvision().addProvision();
    provision.addSecurityLabel(new Coding("http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "R", null));
    provision.addCode(new org.hl7.fhir.r4.model.CodeableConcept(new Coding("http://snomed.info/sct", "165816005", null)));
    assertThat(C.classify(consent)).isEmpty();
    consent.getMeta().addSecurity("http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "R", null);
    assertThat(C.classify(consent)).containsExactly(SensitiveCategory.RESTRICTED);
  }

  @Test
  void regression_opioidTreatmentMedicationsAreSubstanceUse() {
    assertThat(C.classify(medication(RX, "351266", "buprenorphine 2 MG / naloxone 0.5 MG Sublingual Tablet"))).containsExactly(SUBSTANCE_USE);
    assertThat(C.classify(medication(RX, "864706", "methadone hydrochloride 10 MG Oral Tablet"))).containsExactly(SUBSTANCE_USE);
    assertThat(C.classify(medication(RX, "1483744", "naltrexone hydrochloride 50 MG Oral Tablet"))).containsExactly(SUBSTANCE_USE);
    assertThat(C.classify(medication(RX, "314076", "lisinopril 10 MG Oral Tablet"))).isEmpty();
  }

  @Test
  void regression_opioidDependenceAndTheDrugsOfAbusePanel() {
    assertThat(C.classify(condition(new CodeableConcept(new Coding(SCT, "75544000", "Opioid dependence"))))).containsExactly(SUBSTANCE_USE);
    Observation panel = new Observation().setCode(new CodeableConcept(new Coding("http://loinc.org", "65750-2",
        "Drugs of abuse 5 panel - Urine by Screen method"))).setValue(new StringType("Positive"));
    assertThat(C.classify(panel)).containsExactly(SUBSTANCE_USE);
    Observation local = new Observation().setCode(new CodeableConcept(new Coding("urn:oid:1.2.3.4.lab", "DOA5", "Drugs of abuse 5 panel - Urine")));
    assertThat(C.classify(local)).as("a local lab code is classified by its display").containsExactly(SUBSTANCE_USE);
  }

  @Test
  void regression_uncodedHivTextAndContraceptionEncounterReasons() {
    assertThat(C.classify(condition(new CodeableConcept().setText("HIV positive, on antiretroviral therapy")))).containsExactly(HIV);
    Encounter coded = new Encounter().addReasonCode(new CodeableConcept(new Coding(SCT, "389095005", "Contraception care (regime/therapy)")));
    assertThat(C.classify(coded)).containsExactly(REPRODUCTIVE_HEALTH);
    Encounter text = new Encounter().addReasonCode(new CodeableConcept().setText("Contraception care"));
    assertThat(C.classify(text)).containsExactly(REPRODUCTIVE_HEALTH);
    Appointment appointment = new Appointment().addReasonCode(new CodeableConcept(new Coding(SCT, "389095005", null)));
    assertThat(C.classify(appointment)).containsExactly(REPRODUCTIVE_HEALTH);
  }

  @Test
  void regression_notesNamingBuprenorphineNaloxone() {
    for (String text : new String[] {"Continue buprenorphine/naloxone 8 mg/2 mg SL daily.", "Refilled naloxone+buprenorphine.",
        "Suboxone induction next week.", "Methadone 80 mg daily at the OTP."}) {
      DocumentReference note = new DocumentReference();
      note.addContent().getAttachment().setContentType("text/plain").setData(text.getBytes(StandardCharsets.UTF_8));
      assertThat(C.classify(note)).as(text).containsExactly(SUBSTANCE_USE);
    }
  }

  @Test
  void aListedCodeDecidesOtherConceptsAreAlsoReadByTheirText() {
    CodeableConcept listed = new CodeableConcept(new Coding(SCT, "165816005", "HIV positive")).setText("HIV positive");
    assertThat(C.classify(condition(listed))).containsExactly(HIV);
    CodeableConcept plain = new CodeableConcept(new Coding(SCT, "44054006", "Diabetes")).setText("Diabetes mellitus type 2");
    assertThat(C.classify(condition(plain))).isEmpty();
    // a code the value sets do not list is no evidence: the text that comes back with it is read too
    CodeableConcept codedWithText = new CodeableConcept(new Coding(SCT, "44054006", "Diabetes")).setText("Diabetes; history of depression");
    assertThat(C.classify(condition(codedWithText))).containsExactly(MENTAL_HEALTH);
    CodeableConcept genericHiv = new CodeableConcept(new Coding(SCT, "64572001", "Disease")).setText("HIV positive, on antiretroviral therapy");
    assertThat(C.classify(condition(genericHiv))).containsExactly(HIV);
    CodeableConcept localCode = new CodeableConcept(new Coding("urn:oid:1.2.3.4.local", "MM1", "Methadone maintenance program"));
    assertThat(C.classify(condition(localCode))).containsExactly(SUBSTANCE_USE);
    CodeableConcept displayOnly = new CodeableConcept(new Coding().setSystem(SCT).setDisplay("Major depressive disorder"));
    assertThat(C.classify(condition(displayOnly))).containsExactly(MENTAL_HEALTH);
  }

  @Test
  void freeTextElementsAndNonPersonReferenceDisplaysAreClassified() {
    MedicationRequest byReference = new MedicationRequest().setMedication(new Reference("Medication/m1").setDisplay("Suboxone 8/2 film"));
    assertThat(C.classify(byReference)).containsExactly(SUBSTANCE_USE);
    MedicationRequest dosage = medication(RX, "314076", null);
    dosage.addDosageInstruction().setText("Take with your methadone dose");
    assertThat(C.classify(dosage)).containsExactly(SUBSTANCE_USE);
    assertThat(C.classify(new Appointment().setDescription("Follow-up on the IUD"))).containsExactly(REPRODUCTIVE_HEALTH);
    Observation comment = new Observation().addNote(new org.hl7.fhir.r4.model.Annotation().setText("Screened: intimate partner violence"));
    assertThat(C.classify(comment)).containsExactly(VIOLENCE);
    Encounter byPerson = new Encounter();
    byPerson.addParticipant().setIndividual(new Reference("Practitioner/x").setDisplay("Dr. Mirena Addison"));
    assertThat(C.classify(byPerson)).as("a person's name is not clinical content").isEmpty();
  }

  @Test
  void securityLabelsMapToCategoriesAndRestrictedConfidentialityIsWithheldUnlessACategoryApplies() {
    assertThat(C.classify(labelled("ETH"))).containsExactly(SUBSTANCE_USE);
    assertThat(C.classify(labelled("42CFRPart2"))).containsExactly(SUBSTANCE_USE);
    assertThat(C.classify(labelled("OPIOIDUD"))).containsExactly(SUBSTANCE_USE);
    assertThat(C.classify(labelled("PSYTHPN"))).containsExactly(MENTAL_HEALTH);
    assertThat(C.classify(labelled("STD"))).containsExactly(REPRODUCTIVE_HEALTH);
    assertThat(C.classify(labelled("SDV"))).containsExactly(VIOLENCE);
    assertThat(C.classify(labelled("TBOO"))).containsExactly(RESTRICTED);
    // ActCode ALC is "Alternative Level of Care", not alcohol; as a security label it is an unknown one: restricted
    assertThat(C.classify(labelled("ALC"))).doesNotContain(SUBSTANCE_USE).containsExactly(RESTRICTED);
    Condition restricted = condition(new CodeableConcept(new Coding(SCT, "44054006", null)));
    restricted.getMeta().addSecurity(new Coding(SensitiveCategory.CONFIDENTIALITY, "R", null));
    assertThat(C.classify(restricted)).containsExactly(RESTRICTED);
    Condition veryRestricted = condition(new CodeableConcept(new Coding(SCT, "44054006", null)));
    veryRestricted.getMeta().addSecurity(new Coding(SensitiveCategory.CONFIDENTIALITY, "V", null));
    assertThat(C.classify(veryRestricted)).containsExactly(RESTRICTED);
    Condition restrictedHiv = condition(new CodeableConcept(new Coding("http://hl7.org/fhir/sid/icd-10-cm", "B20", null)));
    restrictedHiv.getMeta().addSecurity(new Coding(SensitiveCategory.CONFIDENTIALITY, "R", null));
    assertThat(C.classify(restrictedHiv)).as("a category grant decides").containsExactly(HIV);
    Condition normal = condition(new CodeableConcept(new Coding(SCT, "44054006", null)));
    normal.getMeta().addSecurity(new Coding(SensitiveCategory.CONFIDENTIALITY, "N", null));
    assertThat(C.classify(normal)).isEmpty();
  }

  private static Condition labelled(String actCode) {
    Condition c = condition(new CodeableConcept(new Coding(SCT, "44054006", null)));
    c.getMeta().addSecurity(new Coding(SensitiveCategory.ACT_CODE, actCode, null));
    return c;
  }

  @Test
  void theTermRuleIsWordBoundedWithCaseSensitiveAbbreviations() {
    assertThat(C.categoriesOfText("Hearing aids fitted.")).isEmpty();
    assertThat(C.categoriesOfText("History of AIDS")).containsExactly(HIV);
    assertThat(C.categoriesOfText("HIV test negative")).containsExactly(HIV);
    assertThat(C.categoriesOfText("Pregnancy test positive; addicted to opioids"))
        .containsExactlyInAnyOrder(REPRODUCTIVE_HEALTH, SUBSTANCE_USE);
    assertThat(C.categoriesOfText("Post traumatic stress disorder")).containsExactly(MENTAL_HEALTH);
    assertThat(C.categoriesOfText("Grape allergy; draped the wound")).as("'rape' only as a word").isEmpty();
    assertThat(C.categoriesOfText("")).isEmpty();
    assertThat(C.categoriesOfText(null)).isEmpty();
    assertThat(C.categoriesOf(RX, "1010604")).containsExactly(SUBSTANCE_USE);
    assertThat(C.categoriesOf(RX, "nope")).isEmpty();
  }

  @Test
  void theDefaultPolicyKeepsPartTwoAndRestrictedFromTreatingRoles() {
    SensitiveDataPolicy policy = SensitiveDataPolicy.treating();
    var clinician = new io.custos.auth.Caller("u", "c", java.util.Optional.empty(), java.util.Set.of("clinician"), java.util.Set.of(),
        java.util.Optional.empty(), true, "t", java.time.Instant.now().plusSeconds(60));
    assertThat(policy.permits(clinician, MENTAL_HEALTH)).isTrue();
    assertThat(policy.permits(clinician, SUBSTANCE_USE)).isFalse();
    assertThat(policy.permits(clinician, RESTRICTED)).isFalse();
    var granted = new io.custos.auth.Caller("u", "c", java.util.Optional.empty(), java.util.Set.of("clinician", "sensitive-data:restricted"),
        java.util.Set.of(), java.util.Optional.empty(), true, "t", java.time.Instant.now().plusSeconds(60));
    assertThat(policy.permits(granted, RESTRICTED)).isTrue();
  }
}
