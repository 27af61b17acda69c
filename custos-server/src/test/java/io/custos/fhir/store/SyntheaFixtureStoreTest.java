package io.custos.fhir.store;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.client.api.IGenericClient;
import ca.uhn.fhir.rest.client.api.ServerValidationModeEnum;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Appointment;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.Coverage;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.Location;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Organization;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Practitioner;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * End-to-end tests against the deterministic Synthea fixture ({@code fixtures/synthea}, produced by the
 * custos-synthea module). Skipped when the fixture is not on the test classpath.
 */
class SyntheaFixtureStoreTest {

  /** The fixture's simulation end time (see fixtures/synthea/README.md). */
  static final Instant REFERENCE = Instant.parse("2026-01-01T00:00:00Z");

  static EmbeddedFhirStore store;
  static IGenericClient client;
  static List<Patient> patients;

  @BeforeAll
  static void start() throws Exception {
    URL url = SyntheaFixtureStoreTest.class.getResource("/fixtures/synthea");
    assumeTrue(url != null, "Synthea fixture not present");
    Path dir = Path.of(url.toURI());
    try (var files = Files.list(dir)) {
      assumeTrue(files.anyMatch(p -> p.toString().endsWith(".json.gz")), "Synthea fixture empty");
    }
    store = EmbeddedFhirStore.builder().dataDirectory(dir).referenceInstant(REFERENCE).build().start();
    FhirContext ctx = FhirContext.forR4Cached();
    ctx.getRestfulClientFactory().setServerValidationMode(ServerValidationModeEnum.NEVER);
    client = ctx.newRestfulGenericClient(store.baseUrl());
    patients = store.repository().all("Patient").stream().map(Patient.class::cast).toList();
  }

  @AfterAll
  static void stop() {
    if (store != null) {
      store.close();
    }
  }

  Bundle search(String query) {
    return client.search().byUrl(query).returnBundle(Bundle.class).execute();
  }

  /** Follows next links; returns all resources. */
  List<Resource> searchAll(String query) {
    List<Resource> out = new ArrayList<>();
    Bundle page = search(query);
    while (true) {
      page.getEntry().forEach(e -> out.add(e.getResource()));
      if (page.getLink(Bundle.LINK_NEXT) == null) {
        return out;
      }
      page = client.loadPage().next(page).execute();
    }
  }

  static List<String> ids(List<? extends Resource> rs) {
    return rs.stream().map(Resource::getIdPart).toList();
  }

  @Test
  void everyReferenceIsResolved() {
    InMemoryRepository repo = store.repository();
    assertThat(patients).hasSize(5);
    var terser = repo.fhirContext().newTerser();
    int checked = 0;
    for (String type : repo.types()) {
      for (IBaseResource r : repo.all(type)) {
        for (Reference ref : terser.getAllPopulatedChildElementsOfType(r, Reference.class)) {
          if (!ref.hasReference() || ref.getReference().startsWith("#")) {
            continue;
          }
          String value = ref.getReference();
          assertThat(value).doesNotStartWith("urn:uuid:").doesNotContain("?");
          var target = ref.getReferenceElement();
          assertThat(repo.get(target.getResourceType(), target.getIdPart()))
              .as("target of a %s reference exists", type).isPresent();
          checked++;
        }
      }
    }
    assertThat(checked).isGreaterThan(1000);
  }

  @Test
  void patientSearchesFindEveryPatient() {
    for (Patient p : patients) {
      String id = p.getIdPart();
      String family = p.getNameFirstRep().getFamily();
      String given = p.getNameFirstRep().getGivenAsSingleString();
      assertThat(ids(resources(search("Patient?family=" + family)))).contains(id);
      assertThat(ids(resources(search("Patient?name=" + given.substring(0, 3))))).contains(id);
      assertThat(ids(resources(search("Patient?birthdate=" + p.getBirthDateElement().getValueAsString()))))
          .contains(id);
      var ident = p.getIdentifierFirstRep();
      assertThat(ids(resources(search("Patient?identifier=" + ident.getSystem() + "|" + ident.getValue()))))
          .containsExactly(id);
      assertThat(ids(resources(search("Patient?gender=" + p.getGender().toCode())))).contains(id);
      assertThat(ids(resources(search("Patient?_id=" + id)))).containsExactly(id);
    }
  }

