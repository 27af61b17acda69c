package io.custos.policy;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.custos.auth.Caller;
import io.custos.fhir.FhirUpstream;
import io.custos.fhir.UpstreamRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;

/**
 * {@link CareRelationship} from the upstream FHIR data: the caller's {@code fhirUser} (a Practitioner) is a
 * CareTeam participant for the patient, or an Encounter participant, or the patient's general practitioner.
 * Positive and negative answers are cached briefly, keyed by user, practitioner ({@code fhirUser}) and patient id (no
 * clinical content): a token naming another practitioner is decided afresh.
 */
public final class FhirCareRelationship implements CareRelationship {
  private record Key(String subject, String practitioner, String patientId) {}

  private record Answer(boolean exists, Instant until) {}

  private final FhirUpstream upstream;
  private final Clock clock;
  private final Duration ttl;
  /** At most 10,000 answers; read without a lock (a shared, synchronized map was contended under load). */
  private final Cache<Key, Answer> cache = Caffeine.newBuilder().maximumSize(10_000).build();

  public FhirCareRelationship(FhirUpstream upstream, Clock clock, Duration ttl) {
    this.upstream = upstream;
    this.clock = clock;
    this.ttl = ttl;
  }

  @Override
  public boolean exists(Caller caller, String patientId) {
    String practitioner = caller.fhirUser().map(FhirCareRelationship::relative).orElse(null);
    if (practitioner == null || !practitioner.startsWith("Practitioner/")) {
      return false; // no fhirUser, or not a practitioner: no relationship can be established
    }
    Key key = new Key(caller.subject(), practitioner, patientId);
    Answer a = cache.getIfPresent(key);
    if (a != null && clock.instant().isBefore(a.until())) {
      return a.exists();
    }
    FhirUpstream up = upstream.as(caller); // the lookup is made on the user's behalf (upstream.auth)
    boolean exists = search(up, "CareTeam", patientId, practitioner) || search(up, "Encounter", patientId, practitioner)
        || generalPractitioner(up, patientId, practitioner);
    cache.put(key, new Answer(exists, clock.instant().plus(ttl)));
    return exists;
  }

  private static boolean search(FhirUpstream upstream, String type, String patientId, String practitioner) {
    var params = Map.of("patient", List.of(patientId), "participant", List.of(practitioner));
    return !upstream.execute(new UpstreamRequest.Search(type, params, 1)).resources().isEmpty();
  }

  private static boolean generalPractitioner(FhirUpstream upstream, String patientId, String practitioner) {
    var page = upstream.execute(new UpstreamRequest.Read("Patient", patientId));
    return page.resources().stream().filter(Patient.class::isInstance).map(Patient.class::cast)
        .flatMap(p -> p.getGeneralPractitioner().stream()).map(Reference::getReference)
        .anyMatch(practitioner::equals);
  }

  /** {@code https://ehr/fhir/Practitioner/1} -> {@code Practitioner/1}. */
  public static String relative(String fhirUser) {
    String[] parts = fhirUser.split("/");
    return parts.length < 2 ? fhirUser : parts[parts.length - 2] + "/" + parts[parts.length - 1];
  }
}
