package io.custos.cli;

import io.custos.fhir.FhirUpstream;
import io.custos.fhir.SearchPage;
import io.custos.fhir.UpstreamRequest;
import io.custos.phi.SensitiveCategories;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Resource;

/**
 * Picks the demo's cast from the synthetic data, for any Synthea seed and patient count, by FHIR R4 searches against
 * the demo's upstream: the suggested patient is the first living patient (by id) who has, visible to a clinician, an
 * active Condition ({@code clinical-status=active}), an active MedicationRequest ({@code status=active}) and a
 * laboratory Observation ({@code category=laboratory}), and who saw a practitioner; the demo clinician is the
 * practitioner who took part in most of that patient's encounters. So the three tools a newcomer tries first answer
 * with data, and patients outside the clinician's care remain to refuse. "Visible" means outside every sensitive
 * category ({@link SensitiveCategories}), which the server may withhold. When no patient has all three (a very small
 * or very young population), the patient with the most of them wins.
 */
final class DemoClinician {
  /** A search that a suggested patient must match at least once. */
  private record Need(String type, String parameter, String value) {}

  private static final List<Need> NEEDS = List.of(new Need("Condition", "clinical-status", "active"),
      new Need("MedicationRequest", "status", "active"), new Need("Observation", "category", "laboratory"));

  private DemoClinician() {}

  /**
   * @param practitioner {@code Practitioner/<id>}, the demo clinician's {@code fhirUser}
   * @param patient      the suggested patient's id (in the clinician's care)
   * @param patients     every patient id: the suggested one, then the others in the clinician's care, then the rest
   */
  record Cast(String practitioner, String patient, List<String> patients) {
    Cast {
      patients = List.copyOf(patients);
    }
  }

  /**
   * @param fhir the demo's FHIR R4 server (read and search)
   * @throws IllegalStateException if no patient had an encounter with a practitioner (no clinician to choose)
   * @throws io.custos.fhir.UpstreamException if the server fails
   */
  static Cast choose(FhirUpstream fhir) {
    SensitiveCategories sensitive = new SensitiveCategories(ca.uhn.fhir.context.FhirContext.forR4Cached());
    Predicate<Resource> visible = r -> sensitive.classify(r).isEmpty();
    List<Patient> all = search(fhir, "Patient", Map.of()).stream().map(Patient.class::cast)
        .sorted(Comparator.comparing(Patient::getIdPart)).toList();
    Map<String, List<String>> participants = all.stream()
        .collect(Collectors.toMap(Patient::getIdPart, p -> participants(fhir, p.getIdPart())));
    Patient chosen = all.stream().filter(p -> !participants.get(p.getIdPart()).isEmpty())
        .max(Comparator.comparingInt((Patient p) -> richness(fhir, p.getIdPart(), visible))
            .thenComparing(p -> !isDeceased(p))
            .thenComparing(Patient::getIdPart, Comparator.reverseOrder()))
        .orElseThrow(() -> new IllegalStateException("no demo patient had an encounter with a practitioner"));
    String patient = chosen.getIdPart();
    String practitioner = mostFrequent(participants.get(patient)).orElseThrow();
    List<String> inCare = new ArrayList<>(List.of(patient));
    List<String> others = new ArrayList<>();
    for (Patient p : all) {
      String id = p.getIdPart();
      if (!id.equals(patient)) {
        boolean care = participants.get(id).contains(practitioner)
            || !search(fhir, "CareTeam", Map.of("patient", id, "participant", practitioner)).isEmpty();
        (care ? inCare : others).add(id);
      }
    }
    inCare.addAll(others);
    return new Cast(practitioner, patient, inCare);
  }

  /** How many of active conditions, active medications and laboratory results the patient has (0..3). */
  static int richness(FhirUpstream fhir, String patientId, Predicate<Resource> visible) {
    int n = 0;
    for (Need need : NEEDS) {
      Map<String, String> params = Map.of("patient", patientId, need.parameter(), need.value());
      n += search(fhir, need.type(), params).stream().anyMatch(visible) ? 1 : 0;
    }
    return n;
  }

  /** Every match of a search, following {@code next} links. */
  private static List<Resource> search(FhirUpstream fhir, String type, Map<String, String> params) {
    Map<String, List<String>> multi = params.entrySet().stream()
        .collect(Collectors.toMap(Map.Entry::getKey, e -> List.of(e.getValue())));
    List<Resource> out = new ArrayList<>();
    SearchPage page = fhir.execute(new UpstreamRequest.Search(type, multi, 100));
    out.addAll(page.resources());
    while (page.nextLink().isPresent()) {
      page = fhir.nextPage(page.nextLink().get());
      out.addAll(page.resources());
    }
    return out;
  }

  /** Most frequent value; ties go to the smallest, so the choice is deterministic. */
  private static Optional<String> mostFrequent(List<String> values) {
    return values.stream().collect(Collectors.groupingBy(Function.identity(), Collectors.counting())).entrySet().stream()
        .max(Map.Entry.<String, Long>comparingByValue().thenComparing(Map.Entry.comparingByKey(Comparator.reverseOrder())))
        .map(Map.Entry::getKey);
  }

  private static boolean isDeceased(Patient p) {
    return p.hasDeceasedDateTimeType() || (p.hasDeceasedBooleanType() && p.getDeceasedBooleanType().booleanValue());
  }

  /** The Practitioner references of the patient's encounters, one per participation. */
  private static List<String> participants(FhirUpstream fhir, String patientId) {
    List<String> refs = new ArrayList<>();
    for (Resource r : search(fhir, "Encounter", Map.of("patient", patientId))) {
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
