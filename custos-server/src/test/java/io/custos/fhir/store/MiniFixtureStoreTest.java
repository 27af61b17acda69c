package io.custos.fhir.store;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.api.SortOrderEnum;
import ca.uhn.fhir.rest.api.SortSpec;
import ca.uhn.fhir.rest.client.api.IGenericClient;
import ca.uhn.fhir.rest.client.api.ServerValidationModeEnum;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import org.hl7.fhir.r4.model.AllergyIntolerance;
import org.hl7.fhir.r4.model.Appointment;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.CareTeam;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.Coverage;
import org.hl7.fhir.r4.model.DocumentReference;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.Immunization;
import org.hl7.fhir.r4.model.Location;
import org.hl7.fhir.r4.model.MedicationRequest;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Organization;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Practitioner;
import org.hl7.fhir.r4.model.PractitionerRole;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** End-to-end tests of the embedded store over HTTP with the hand-made fixture in {@code fixtures/mini}. */
class MiniFixtureStoreTest {

  static final String A = "aaaaaaaa-0000-4000-8000-000000000001";
  static final String B = "bbbbbbbb-0000-4000-8000-000000000001";
  static final Instant REFERENCE = Instant.parse("2024-01-01T00:00:00Z");

  static EmbeddedFhirStore store;
  static IGenericClient client;

  static Path fixture(String name) throws URISyntaxException {
    return Path.of(MiniFixtureStoreTest.class.getResource("/fixtures/" + name).toURI());
  }

  static String a(int n) {
    return String.format("aaaaaaaa-0000-4000-8000-%012d", n);
  }

  @BeforeAll
  static void start() throws Exception {
    store = EmbeddedFhirStore.builder().dataDirectory(fixture("mini")).port(0).referenceInstant(REFERENCE).build();
    store.start();
    FhirContext ctx = FhirContext.forR4Cached();
    ctx.getRestfulClientFactory().setServerValidationMode(ServerValidationModeEnum.NEVER);
    client = ctx.newRestfulGenericClient(store.baseUrl());
  }

  @AfterAll
  static void stop() {
    if (store != null) {
      store.close();
    }
  }

  static <T> List<T> resources(Bundle b, Class<T> type) {
    List<T> out = new ArrayList<>();
    b.getEntry().forEach(e -> out.add(type.cast(e.getResource())));
    return out;
  }

  Bundle search(String query) {
    return client.search().byUrl(query).returnBundle(Bundle.class).execute();
  }

  @Test
  void bindsToLoopbackWithEphemeralPort() {
    assertThat(store.baseUrl()).matches("http://127\\.0\\.0\\.1:\\d+/fhir");
    assertThat(store.port()).isPositive();
  }

  @Test
  void capabilityStatementListsTheProviders() {
    CapabilityStatement cs = client.capabilities().ofType(CapabilityStatement.class).execute();
    var resources = cs.getRestFirstRep().getResource();
    assertThat(resources).extracting(CapabilityStatement.CapabilityStatementRestResourceComponent::getType)
        .contains("Patient", "Observation", "Coverage", "Appointment", "PractitionerRole");
    var observation = resources.stream().filter(r -> r.getType().equals("Observation")).findFirst().orElseThrow();
    assertThat(observation.getSearchParam()).extracting(p -> p.getName())
        .contains("patient", "code", "category", "date");
  }

  @Test
  void patientSearches() {
    assertThat(ids(search("Patient?family=zyx"))).containsExactly(A);
    assertThat(ids(search("Patient?given=annie"))).containsExactly(A); // accent-insensitive
    assertThat(ids(search("Patient?name=Quor"))).containsExactly(B);
    assertThat(ids(search("Patient?name:exact=Quorble"))).isEmpty();
    assertThat(ids(search("Patient?birthdate=ge1970-01-01"))).containsExactly(A);
    assertThat(ids(search("Patient?birthdate=1950-11-20"))).containsExactly(B);
    assertThat(ids(search("Patient?identifier=http://hospital.smarthealthit.org|MRN-A-0001"))).containsExactly(A);
    assertThat(ids(search("Patient?identifier=MRN-A-0001"))).containsExactly(A);
    assertThat(ids(search("Patient?identifier=http://other|MRN-A-0001"))).isEmpty();
    assertThat(ids(search("Patient?gender=male"))).containsExactly(B);
    assertThat(ids(search("Patient?_id=" + B))).containsExactly(B);
    assertThat(ids(search("Patient?family=zyx&gender=male"))).isEmpty();
    Patient p = client.read().resource(Patient.class).withId(A).execute();
    assertThat(p.getNameFirstRep().getFamily()).isEqualTo("Zyx123");
  }

