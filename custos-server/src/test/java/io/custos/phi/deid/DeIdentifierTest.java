package io.custos.phi.deid;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.model.api.TemporalPrecisionEnum;
import io.custos.fhir.store.InMemoryRepository;
import io.custos.phi.SyntheaFixture;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Address;
import org.hl7.fhir.r4.model.Annotation;
import org.hl7.fhir.r4.model.Attachment;
import org.hl7.fhir.r4.model.BaseDateTimeType;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.ContactPoint;
import org.hl7.fhir.r4.model.Coverage;
import org.hl7.fhir.r4.model.Device;
import org.hl7.fhir.r4.model.DocumentReference;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.HumanName;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.StringType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * De-identification test: identifiers of every Safe Harbor kind (45 CFR 164.514(b)(2)(i)(A)-(R))
 * are planted into the Synthea fixture (structured elements, extensions, free-text notes); after
 * de-identification none survive anywhere in the serialized output.
 */
class DeIdentifierTest {
  private static final FhirContext FHIR = FhirContext.forR4Cached();
  private static final byte[] KEY = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);
  private static final LocalDate TODAY = LocalDate.of(2026, 1, 1);
  private static final List<String> TYPES = List.of("Condition", "Observation", "Encounter", "DocumentReference", "Coverage",
      "Immunization", "MedicationRequest", "AllergyIntolerance", "Procedure", "Claim", "ExplanationOfBenefit", "CarePlan",
      "DiagnosticReport", "Appointment");
  private static InMemoryRepository repo;

  /** Planted values, one or more per kind. */
  static final List<String> PLANTED = List.of(
      "Quentin Zyxwicz", "Zyxwicz", // A (relative in free text and contact)
      "742 Evergreen Terrace", "Springfieldia", // B
      "1931-07-14", "07/14/1931", // C
      "(617) 555-0123", "617-555-0199", // D, E
      "quentin.zyxwicz@example.org", // F
      "123-45-6789", // G
      "MRN88776655", // H
      "W123456789", // I
      "ACCT-55443322", // J
      "S99912345", // K
      "1HGCM82633A004352", // L
      "SN-99887766", "(01)00844588003288(17)141120(10)7654321D(21)10987654d321", // M
      "https://portal.example.org/u/88776655", "www.example.net/jane", // N
      "192.168.10.20", // O
      "FP-99887766", // P
      "FACEPHOTO", // Q (in a base64 photo)
      "ZX-7788-RARE"); // R

  @BeforeAll
  static void load() {
    repo = SyntheaFixture.load();
  }

  private static Patient planted(Patient original) {
    Patient p = original.copy();
    p.addIdentifier(new Identifier().setSystem("http://hospital.example/mrn").setValue("MRN88776655"));
    p.addIdentifier(new Identifier().setSystem("http://plan.example/member").setValue("W123456789"));
    p.addIdentifier(new Identifier().setSystem("http://bank.example/account").setValue("ACCT-55443322"));
    p.addIdentifier(new Identifier().setSystem("urn:oid:2.16.840.1.113883.4.3.25").setValue("S99912345"));
    p.addIdentifier(new Identifier().setSystem("http://hl7.org/fhir/sid/us-ssn").setValue("123-45-6789"));
    p.addTelecom(new ContactPoint().setSystem(ContactPoint.ContactPointSystem.FAX).setValue("617-555-0199"));
    p.addTelecom(new ContactPoint().setSystem(ContactPoint.ContactPointSystem.EMAIL).setValue("quentin.zyxwicz@example.org"));
    p.addTelecom(new ContactPoint().setSystem(ContactPoint.ContactPointSystem.URL).setValue("https://portal.example.org/u/88776655"));
    p.addPhoto(new Attachment().setContentType("image/jpeg").setData("FACEPHOTO".getBytes(StandardCharsets.UTF_8)));
    p.addExtension(new Extension("http://example.org/fingerprint", new StringType("FP-99887766")));
    p.addExtension(new Extension("http://example.org/vehicle", new StringType("1HGCM82633A004352")));
    p.addContact().setName(new HumanName().setFamily("Zyxwicz").addGiven("Quentin"))
        .setAddress(new Address().addLine("742 Evergreen Terrace").setCity("Springfieldia"));
    p.getAddressFirstRep().getExtension().clear(); // geolocation extension stays planted below
    p.getAddressFirstRep().addExtension(new Extension("http://hl7.org/fhir/StructureDefinition/geolocation", new StringType("42.36,-71.05")));
    return p;
  }

  private static List<Resource> plantedResources(Patient p) {
    String pid = p.getIdPart();
    String name = p.getNameFirstRep().getGivenAsSingleString() + " " + p.getNameFirstRep().getFamily();
    List<Resource> out = new ArrayList<>();
    String note = """
        %s (DOB %s) seen with her father Quentin Zyxwicz, who lives at 742 Evergreen Terrace, Springfieldia 03601.
        Call (617) 555-0123 or fax 617-555-0199, email quentin.zyxwicz@example.org. SSN 123-45-6789, MRN88776655,
        plan W123456789, account ACCT-55443322, licence S99912345, car VIN 1HGCM82633A004352, pump serial SN-99887766,
        UDI (01)00844588003288(17)141120(10)7654321D(21)10987654d321. Portal https://portal.example.org/u/88776655 or
        www.example.net/jane from 192.168.10.20. Fingerprint FP-99887766. Seen 07/14/1931 and 1931-07-14. Badge ZX-7788-RARE.
        Grandmother is 97 years old.
        """.formatted(name, p.getBirthDateElement().getValueAsString());
    DocumentReference d = new DocumentReference();
    d.setId("planted-note-" + pid);
    d.setSubject(new Reference("Patient/" + pid).setDisplay(name));
    d.addContent().setAttachment(new Attachment().setContentType("text/plain").setData(note.getBytes(StandardCharsets.UTF_8))
        .setUrl("https://portal.example.org/u/88776655"));
    d.setDescription("Note about " + name + ", phone (617) 555-0123");
    out.add(d);
    Condition c = new Condition();
    c.setId("planted-cond-" + pid);
    c.setSubject(new Reference("Patient/" + pid));
    c.setCode(new CodeableConcept().setText("Injury"));
    c.addNote(new Annotation().setText("Told by Quentin Zyxwicz at quentin.zyxwicz@example.org on 1931-07-14"));
    c.addExtension(new Extension("http://example.org/badge", new StringType("ZX-7788-RARE")));
    c.getCode().addExtension(new Extension("http://example.org/who", new StringType(name)));
    out.add(c);
    Observation o = new Observation();
    o.setId("planted-obs-" + pid);
    o.setSubject(new Reference("Patient/" + pid));
    o.setValue(new StringType("Voice print FP-99887766 from 192.168.10.20"));
    out.add(o);
    Device dev = new Device();
    dev.setId("planted-device-" + pid);
    dev.setPatient(new Reference("Patient/" + pid));
    dev.addUdiCarrier().setDeviceIdentifier("00844588003288").setCarrierHRF("(01)00844588003288(17)141120(10)7654321D(21)10987654d321");
    dev.setSerialNumber("SN-99887766");
    dev.setLotNumber("7654321D");
    out.add(dev);
    Coverage cov = new Coverage();
    cov.setId("planted-cov-" + pid);
    cov.setBeneficiary(new Reference("Patient/" + pid));
    cov.setSubscriberId("W123456789");
    out.add(cov);
    return out;
  }

  private static Set<String> patientIdentifiers(Patient p) {
    Set<String> ids = new LinkedHashSet<>(DeidContext.of(p).knownTerms());
    ids.add(p.getBirthDateElement().getValueAsString());
    ids.addAll(PLANTED);
    ids.removeIf(s -> s.length() < 3);
    return ids;
  }

  @Test
  void noIdentifierOfAnyKindSurvivesSafeHarbor() {
    DeIdentifier deid = new DeIdentifier(FHIR, DeidConfig.safeHarbor(KEY, TODAY));
    int resources = 0;
    for (Patient original : SyntheaFixture.patients(repo)) {
      Patient p = planted(original);
      DeidContext ctx = DeidContext.of(p);
      List<Resource> input = new ArrayList<>();
      input.add(p);
      for (String type : TYPES) {
        repo.forPatient(type, p.getIdPart()).forEach(r -> input.add((Resource) r));
      }
      input.addAll(plantedResources(p));
      Set<String> identifiers = patientIdentifiers(p);
      String pseudoPatient = "Patient/" + deid.pseudonymId("Patient", p.getIdPart());
      for (Resource r : input) {
        IBaseResource out = deid.deidentify(r, ctx);
        String json = FHIR.newJsonParser().encodeResourceToString(out);
        String decoded = Survivors.disclosed(FHIR, out);
        for (String id : identifiers) {
          assertThat(Survivors.find(decoded, id)).as("%s still holds the synthetic identifier '%s'", r.fhirType(), id).isEmpty();
        }
        assertThat(decoded).doesNotContain("FACEPHOTO", "RkFDRVBIT1RP", "geolocation");
        for (BaseDateTimeType d : FHIR.newTerser().getAllPopulatedChildElementsOfType(out, BaseDateTimeType.class)) {
          assertThat(d.getPrecision()).as("dates keep the year only").isEqualTo(TemporalPrecisionEnum.YEAR);
        }
        if (!(r instanceof Patient)) {
          assertThat(json).as("linkage by pseudonym").contains(pseudoPatient);
        }
        resources++;
      }
    }
    assertThat(resources).isGreaterThan(500);
  }

  @Test
  void zip3RuleAgesOver89AndNoteScrubbing() {
    DeIdentifier deid = new DeIdentifier(FHIR, DeidConfig.safeHarbor(KEY, TODAY));
    Patient old = new Patient();
    old.setId("old");
    old.getBirthDateElement().setValueAsString("1931-07-14");
    old.addAddress().setPostalCode("03601").setState("NH").setCity("Keene");
    Patient young = new Patient();
    young.setId("young");
    young.getBirthDateElement().setValueAsString("1990-03-04");
    young.addAddress().setPostalCode("02110-1234").setState("MA");
    Patient o = deid.deidentify(old, DeidContext.of(old));
    Patient y = deid.deidentify(young, DeidContext.of(young));
    assertThat(o.hasBirthDate()).as("over 89: birth date removed").isFalse();
    assertThat(o.getAddressFirstRep().getPostalCode()).isEqualTo("000");
    assertThat(o.getAddressFirstRep().hasCity()).isFalse();
    assertThat(o.getAddressFirstRep().getState()).isEqualTo("NH");
    assertThat(y.getBirthDateElement().getValueAsString()).isEqualTo("1990");
    assertThat(y.getAddressFirstRep().getPostalCode()).isEqualTo("021");
    for (String z : DeIdentifier.RESTRICTED_ZIP3) {
      assertThat(DeIdentifier.zip3(z)).isEqualTo("000");
    }
    TextScrubber s = new TextScrubber(DeidContext.none());
    assertThat(s.scrub("Born 1990-03-04, lives in 03601 and 02110; he is 97 years old"))
        .isEqualTo("Born 1990, lives in 000** and 021**; he is 90+ years old");
  }

  @Test
  void addressStateAndCountryAreKeptButScrubbedLikeText() {
    DeIdentifier deid = new DeIdentifier(FHIR, DeidConfig.safeHarbor(KEY, TODAY));
    Patient p = new Patient();
    p.setId("state");
    p.addName(new HumanName().setFamily("Quorble"));
    p.addAddress().setState("MA, Quorble, SSN 123-45-6789").setCountry("US, call 617-555-0123");
    p.addAddress().setState("NH").setCountry("US");
    Patient out = deid.deidentify(p, DeidContext.of(p));
    assertThat(out.getAddress().get(0).getState()).isEqualTo("MA, [REDACTED], SSN [SSN]");
    assertThat(out.getAddress().get(0).getCountry()).isEqualTo("US, call [PHONE]");
    assertThat(out.getAddress().get(1).getState()).isEqualTo("NH");
    assertThat(out.getAddress().get(1).getCountry()).isEqualTo("US");
  }

  @Test
  void anExtensionWithoutUrlIsRemovedLikeAnyUnknownExtension() {
    Patient p = new Patient();
    p.setId("no-url");
    p.addExtension(new Extension().setValue(new StringType("Quorble 617-555-0123")));
    Patient out = new DeIdentifier(FHIR, DeidConfig.safeHarbor(KEY, TODAY)).deidentify(p, DeidContext.of(p));
    assertThat(out.getExtension()).isEmpty();
  }

  @Test
  void aYearBefore1000IsKeptWithFourDigits() {
    Patient p = new Patient();
    p.setId("early");
    p.getDeceasedDateTimeType().setValueAsString("0019-03-04");
    Patient out = new DeIdentifier(FHIR, DeidConfig.safeHarbor(KEY, TODAY)).deidentify(p, DeidContext.of(p));
    assertThat(out.getDeceasedDateTimeType().getValueAsString()).isEqualTo("0019");
  }

  @Test
  void dateShiftIsConsistentPerPatientAndKeepsPrecision() {
    DeIdentifier deid = new DeIdentifier(FHIR, DeidConfig.dateShift(KEY, TODAY));
    Condition a = new Condition();
    a.setSubject(new Reference("Patient/p1"));
    a.getRecordedDateElement().setValueAsString("2020-05-10T10:00:00Z");
    a.getOnsetDateTimeType().setValueAsString("2020-05-01");
    Condition b = a.copy();
    DeidContext ctx = new DeidContext("p1", java.util.Optional.empty(), Set.of());
    Condition da = deid.deidentify(a, ctx);
    Condition db = deid.deidentify(b, ctx);
    assertThat(da.getRecordedDate()).isEqualTo(db.getRecordedDate()).isNotEqualTo(a.getRecordedDate());
    long shift = da.getRecordedDate().getTime() - a.getRecordedDate().getTime();
    assertThat(Math.abs(shift)).isLessThanOrEqualTo(50L * 86_400_000L);
    assertThat(da.getOnsetDateTimeType().getPrecision()).isEqualTo(TemporalPrecisionEnum.DAY);
    Condition other = deid.deidentify(a, new DeidContext("p2", java.util.Optional.empty(), Set.of()));
    assertThat(other.getRecordedDate()).as("another patient, another shift").isNotEqualTo(da.getRecordedDate())
        .isNotEqualTo(a.getRecordedDate());
  }
}
