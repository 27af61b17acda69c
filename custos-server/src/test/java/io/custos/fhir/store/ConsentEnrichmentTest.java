package io.custos.fhir.store;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.FhirContext;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.CareTeam;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.Consent;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.Organization;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Practitioner;
import org.hl7.fhir.r4.model.PractitionerRole;
import org.hl7.fhir.r4.model.Reference;
import org.junit.jupiter.api.Test;

/** The demo data's Consents and DS4P labels: deterministic, on a minority of patients, of every documented kind. */
class ConsentEnrichmentTest {
  static final FhirContext FHIR = FhirContext.forR4Cached();
  static final int PATIENTS = 200;

  static InMemoryRepository population() {
    InMemoryRepository repo = new InMemoryRepository(FHIR);
    Organization org = new Organization();
    org.setId("org-1");
    repo.put(org);
    Practitioner doc = new Practitioner();
    doc.setId("doc-1");
    repo.put(doc);
    PractitionerRole role = new PractitionerRole();
    role.setId("role-1");
    role.setPractitioner(new Reference("Practitioner/doc-1"));
    role.setOrganization(new Reference("Organization/org-1"));
    repo.put(role);
    for (int i = 0; i < PATIENTS; i++) {
      String pid = "pat-" + i;
      Patient p = new Patient();
      p.setId(pid);
      repo.put(p);
      Condition depression = new Condition();
      depression.setId(pid + "-dep");
      depression.setSubject(new Reference("Patient/" + pid));
      depression.setCode(new CodeableConcept(new Coding("http://snomed.info/sct", "370143000", "Major depressive disorder")));
      repo.put(depression);
      Encounter e = new Encounter();
      e.setId(pid + "-enc");
      e.setSubject(new Reference("Patient/" + pid));
      e.addParticipant().setIndividual(new Reference("Practitioner/doc-1"));
      repo.put(e);
      CareTeam team = new CareTeam();
      team.setId(pid + "-team");
      team.setSubject(new Reference("Patient/" + pid));
      team.addParticipant().setMember(new Reference("Practitioner/doc-1"));
      repo.put(team);
    }
    return repo;
  }

  static List<String> consentsAsJson(InMemoryRepository repo) {
    List<String> out = new ArrayList<>();
    for (IBaseResource r : repo.all("Consent")) {
      out.add(FHIR.newJsonParser().encodeResourceToString(r));
    }
    out.sort(String::compareTo);
    return out;
  }

  @Test
  void consentsAreDeterministicOnAMinorityAndOfEveryKind() {
    Instant reference = Instant.parse("2026-01-01T00:00:00Z");
    InMemoryRepository first = population();
    var result = new ConsentEnrichment(reference).enrich(first);
    InMemoryRepository second = population();
    new ConsentEnrichment(reference).enrich(second);
    assertThat(consentsAsJson(first)).isEqualTo(consentsAsJson(second)).isNotEmpty();

    assertThat(result.consents()).containsOnlyKeys(ConsentEnrichment.Kind.values());
    int total = result.consents().values().stream().mapToInt(Integer::intValue).sum();
    assertThat(total).as("a minority of %d patients", PATIENTS).isBetween(PATIENTS / 10, PATIENTS / 2);
    assertThat(first.all("Consent")).hasSize(total);

    for (IBaseResource r : first.all("Consent")) {
      Consent c = (Consent) r;
      String kind = c.getMeta().getTag().stream().filter(t -> "urn:custos:consent-kind".equals(t.getSystem())).findFirst()
          .orElseThrow().getCode();
      switch (ConsentEnrichment.Kind.valueOf(kind)) {
        case REVOKED -> assertThat(c.getStatus()).isEqualTo(Consent.ConsentState.INACTIVE);
        case RESEARCH_OPT_OUT -> {
          assertThat(c.getScope().getCodingFirstRep().getCode()).isEqualTo("research");
          assertThat(c.getProvision().getPurposeFirstRep().getCode()).isEqualTo("HRESCH");
        }
        case ONE_ORGANIZATION -> assertThat(c.getProvision().getProvisionFirstRep().getActorFirstRep().getReference().getReference())
            .isEqualTo("Organization/org-1");
        case MENTAL_HEALTH_TO_CARE_TEAM -> assertThat(c.getProvision().getProvision()).allSatisfy(deny ->
            assertThat(deny.getProvisionFirstRep().getActorFirstRep().getReference().getReference())
                .isEqualTo("CareTeam/" + c.getPatient().getReferenceElement().getIdPart() + "-team"));
      }
    }
  }

  @Test
  void mentalHealthRecordsAreLabelledRestrictedAndPsy() {
    InMemoryRepository repo = population();
    var result = new ConsentEnrichment(Instant.parse("2026-01-01T00:00:00Z")).enrich(repo);
    assertThat(result.labelled()).isEqualTo(PATIENTS);
    Condition c = (Condition) repo.get("Condition", "pat-0-dep").orElseThrow();
    assertThat(c.getMeta().getSecurity()).extracting(Coding::getCode).containsExactlyInAnyOrder("R", "PSY");
    Map<String, Long> bySystem = new java.util.HashMap<>();
    c.getMeta().getSecurity().forEach(x -> bySystem.merge(x.getSystem(), 1L, Long::sum));
    assertThat(bySystem).containsOnlyKeys("http://terminology.hl7.org/CodeSystem/v3-Confidentiality",
        "http://terminology.hl7.org/CodeSystem/v3-ActCode");
  }
}