  @Test
  void referencesAreResolved() {
    Condition c = resources(search("Condition?patient=" + A), Condition.class).get(0);
    assertThat(c.getSubject().getReference()).isEqualTo("Patient/" + A);
    Encounter e = client.read().resource(Encounter.class).withId(a(11)).execute();
    assertThat(e.getSubject().getReference()).isEqualTo("Patient/" + A);
    assertThat(e.getServiceProvider().getReference()).isEqualTo("Organization/org-0001");
    assertThat(e.getParticipantFirstRep().getIndividual().getReference()).isEqualTo("Practitioner/prac-0001");
    assertThat(e.getLocationFirstRep().getLocation().getReference()).isEqualTo("Location/loc-0001");
    // conditional reference within the hospital bundle itself
    Location loc = client.read().resource(Location.class).withId("loc-0001").execute();
    assertThat(loc.getManagingOrganization().getReference()).isEqualTo("Organization/org-0001");
    // generic provider (PractitionerRole) read
    PractitionerRole role = client.read().resource(PractitionerRole.class).withId("role-0001").execute();
    assertThat(role.getPractitioner().getReference()).isEqualTo("Practitioner/prac-0001");
    // entry without resource.id got the urn:uuid of its fullUrl
    Observation weight = client.read().resource(Observation.class).withId(a(24)).execute();
    assertThat(weight.getSubject().getReference()).isEqualTo("Patient/" + A);
    assertThat(store.repository().count("Observation")).isEqualTo(5 + 25);
  }

  @Test
  void practitionerOrganizationLocationRead() {
    assertThat(client.read().resource(Practitioner.class).withId("prac-0001").execute().getNameFirstRep()
        .getFamily()).isEqualTo("Testdoc1");
    assertThat(client.read().resource(Organization.class).withId("org-0001").execute().getName())
        .isEqualTo("MINI GENERAL HOSPITAL");
    assertThat(ids(search("Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9999990001")))
        .containsExactly("prac-0001");
    assertThat(ids(search("Organization?name=mini"))).containsExactly("org-0001");
    assertThat(ids(search("Location?identifier=https://github.com/synthetichealth/synthea|loc-0001")))
        .containsExactly("loc-0001");
  }

  @Test
  void readUnknownIs404WithoutEchoingTheId() {
    assertThatThrownBy(() -> client.read().resource(Patient.class).withId("no-such-patient").execute())
        .isInstanceOf(ResourceNotFoundException.class)
        .satisfies(ex -> assertThat(ex.getMessage()).doesNotContain("no-such-patient"));
  }

  @Test
  void observationSearches() {
    assertThat(search("Observation?patient=" + A).getTotal()).isEqualTo(5);
    assertThat(search("Observation?subject=Patient/" + A).getTotal()).isEqualTo(5);
    assertThat(ids(search("Observation?patient=" + A + "&code=http://loinc.org|8302-2")))
        .containsExactlyInAnyOrder(a(20), a(21));
    // date filtering excludes out-of-range items
    assertThat(ids(search("Observation?patient=" + A + "&code=http://loinc.org|8302-2&date=ge2021-01-01")))
        .containsExactly(a(21));
    assertThat(ids(search("Observation?patient=" + A + "&code=http://loinc.org|8302-2&date=lt2021-01-01")))
        .containsExactly(a(20));
    assertThat(ids(search("Observation?patient=" + A + "&date=ge2020-06-01&date=le2022-12-31")))
        .containsExactly(a(24));
    assertThat(ids(search("Observation?patient=" + A + "&date=gt2023-06-10T14:15:00Z")))
        .containsExactly(a(22));
    assertThat(ids(search("Observation?patient=" + A + "&date=eq2020-03-01")))
        .containsExactlyInAnyOrder(a(20), a(23));
    assertThat(ids(search("Observation?patient=" + A + "&category=laboratory")))
        .containsExactlyInAnyOrder(a(22), a(23));
    assertThat(ids(search("Observation?patient=" + A
        + "&category=http://terminology.hl7.org/CodeSystem/observation-category|vital-signs&code=8302-2,4548-4")))
        .containsExactlyInAnyOrder(a(20), a(21));
    // newest first
    assertThat(ids(search("Observation?patient=" + A + "&_sort=-date")))
        .containsExactly(a(22), a(21), a(24), a(23), a(20));
    assertThat(ids(search("Observation?patient=" + A + "&_sort=date")))
        .containsExactly(a(20), a(23), a(24), a(21), a(22));
    // no cross-patient leakage
    assertThat(search("Observation?patient=" + B + "&code=8302-2").getTotal()).isZero();
  }