  @Test
  void observationsByCodeCategoryAndDateWithPaging() {
    Patient p = patientWithMost("Observation");
    String pid = p.getIdPart();
    int total = store.repository().forPatient("Observation", pid).size();
    assertThat(total).isGreaterThan(100);

    // paging through everything, newest first
    List<Resource> all = searchAll("Observation?patient=" + pid + "&_sort=-date&_count=50");
    assertThat(all).hasSize(total);
    assertThat(ids(all)).doesNotHaveDuplicates();
    List<Date> dates = all.stream().map(r -> ((Observation) r).getEffectiveDateTimeType().getValue()).toList();
    assertThat(dates).isSortedAccordingTo(Comparator.reverseOrder());

    List<Observation> vitals = resources(search("Observation?patient=" + pid + "&category=vital-signs&_count=100"));
    assertThat(vitals).isNotEmpty().allSatisfy(o -> assertThat(o.getCategoryFirstRep().getCodingFirstRep().getCode())
        .isEqualTo("vital-signs"));
    assertThat(resources(search("Observation?subject=Patient/" + pid + "&category=laboratory"))).isNotEmpty();

    // the patient's most frequent LOINC code; split its observations at a midpoint
    Map<String, List<Observation>> byCode = store.repository().forPatient("Observation", pid).stream()
        .map(Observation.class::cast)
        .collect(Collectors.groupingBy(o -> o.getCode().getCodingFirstRep().getCode()));
    var entry = byCode.entrySet().stream().max(Comparator.comparingInt(
        (Map.Entry<String, List<Observation>> e) -> e.getValue().size()).thenComparing(Map.Entry::getKey)).get();
    String code = entry.getKey();
    List<Observation> withCode = resources(search(
        "Observation?patient=" + pid + "&code=http://loinc.org|" + code + "&_count=100"));
    assertThat(withCode).hasSize(entry.getValue().size()).hasSizeGreaterThan(1);
    assertThat(withCode).allSatisfy(o -> assertThat(o.getSubject().getReference()).isEqualTo("Patient/" + pid));
    List<Instant> times = withCode.stream().map(o -> o.getEffectiveDateTimeType().getValue().toInstant())
        .sorted().toList();
    // whole seconds, like the data, so "ge"/"lt" partition the observations exactly
    Instant mid = times.get(0).plusMillis((times.get(times.size() - 1).toEpochMilli() - times.get(0).toEpochMilli()) / 2)
        .truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    long expectedAfter = times.stream().filter(t -> !t.isBefore(mid)).count();
    List<Observation> after = resources(search("Observation?patient=" + pid + "&code=http://loinc.org|" + code
        + "&date=ge" + mid + "&_count=100"));
    List<Observation> before = resources(search("Observation?patient=" + pid + "&code=http://loinc.org|" + code
        + "&date=lt" + mid + "&_count=100"));
    assertThat(after).hasSize((int) expectedAfter);
    assertThat(before).hasSize(times.size() - (int) expectedAfter);
    assertThat(after).allSatisfy(o -> assertThat(o.getEffectiveDateTimeType().getValue().toInstant()).isAfterOrEqualTo(mid));
    assertThat(before).allSatisfy(o -> assertThat(o.getEffectiveDateTimeType().getValue().toInstant()).isBefore(mid));
  }

  @Test
  void clinicalSearchesPerPatient() {
    int activeConditions = 0;
    int activeMeds = 0;
    for (Patient p : patients) {
      String pid = p.getIdPart();
      List<Condition> conditions = resources(search("Condition?patient=" + pid + "&_count=100"));
      assertThat(conditions).allSatisfy(c -> assertThat(c.getSubject().getReference()).isEqualTo("Patient/" + pid));
      List<Condition> active = resources(search("Condition?patient=" + pid + "&clinical-status=active&_count=100"));
      assertThat(active).allSatisfy(c -> assertThat(c.getClinicalStatus().getCodingFirstRep().getCode())
          .isEqualTo("active"));
      activeConditions += active.size();
      activeMeds += search("MedicationRequest?patient=" + pid + "&status=active").getTotal();
      assertThat(search("Encounter?patient=" + pid).getTotal())
          .isEqualTo(store.repository().forPatient("Encounter", pid).size()).isPositive();
      assertThat(search("CareTeam?patient=" + pid).getTotal())
          .isEqualTo(store.repository().forPatient("CareTeam", pid).size());
    }
    assertThat(search("CareTeam?patient=" + patientWithMost("CareTeam").getIdPart()).getTotal()).isPositive();
    assertThat(activeConditions).isPositive();
    assertThat(activeMeds).isPositive();
    assertThat(search("MedicationRequest?status=stopped,completed").getTotal()).isPositive();
    assertThat(search("Immunization?patient=" + patientWithMost("Immunization").getIdPart()).getTotal())
        .isPositive();
    String docPatient = patientWithMost("DocumentReference").getIdPart();
    List<Resource> docs = searchAll("DocumentReference?patient=" + docPatient + "&_sort=-date");
    assertThat(docs).isNotEmpty();
    // generic provider: other types by patient
    assertThat(search("Procedure?patient=" + patientWithMost("Procedure").getIdPart()).getTotal()).isPositive();
    assertThat(search("DiagnosticReport?patient=" + patientWithMost("DiagnosticReport").getIdPart()).getTotal())
        .isPositive();
  }

