package io.custos.phi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ca.uhn.fhir.context.FhirContext;
import java.util.List;
import org.hl7.fhir.r4.model.Address;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.Narrative;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Quantity;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.StringType;
import org.junit.jupiter.api.Test;

class ElementAllowlistTest {
  private static final FhirContext FHIR = FhirContext.forR4Cached();

  private static Patient richPatient() {
    Patient p = new Patient();
    p.setId("Patient/p1/_history/3");
    p.getMeta().addSecurity(new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "PSY", "psychiatry"));
    p.getText().setStatus(Narrative.NarrativeStatus.GENERATED).setDivAsString("<div xmlns=\"http://www.w3.org/1999/xhtml\">Jane Roe, 12 Elm St</div>");
    p.addExtension(new Extension("http://hl7.org/fhir/us/core/StructureDefinition/us-core-race", new StringType("x")));
    p.addModifierExtension(new Extension("http://example.org/mod", new StringType("y")));
    p.addContained(new Patient().setId("c1"));
    p.addName().setFamily("Roe").addGiven("Jane").addExtension(new Extension("http://example.org/n", new StringType("nick")));
    p.addAddress(new Address().addLine("12 Elm St").setCity("Boston").setPostalCode("02110").setState("MA"));
    p.getBirthDateElement().setValueAsString("1970-02-03");
    p.getBirthDateElement().addExtension(new Extension("http://hl7.org/fhir/StructureDefinition/patient-birthTime", new StringType("t")));
    p.addIdentifier().setSystem("http://hospital.example/mrn").setValue("MRN-1");
    return p;
  }

  @Test
  void keepsOnlyListedElementsAndDropsMetaTextContainedAndExtensions() {
    var allow = new ElementAllowlist(FHIR, "Patient", List.of("Patient.id", "Patient.name", "Patient.birthDate", "Patient.address.city"));
    Patient src = richPatient();
    Patient out = allow.apply(src);
    assertThat(out.getIdPart()).isEqualTo("p1");
    assertThat(out.hasMeta()).isFalse();
    assertThat(out.hasText()).isFalse();
    assertThat(out.hasContained()).isFalse();
    assertThat(out.hasExtension()).isFalse();
    assertThat(out.hasModifierExtension()).isFalse();
    assertThat(out.hasIdentifier()).isFalse();
    assertThat(out.getNameFirstRep().getFamily()).isEqualTo("Roe");
    assertThat(out.getNameFirstRep().hasExtension()).as("extensions inside an allowed element").isFalse();
    assertThat(out.getBirthDateElement().getValueAsString()).isEqualTo("1970-02-03");
    assertThat(out.getBirthDateElement().hasExtension()).isFalse();
    assertThat(out.getAddressFirstRep().getCity()).isEqualTo("Boston");
    assertThat(out.getAddressFirstRep().hasLine()).isFalse();
    assertThat(out.getAddressFirstRep().hasPostalCode()).isFalse();
    // the source is untouched
    assertThat(src.hasExtension()).isTrue();
    assertThat(src.getAddressFirstRep().hasLine()).isTrue();
  }

  @Test
  void explicitExtensionsAndChoiceElements() {
    var allow = new ElementAllowlist(FHIR, "Patient", List.of("Patient.extension"));
    assertThat(allow.apply(richPatient()).getExtension()).hasSize(1);

    Observation o = new Observation();
    o.setId("o1");
    o.setValue(new Quantity(7.1).setUnit("%"));
    o.setSubject(new Reference("Patient/p1").setDisplay("Jane Roe"));
    o.setCode(new CodeableConcept(new Coding("http://loinc.org", "4548-4", "HbA1c")));
    o.getCode().addExtension(new Extension("http://example.org/x", new StringType("hidden")));
    Observation any = new ElementAllowlist(FHIR, "Observation", List.of("Observation.value[x]", "Observation.code", "Observation.subject.reference")).apply(o);
    assertThat(any.getValueQuantity().getValue().doubleValue()).isEqualTo(7.1);
    assertThat(any.getCode().getCodingFirstRep().getCode()).isEqualTo("4548-4");
    assertThat(any.getCode().hasExtension()).isFalse();
    assertThat(any.getSubject().getReference()).isEqualTo("Patient/p1");
    assertThat(any.getSubject().hasDisplay()).isFalse();
    assertThat(any.hasId()).isFalse();

    Observation onlyString = new ElementAllowlist(FHIR, "Observation", List.of("Observation.valueString")).apply(o);
    assertThat(onlyString.hasValue()).isFalse();
  }

  @Test
  void pathsForOtherTypesAreIgnoredAndTyposFail() {
    var allow = new ElementAllowlist(FHIR, "Condition", List.of("Patient.name", "Condition.code"));
    Condition c = new Condition();
    c.setCode(new CodeableConcept().setText("x"));
    assertThat(allow.apply(c).getCode().getText()).isEqualTo("x");
    assertThatThrownBy(() -> new ElementAllowlist(FHIR, "Condition", List.of("Condition.cdoe")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cdoe");
    assertThatThrownBy(() -> allow.apply(new Patient())).isInstanceOf(IllegalArgumentException.class);
  }
}
