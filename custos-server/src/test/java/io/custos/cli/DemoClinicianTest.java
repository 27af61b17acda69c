package io.custos.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.FhirContext;
import io.custos.fhir.FhirUpstream;
import io.custos.fhir.HapiFhirUpstream;
import io.custos.fhir.store.EmbeddedFhirStore;
import io.custos.fhir.store.InMemoryRepository;
import io.custos.phi.SyntheaFixture;
import java.time.Duration;
import java.util.List;
import org.hl7.fhir.r4.model.Encounter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The demo's cast comes from the data, read over FHIR: the suggested patient has active conditions, active
 * medications and lab results, and is in the demo clinician's care; shown on the Synthea fixture, and again when the
 * fixture's first choice loses its medications (the choice follows the data, not a fixed patient).
 */
class DemoClinicianTest {
  private EmbeddedFhirStore store;
  private FhirUpstream fhir;

  @BeforeEach
  void start() {
    store = EmbeddedFhirStore.builder().dataDirectory(SyntheaFixture.directory())
        .referenceInstant(SyntheaFixture.REFERENCE).build().start();
    fhir = new HapiFhirUpstream(FhirContext.forR4Cached(), store.baseUrl(), Duration.ofSeconds(30), List.of());
  }

  @AfterEach
  void stop() {
    store.close();
  }

  @Test
  void suggestedPatientHasConditionsMedicationsAndLabsInTheCliniciansCare() {
    DemoClinician.Cast cast = DemoClinician.choose(fhir);

    assertThat(DemoClinician.richness(fhir, cast.patient(), r -> true)).isEqualTo(3);
    assertCare(store.repository(), cast);
    assertThat(cast.patients()).first().isEqualTo(cast.patient());
    assertThat(cast.patients()).containsExactlyInAnyOrderElementsOf(
        SyntheaFixture.patients(store.repository()).stream().map(p -> p.getIdPart()).toList());
  }

  @Test
  void choiceFollowsTheData() {
    InMemoryRepository repo = store.repository();
    String first = DemoClinician.choose(fhir).patient();
    repo.forPatient("MedicationRequest", first).forEach(m -> repo.remove("MedicationRequest", m.getIdElement().getIdPart()));

    DemoClinician.Cast cast = DemoClinician.choose(fhir);

    assertThat(cast.patient()).isNotEqualTo(first);
    assertThat(DemoClinician.richness(fhir, cast.patient(), r -> true)).isEqualTo(3);
    assertCare(repo, cast);
  }

  private static void assertCare(InMemoryRepository repo, DemoClinician.Cast cast) {
    List<String> participants = repo.forPatient("Encounter", cast.patient()).stream().map(Encounter.class::cast)
        .flatMap(e -> e.getParticipant().stream()).map(p -> p.getIndividual().getReference()).toList();
    assertThat(participants).contains(cast.practitioner());
  }
}
