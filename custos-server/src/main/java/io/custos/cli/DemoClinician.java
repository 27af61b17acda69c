package io.custos.cli;

import io.custos.fhir.store.InMemoryRepository;
import io.custos.phi.SensitiveCategories;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.CareTeam;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.MedicationRequest;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Resource;

/**
 * Picks the demo's cast from the synthetic data, for any Synthea seed and patient count: the suggested patient is
 * the first living patient (by id) who has, visible to a clinician, an active Condition ({@code clinical-status}
 * active), an active MedicationRequest and a laboratory Observation ({@code category} laboratory), and who saw a
 * practitioner; the demo clinician is the practitioner who took part in most of that patient's encounters. So the
 * three tools a newcomer tries first answer with data, and patients outside the clinician's care remain to refuse.
 * "Visible" means outside every sensitive category ({@link SensitiveCategories}), which the server may withhold.
 * When no patient has all three (a very small or very young population), the patient with the most of them wins.
 */
final class DemoClinician {
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
   * @throws IllegalStateException if no patient had an encounter with a practitioner (no clinician to choose)
   */
  static Cast choose(InMemoryRepository repo) {
    SensitiveCategories sensitive = new SensitiveCategories(repo.fhirContext());
    Predicate<IBaseResource> visible = r -> sensitive.classify((Resource) r).isEmpty();
    List<Patient> candidates = repo.all("Patient").stream().map(Patient.class::cast)
        .filter(p -> !participants(repo, p.getIdPart()).isEmpty())
        .sorted(Comparator.comparing(Patient::getIdPart)).toList();
    Patient chosen = candidates.stream()
        .max(Comparator.comparingInt((Patient p) -> richness(repo, p.getIdPart(), visible))
            .thenComparing(p -> !isDeceased(p))
            .thenComparing(Patient::getIdPart, Comparator.reverseOrder()))
        .orElseThrow(() -> new IllegalStateException("no demo patient had an encounter with a practitioner"));
    String patient = chosen.getIdPart();
    String practitioner = mostFrequent(participants(repo, patient)).orElseThrow();
    List<String> inCare = new ArrayList<>(List.of(patient));
    List<String> others = new ArrayList<>();
    repo.all("Patient").stream().map(IBaseResource::getIdElement).map(id -> id.getIdPart()).sorted()
        .filter(id -> !id.equals(patient))
        .forEach(id -> (inCare(repo, practitioner, id) ? inCare : others).add(id));
    inCare.addAll(others);
    return new Cast(practitioner, patient, inCare);
  }

  /** How many of active conditions, active medications and laboratory results the patient has (0..3). */
  static int richness(InMemoryRepository repo, String patientId, Predicate<IBaseResource> visible) {
    boolean conditions = repo.forPatient("Condition", patientId).stream().filter(visible).map(Condition.class::cast)
        .anyMatch(c -> c.getClinicalStatus().getCoding().stream().anyMatch(cd -> "active".equals(cd.getCode())));
    boolean medications = repo.forPatient("MedicationRequest", patientId).stream().filter(visible)
        .map(MedicationRequest.class::cast).anyMatch(m -> m.getStatus() == MedicationRequest.MedicationRequestStatus.ACTIVE);
    boolean labs = repo.forPatient("Observation", patientId).stream().filter(visible).map(Observation.class::cast)
        .anyMatch(o -> o.getCategory().stream().flatMap(c -> c.getCoding().stream())
            .anyMatch(cd -> "laboratory".equals(cd.getCode())));
    return (conditions ? 1 : 0) + (medications ? 1 : 0) + (labs ? 1 : 0);
  }

  /** Encounter participant or CareTeam member: what the server's care-relationship check looks for. */
  private static boolean inCare(InMemoryRepository repo, String practitioner, String patientId) {
    return participants(repo, patientId).contains(practitioner) || repo.forPatient("CareTeam", patientId).stream()
        .map(CareTeam.class::cast).flatMap(c -> c.getParticipant().stream())
        .anyMatch(p -> practitioner.equals(p.getMember().getReference()));
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
