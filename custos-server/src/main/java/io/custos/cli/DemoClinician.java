package io.custos.cli;

import io.custos.fhir.store.InMemoryRepository;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.CareTeam;
import org.hl7.fhir.r4.model.Encounter;

/**
 * Picks the demo clinician from the synthetic data: the practitioner who took part in most of the first
 * patient's encounters, so the demo token has a real care relationship to show (and patients outside it
 * to refuse).
 */
final class DemoClinician {
  private DemoClinician() {}

  /** {@code Practitioner/<id>} most often an Encounter participant of {@code patientId}. */
  static String practitionerFor(InMemoryRepository repo, String patientId) {
    return participants(repo, patientId).stream()
        .collect(Collectors.groupingBy(Function.identity(), Collectors.counting())).entrySet().stream()
        .max(Map.Entry.<String, Long>comparingByValue().thenComparing(Map.Entry.comparingByKey(Comparator.reverseOrder())))
        .map(Map.Entry::getKey)
        .orElseThrow(() -> new IllegalStateException("the first demo patient has no encounter participants"));
  }

  /** The patients, those in the practitioner's care (Encounter participant or CareTeam member) first. */
  static List<String> related(InMemoryRepository repo, String practitioner, List<String> patientIds) {
    List<String> inCare = new ArrayList<>();
    List<String> others = new ArrayList<>();
    for (String id : patientIds) {
      boolean care = participants(repo, id).contains(practitioner) || repo.forPatient("CareTeam", id).stream()
          .map(CareTeam.class::cast).flatMap(c -> c.getParticipant().stream())
          .anyMatch(p -> practitioner.equals(p.getMember().getReference()));
      (care ? inCare : others).add(id);
    }
    inCare.addAll(others);
    return inCare;
  }

  private static List<String> participants(InMemoryRepository repo, String patientId) {
    List<String> refs = new ArrayList<>();
    for (IBaseResource r : repo.forPatient("Encounter", patientId)) {
      for (var p : ((Encounter) r).getParticipant()) {
        String ref = p.getIndividual().getReference();
        if (ref != null && ref.startsWith("Practitioner/")) {
          refs.add(ref);
        }
      }
    }
    return refs;
  }
}
