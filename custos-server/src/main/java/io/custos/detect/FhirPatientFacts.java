package io.custos.detect;

import io.custos.fhir.FhirUpstream;
import io.custos.fhir.SearchPage;
import io.custos.fhir.UpstreamRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.HumanName;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Resource;

/**
 * {@link PatientFacts.Source} over the FHIR upstream: re-identifies the pseudonym through the encrypted token map (a
 * server-side step that never leaves the process), reads the Patient and up to {@value #ENCOUNTERS} of its
 * Encounters, and keeps the facts for {@code ttl}. Any failure (unknown pseudonym, upstream down) gives empty: the
 * patient-attribute rules then stay silent for that event rather than guess.
 */
public final class FhirPatientFacts implements PatientFacts.Source {
  static final int ENCOUNTERS = 500;
  private static final int PAGE = 100;
  /** Patients whose facts are held at once before expired ones are dropped. */
  static final int MAX_CACHED = 100_000;
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(FhirPatientFacts.class);

  private record Cached(Optional<PatientFacts> facts, Instant until) {}

  private final FhirUpstream upstream;
  private final Function<String, Optional<String>> reidentify;
  private final Clock clock;
  private final Duration ttl;
  private final Map<String, Cached> cache = new ConcurrentHashMap<>();

  /**
   * @param upstream   the FHIR R4 upstream (with Custos's own credentials)
   * @param reidentify pseudonym to patient id, e.g. {@code TokenMap::patientFor}
   * @param clock      for the cache
   * @param ttl        how long facts are reused
   */
  public FhirPatientFacts(FhirUpstream upstream, Function<String, Optional<String>> reidentify, Clock clock, Duration ttl) {
    this.upstream = upstream;
    this.reidentify = reidentify;
    this.clock = clock;
    this.ttl = ttl;
  }

  @Override
  public Optional<PatientFacts> facts(String pseudonym) {
    Instant now = clock.instant();
    Cached c = cache.get(pseudonym);
    if (c != null && c.until().isAfter(now)) {
      return c.facts();
    }
    Optional<PatientFacts> f = reidentify.apply(pseudonym).flatMap(this::load);
    if (cache.size() >= MAX_CACHED) {
      cache.values().removeIf(x -> !x.until().isAfter(now));
    }
    cache.put(pseudonym, new Cached(f, now.plus(ttl)));
    return f;
  }

  private Optional<PatientFacts> load(String patientId) {
    try {
      SearchPage read = upstream.execute(new UpstreamRequest.Read("Patient", patientId));
      if (read.resources().isEmpty() || !(read.resources().get(0) instanceof Patient p)) {
        return Optional.empty();
      }
      SearchPage page = upstream.execute(new UpstreamRequest.Search("Encounter", Map.of("patient", List.of(patientId)), PAGE));
      List<Resource> encounters = new java.util.ArrayList<>(page.resources());
      while (page.nextLink().isPresent() && encounters.size() < ENCOUNTERS) {
        page = upstream.nextPage(page.nextLink().get());
        encounters.addAll(page.resources());
      }
      return Optional.of(of(p, encounters));
    } catch (RuntimeException e) {
      log.warn("detection: patient facts unavailable ({}); the patient rules skip this event", e.getClass().getSimpleName());
      return Optional.empty();
    }
  }

  /** Facts of a Patient and its Encounters. */
  static PatientFacts of(Patient p, List<Resource> encounters) {
    HumanName name = p.getName().stream().filter(n -> n.getUse() == HumanName.NameUse.OFFICIAL).findFirst()
        .orElse(p.getNameFirstRep());
    Map<String, Instant> visits = new HashMap<>();
    for (Resource r : encounters) {
      if (r instanceof Encounter e && e.getPeriod().hasStart()) {
        String org = e.getServiceProvider().getReferenceElement().getIdPart();
        visits.merge(org == null ? "" : org, e.getPeriod().getStart().toInstant(), (x, y) -> x.isAfter(y) ? x : y);
      }
    }
    Set<String> labels = p.getMeta().getSecurity().stream().map(c -> c.getCode()).filter(java.util.Objects::nonNull)
        .collect(Collectors.toSet());
    boolean deceased = p.hasDeceasedDateTimeType() || (p.hasDeceasedBooleanType() && p.getDeceasedBooleanType().booleanValue());
    return new PatientFacts(PatientFacts.norm(name.getFamily()), PatientFacts.given(name),
        PatientFacts.date(p.getBirthDateElement().getValueAsString()),
        PatientFacts.addressKey(p.getAddressFirstRep()), deceased, labels, visits);
  }
}