  @Test
  void encounterDateFilterAndProviderReads() {
    Patient p = patientWithMost("Encounter");
    String pid = p.getIdPart();
    List<Encounter> all = store.repository().forPatient("Encounter", pid).stream().map(Encounter.class::cast)
        .toList();
    List<Encounter> recent = resources(search("Encounter?patient=" + pid + "&date=ge2025-01-01T00:00:00Z&_count=100"));
    // "ge" matches periods that end at or after the bound (ranges overlap, R4 3.1.1.4.7)
    long expected = all.stream().filter(e -> !e.getPeriod().hasEnd() || !e.getPeriod().getEnd().toInstant()
        .isBefore(Instant.parse("2025-01-01T00:00:00Z"))).count();
    assertThat(recent).hasSize((int) expected);
    assertThat(recent.size()).isLessThan(all.size());
    Encounter e = recent.isEmpty() ? all.get(0) : recent.get(0);
    String prac = e.getParticipantFirstRep().getIndividual().getReference();
    assertThat(prac).startsWith("Practitioner/");
    assertThat(client.read().resource(Practitioner.class).withId(prac.substring(13)).execute().hasName()).isTrue();
    String org = e.getServiceProvider().getReference();
    assertThat(client.read().resource(Organization.class).withId(org.substring(13)).execute().hasName()).isTrue();
    String loc = e.getLocationFirstRep().getLocation().getReference();
    Location location = client.read().resource(Location.class).withId(loc.substring(9)).execute();
    assertThat(location.getManagingOrganization().getReference()).startsWith("Organization/");
  }

  @Test
  void derivedCoverageAndAppointments() {
    // Synthea 3.3.0 writes neither Coverage nor Appointment; all of them here are derived
    for (String type : List.of("Coverage", "Appointment")) {
      assertThat(store.repository().all(type)).isNotEmpty().allSatisfy(r -> assertThat(((Resource) r).getMeta()
          .getTag(SyntheaEnrichment.PROVENANCE_TAG_SYSTEM, SyntheaEnrichment.PROVENANCE_TAG_DERIVED)).isNotNull());
    }
    int covered = 0;
    for (Patient p : patients) {
      String pid = p.getIdPart();
      List<Coverage> cov = resources(search("Coverage?beneficiary=Patient/" + pid));
      assertThat(cov).hasSizeLessThanOrEqualTo(1);
      if (!cov.isEmpty()) {
        covered++;
        assertThat(cov.get(0).getStatus()).isEqualTo(Coverage.CoverageStatus.ACTIVE);
        assertThat(cov.get(0).getPayorFirstRep().getDisplay()).isNotBlank().isNotEqualTo("NO_INSURANCE");
      }
      List<Appointment> appts = resources(search("Appointment?patient=" + pid + "&_count=100&_sort=-date"));
      assertThat(appts).isNotEmpty();
      List<Appointment> future = resources(search("Appointment?patient=" + pid + "&date=gt" + REFERENCE));
      assertThat(future).allSatisfy(a -> assertThat(a.getStatus()).isEqualTo(Appointment.AppointmentStatus.BOOKED));
      if (!p.hasDeceased()) {
        assertThat(future).hasSizeBetween(1, 2);
      }
    }
    assertThat(covered).isPositive();
  }

  Patient patientWithMost(String type) {
    Function<Patient, Integer> n = p -> store.repository().forPatient(type, p.getIdPart()).size();
    return patients.stream().max(Comparator.comparing(n).thenComparing(Patient::getIdPart)).orElseThrow();
  }

  @SuppressWarnings("unchecked")
  static <T extends Resource> List<T> resources(Bundle b) {
    List<T> out = new ArrayList<>();
    b.getEntry().forEach(e -> out.add((T) e.getResource()));
    return out;
  }
}