  @Test
  void unsupportedSortOrChainIsRejected() {
    assertThatThrownBy(() -> search("Observation?patient=" + A + "&_sort=value-quantity"))
        .isInstanceOf(InvalidRequestException.class);
    assertThatThrownBy(() -> search("Observation?patient.name=zyx"))
        .isInstanceOf(InvalidRequestException.class);
  }

  @Test
  void pagingFollowsNextLinks() {
    Bundle page1 = client.search().forResource(Observation.class)
        .where(Observation.PATIENT.hasId(B)).and(Observation.CODE.exactly().code("8867-4"))
        .sort(new SortSpec("date", SortOrderEnum.DESC))
        .count(10).returnBundle(Bundle.class).execute();
    assertThat(page1.getTotal()).isEqualTo(25);
    assertThat(page1.getEntry()).hasSize(10);
    assertThat(page1.getLink(Bundle.LINK_NEXT)).isNotNull();
    assertThat(page1.getLink(Bundle.LINK_NEXT).getUrl()).startsWith(store.baseUrl());
    Bundle page2 = client.loadPage().next(page1).execute();
    assertThat(page2.getEntry()).hasSize(10);
    Bundle page3 = client.loadPage().next(page2).execute();
    assertThat(page3.getEntry()).hasSize(5);
    assertThat(page3.getLink(Bundle.LINK_NEXT)).isNull();
    List<String> all = new ArrayList<>();
    all.addAll(ids(page1));
    all.addAll(ids(page2));
    all.addAll(ids(page3));
    assertThat(all).doesNotHaveDuplicates().hasSize(25);
    // newest first across pages
    List<Observation> obs = new ArrayList<>();
    obs.addAll(resources(page1, Observation.class));
    obs.addAll(resources(page3, Observation.class));
    assertThat(obs.get(0).getEffectiveDateTimeType().getValueAsString()).startsWith("2021-01-15");
    assertThat(obs.get(obs.size() - 1).getEffectiveDateTimeType().getValueAsString()).startsWith("2019-01-15");
    // default page size 20, maximum 100
    assertThat(search("Observation?patient=" + B).getEntry()).hasSize(20);
    assertThat(search("Observation?_count=500").getEntry()).hasSize(30);
  }

  @Test
  void conditionMedicationAllergyImmunizationCareTeam() {
    assertThat(ids(search("Condition?patient=" + A + "&clinical-status=active"))).containsExactly(a(30));
    assertThat(ids(search("Condition?patient=" + A
        + "&clinical-status=http://terminology.hl7.org/CodeSystem/condition-clinical|resolved")))
        .containsExactly(a(31));
    assertThat(ids(search("MedicationRequest?patient=" + A + "&status=active"))).containsExactly(a(40));
    assertThat(ids(search("MedicationRequest?patient=" + A))).hasSize(2);
    MedicationRequest mr = client.read().resource(MedicationRequest.class).withId(a(40)).execute();
    assertThat(mr.getRequester().getReference()).isEqualTo("Practitioner/prac-0001");
    List<AllergyIntolerance> allergies =
        resources(search("AllergyIntolerance?patient=" + A), AllergyIntolerance.class);
    assertThat(allergies).hasSize(1);
    assertThat(allergies.get(0).getPatient().getReference()).isEqualTo("Patient/" + A);
    assertThat(resources(search("Immunization?patient=Patient/" + A), Immunization.class)).hasSize(1);
    assertThat(search("Immunization?patient=" + A + "&date=ge2021-01-01").getTotal()).isZero();
    List<CareTeam> teams = resources(search("CareTeam?patient=" + A), CareTeam.class);
    assertThat(teams).hasSize(1);
    assertThat(teams.get(0).getParticipant()).extracting(p -> p.getMember().getReference())
        .containsExactly("Practitioner/prac-0001", "Patient/" + A);
    assertThat(search("AllergyIntolerance?patient=" + B).getTotal()).isZero();
  }

  @Test
  void documentReferenceAndEncounterSearches() {
    assertThat(ids(search("DocumentReference?patient=" + A + "&_sort=-date"))).containsExactly(a(70), a(71));
    assertThat(ids(search("DocumentReference?patient=" + A + "&date=ge2023-01-01"))).containsExactly(a(70));
    DocumentReference doc = client.read().resource(DocumentReference.class).withId(a(70)).execute();
    assertThat(doc.getContext().getEncounterFirstRep().getReference()).isEqualTo("Encounter/" + a(11));
    assertThat(ids(search("Encounter?patient=" + A + "&_sort=-date"))).containsExactly(a(11), a(12), a(10));
    assertThat(ids(search("Encounter?patient=" + A + "&date=ge2021-01-01&date=lt2023-01-01")))
        .containsExactly(a(12));
    assertThat(ids(search("Encounter?patient=" + A + "&class=EMER"))).containsExactly(a(12));
  }

