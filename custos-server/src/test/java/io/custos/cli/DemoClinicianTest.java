package io.custos.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.custos.fhir.store.InMemoryRepository;
import io.custos.phi.SyntheaFixture;
import java.util.List;
import org.hl7.fhir.r4.model.Encounter;
import org.junit.jupiter.api.Test;

/**
 * The demo's cast comes from the data: the suggested patient has active conditions, active medications and lab
 * results, and is in the demo clinician's care; shown on the Synthea fixture, and again when the fixture's first
 * choice loses its medications (the choice follows the data, not a fixed patient).
 */
class DemoClinicianTest {

  @Test
  void suggestedPatientHasConditionsMedicationsAndLabsInTheCliniciansCare() {
    InMemoryRepository repo = SyntheaFixture.load();
    DemoClinician.Cast cast = DemoClinician.choose(repo);

    assertThat(DemoClinician.richness(repo, cast.patient(), r -> true)).isEqualTo(3);
    assertCare(repo, cast);
    assertThat(cast.patients()).first().isEqualTo(cast.patient());
    assertThat(cast.patients()).containsExactlyInAnyOrderElementsOf(
        SyntheaFixture.patients(repo).stream().map(p -> p.getIdPart()).toList());
  }

  @Test
  void choiceFollowsTheData() {
    InMemoryRepository repo = SyntheaFixture.load();
    String first = DemoClinician.choose(repo).patient();
    repo.forPatient("MedicationRequest", first).forEach(m -> repo.remove("MedicationRequest", m.getIdElement().getIdPart()));

    DemoClinician.Cast cast = DemoClinician.choose(repo);

    assertThat(cast.patient()).isNotEqualTo(first);
    assertThat(DemoClinician.richness(repo, cast.patient(), r -> true)).isEqualTo(3);
    assertCare(repo, cast);
  }

  private static void assertCare(InMemoryRepository repo, DemoClinician.Cast cast) {
    List<String> participants = repo.forPatient("Encounter", cast.patient()).stream().map(Encounter.class::cast)
        .flatMap(e -> e.getParticipant().stream()).map(p -> p.getIndividual().getReference()).toList();
    assertThat(participants).contains(cast.practitioner());
  }
}