  @Test
  void derivedCoverage() {
    List<Coverage> cov = resources(search("Coverage?beneficiary=Patient/" + A), Coverage.class);
    assertThat(cov).hasSize(1);
    Coverage c = cov.get(0);
    assertThat(c.getStatus()).isEqualTo(Coverage.CoverageStatus.ACTIVE);
    assertThat(c.getPayorFirstRep().getDisplay()).isEqualTo("Blue Cross Blue Shield");
    assertThat(c.getBeneficiary().getReference()).isEqualTo("Patient/" + A);
    assertThat(c.getPeriod().getStartElement().getValueAsString()).startsWith("2022-01-0");
    assertThat(c.getPeriod().hasEnd()).isFalse();
    assertThat(c.getMeta().getTag(SyntheaEnrichment.PROVENANCE_TAG_SYSTEM, SyntheaEnrichment.PROVENANCE_TAG_DERIVED))
        .isNotNull();
    assertThat(ids(search("Coverage?patient=" + A))).containsExactly(c.getIdPart());
    // uninsured patient: no Coverage
    assertThat(search("Coverage?patient=" + B).getTotal()).isZero();
  }

  @Test
  void derivedAppointments() {
    List<Appointment> appts = resources(search("Appointment?patient=" + A + "&_sort=date"), Appointment.class);
    // two non-emergency encounters + 1 or 2 future bookings
    assertThat(appts.size()).isBetween(3, 4);
    assertThat(appts.get(0).getStatus()).isEqualTo(Appointment.AppointmentStatus.FULFILLED);
    assertThat(appts.get(0).getSupportingInformationFirstRep().getReference()).isEqualTo("Encounter/" + a(10));
    assertThat(appts).allSatisfy(x -> assertThat(
        x.getMeta().getTag(SyntheaEnrichment.PROVENANCE_TAG_SYSTEM, SyntheaEnrichment.PROVENANCE_TAG_DERIVED))
        .isNotNull());
    assertThat(appts.get(0).getParticipant()).extracting(p -> p.getActor().getReference())
        .containsExactly("Patient/" + A, "Practitioner/prac-0001", "Location/loc-0001");
    List<Appointment> future = resources(search("Appointment?patient=" + A + "&date=ge2024-01-01"), Appointment.class);
    assertThat(future).isNotEmpty().allSatisfy(x -> {
      assertThat(x.getStatus()).isEqualTo(Appointment.AppointmentStatus.BOOKED);
      assertThat(x.getStart().toInstant()).isAfter(REFERENCE).isBefore(REFERENCE.plusSeconds(100L * 86400));
    });
    assertThat(search("Appointment?patient=" + A + "&status=fulfilled").getTotal()).isEqualTo(2);
    assertThat(search("Appointment?actor=Practitioner/prac-0001").getTotal()).isEqualTo(appts.size() + 1);
    // deceased patient: only the past encounter, no future bookings
    assertThat(ids(search("Appointment?patient=" + B))).hasSize(1);
  }

  @Test
  void enrichmentIsDeterministic() throws Exception {
    FhirContext ctx = FhirContext.forR4Cached();
    List<String> runs = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      InMemoryRepository repo = new InMemoryRepository(ctx);
      SyntheaBundleLoader.LoadResult r = new SyntheaBundleLoader(repo).loadDirectory(fixture("mini"));
      assertThat(r.files()).isEqualTo(4);
      assertThat(r.unresolvedReferences()).isZero();
      new SyntheaEnrichment(REFERENCE).enrich(repo);
      StringBuilder sb = new StringBuilder();
      for (String type : List.of("Coverage", "Appointment")) {
        repo.all(type).forEach(x -> sb.append(ctx.newJsonParser().encodeResourceToString(x)).append('\n'));
      }
      runs.add(sb.toString());
    }
    assertThat(runs.get(0)).isEqualTo(runs.get(1)).isNotEmpty();
  }

  static List<String> ids(Bundle b) {
    List<String> out = new ArrayList<>();
    b.getEntry().forEach(e -> out.add(e.getResource().getIdElement().getIdPart()));
    return out;
  }
}
