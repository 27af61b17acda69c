package io.custos.fhir.store;

import ca.uhn.fhir.model.api.TemporalPrecisionEnum;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TimeZone;
import java.util.UUID;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.CareTeam;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.Consent;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Period;
import org.hl7.fhir.r4.model.PractitionerRole;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deterministic privacy data Synthea does not write: HL7 DS4P security labels on mental-health records and patient
 * {@code Consent} resources (FHIR R4 &sect;9.x) on a minority of patients. Like {@link SyntheaEnrichment}, everything
 * is tagged {@code derived}, ids are name-based UUIDs, and the same input gives the same output.
 *
 * <p><b>Labels</b>: a Condition or Observation whose code is a mental-health code
 * ({@link #MENTAL_HEALTH_SNOMED}, {@link #MENTAL_HEALTH_LOINC}) gets {@code meta.security} v3-Confidentiality
 * {@code R} (restricted) and v3-ActCode {@code PSY} (psychiatry information sensitivity).
 *
 * <p><b>Consents</b>: byte 0 of SHA-256("consent|" + patient id) picks at most one per patient (about 28% of
 * patients in all):
 * <ul>
 *   <li>0-19, <b>research opt-out</b>: scope {@code research}, policy rule {@code OPTOUT}, provision deny for purpose
 *       HRESCH.</li>
 *   <li>20-39, <b>mental health restricted to the treating team</b> (patients with a labelled record and a CareTeam
 *       with a practitioner): scope {@code patient-privacy}, {@code OPTIN}, provision permit, with two exceptions that
 *       deny records labelled PSY and records coded with a mental-health SNOMED CT code, each with an exception that
 *       permits the members of the patient's first CareTeam.</li>
 *   <li>40-55, <b>disclosure restricted to one organisation</b>: {@code patient-privacy}, {@code OPTOUT}, provision
 *       deny with an exception permitting the Organization of the PractitionerRole of the practitioner who took part in
 *       most of the patient's encounters (falling back to the latest encounter's service provider).</li>
 *   <li>56-71, <b>a revoked consent</b>: status {@code inactive} (a revoked directive), otherwise a deny of all
 *       disclosure: in force it would refuse everything, revoked it has no effect.</li>
 * </ul>
 * Every Consent is dated one year before the reference instant, category LOINC 59284-0 (patient consent).
 */
public final class ConsentEnrichment {
  private static final Logger LOG = LoggerFactory.getLogger(ConsentEnrichment.class);
  private static final TimeZone UTC = TimeZone.getTimeZone("UTC");
  static final String CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality";
  static final String ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
  static final String ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
  static final String CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope";
  static final String PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";
  static final String SNOMED = "http://snomed.info/sct";
  static final String LOINC = "http://loinc.org";
  /** Mental-health SNOMED CT disorders Synthea writes (depression, anxiety, PTSD). */
  static final Set<String> MENTAL_HEALTH_SNOMED = Set.of("35489007", "370143000", "36923009", "197480006", "47505003");
  /** Mental-health screening instruments Synthea writes (PHQ-2, PHQ-9, GAD-7). */
  static final Set<String> MENTAL_HEALTH_LOINC = Set.of("55758-7", "44261-6", "89204-2", "70274-6", "69737-5", "89206-7");

  /** The kinds of Consent this enrichment writes. */
  public enum Kind { RESEARCH_OPT_OUT, MENTAL_HEALTH_TO_CARE_TEAM, ONE_ORGANIZATION, REVOKED }

  /** Counts (safe to log). */
  public record Result(int labelled, Map<Kind, Integer> consents) {}

  private final Instant reference;

  /** @param reference the fixed "now": Consents are dated a year before it */
  public ConsentEnrichment(Instant reference) {
    this.reference = reference;
  }

  /** Labels mental-health records and adds Consents to {@code repository}; patients that already have a Consent keep theirs. */
  public Result enrich(InMemoryRepository repository) {
    int labelled = 0;
    Set<String> labelledPatients = new java.util.HashSet<>();
    for (String type : List.of("Condition", "Observation")) {
      for (IBaseResource r : repository.all(type)) {
        Optional<String> patient = mentalHealthPatient((Resource) r);
        if (patient.isPresent()) {
          label((Resource) r);
          labelledPatients.add(patient.get());
          labelled++;
        }
      }
    }
    Map<Kind, Integer> counts = new java.util.EnumMap<>(Kind.class);
    for (IBaseResource r : repository.all("Patient")) {
      String pid = r.getIdElement().getIdPart();
      if (!repository.forPatient("Consent", pid).isEmpty()) {
        continue;
      }
      int bucket = SyntheaEnrichment.sha256("consent|" + pid)[0] & 0xff;
      Optional<Consent> consent = bucket < 20 ? Optional.of(researchOptOut(pid))
          : bucket < 40 ? (labelledPatients.contains(pid) ? mentalHealth(repository, pid) : Optional.empty())
          : bucket < 56 ? oneOrganization(repository, pid)
          : bucket < 72 ? Optional.of(revoked(pid)) : Optional.empty();
      consent.ifPresent(c -> {
        repository.put(c);
        counts.merge(kind(c), 1, Integer::sum);
      });
    }
    LOG.info("Enrichment labelled {} mental-health records and added Consents {}", labelled, counts);
    return new Result(labelled, counts);
  }

  private static Kind kind(Consent c) {
    return Kind.valueOf(c.getMeta().getTag().stream().filter(t -> "urn:custos:consent-kind".equals(t.getSystem()))
        .findFirst().orElseThrow().getCode());
  }

  private static Optional<String> mentalHealthPatient(Resource r) {
    List<CodeableConcept> codes = switch (r) {
      case Condition c -> List.of(c.getCode());
      case Observation o -> List.of(o.getCode());
      default -> List.of();
    };
    boolean mental = codes.stream().flatMap(cc -> cc.getCoding().stream()).anyMatch(x ->
        (SNOMED.equals(x.getSystem()) && MENTAL_HEALTH_SNOMED.contains(x.getCode()))
            || (LOINC.equals(x.getSystem()) && MENTAL_HEALTH_LOINC.contains(x.getCode())));
    Reference subject = switch (r) {
      case Condition c -> c.getSubject();
      case Observation o -> o.getSubject();
      default -> new Reference();
    };
    return mental ? Optional.ofNullable(subject.getReferenceElement().getIdPart()) : Optional.empty();
  }

  private static void label(Resource r) {
    if (r.getMeta().getSecurity(CONFIDENTIALITY, "R") == null) {
      r.getMeta().addSecurity(CONFIDENTIALITY, "R", "restricted");
    }
    if (r.getMeta().getSecurity(ACT_CODE, "PSY") == null) {
      r.getMeta().addSecurity(ACT_CODE, "PSY", "psychiatry disorder information sensitivity");
    }
  }

  private Consent base(String pid, Kind kind, String scope, String policy) {
    Consent c = new Consent();
    c.setIdElement(new IdType("Consent", uuid("consent|" + kind + "|" + pid)));
    c.getMeta().addTag(SyntheaEnrichment.PROVENANCE_TAG_SYSTEM, SyntheaEnrichment.PROVENANCE_TAG_DERIVED,
        "Derived by Custos enrichment from Synthea data (not source data)");
    c.getMeta().addTag("urn:custos:consent-kind", kind.name(), null);
    c.setStatus(Consent.ConsentState.ACTIVE);
    c.setScope(new CodeableConcept(new Coding(CONSENT_SCOPE, scope, scope.equals("research") ? "Research" : "Privacy Consent")));
    c.addCategory(new CodeableConcept(new Coding(LOINC, "59284-0", "Patient Consent")));
    c.setPatient(new Reference("Patient/" + pid));
    Date given = Date.from(reference.minus(365, ChronoUnit.DAYS));
    c.setDateTimeElement(new DateTimeType(given, TemporalPrecisionEnum.DAY, UTC));
    c.setPolicyRule(new CodeableConcept(new Coding(ACT_CODE, policy, policy.equals("OPTIN") ? "opt-in" : "opt-out")));
    c.getProvision().setPeriod(new Period().setStartElement(new DateTimeType(given, TemporalPrecisionEnum.DAY, UTC)));
    return c;
  }

  private Consent researchOptOut(String pid) {
    Consent c = base(pid, Kind.RESEARCH_OPT_OUT, "research", "OPTOUT");
    c.getProvision().setType(Consent.ConsentProvisionType.DENY).addPurpose(new Coding(ACT_REASON, "HRESCH", "healthcare research"));
    return c;
  }

  private Optional<Consent> mentalHealth(InMemoryRepository repository, String pid) {
    Optional<String> team = repository.forPatient("CareTeam", pid).stream().map(CareTeam.class::cast)
        .filter(t -> t.getParticipant().stream().anyMatch(p -> "Practitioner".equals(p.getMember().getReferenceElement().getResourceType())))
        .map(t -> t.getIdElement().getIdPart()).sorted().findFirst();
    if (team.isEmpty()) {
      return Optional.empty();
    }
    Consent c = base(pid, Kind.MENTAL_HEALTH_TO_CARE_TEAM, "patient-privacy", "OPTIN");
    c.getProvision().setType(Consent.ConsentProvisionType.PERMIT);
    var byLabel = c.getProvision().addProvision().setType(Consent.ConsentProvisionType.DENY);
    byLabel.addSecurityLabel(new Coding(ACT_CODE, "PSY", "psychiatry disorder information sensitivity"));
    var byCode = c.getProvision().addProvision().setType(Consent.ConsentProvisionType.DENY);
    MENTAL_HEALTH_SNOMED.stream().sorted().forEach(code -> byCode.addCode(new CodeableConcept(new Coding(SNOMED, code, null))));
    for (var deny : List.of(byLabel, byCode)) {
      deny.addProvision().setType(Consent.ConsentProvisionType.PERMIT).addActor()
          .setRole(new CodeableConcept(new Coding(PARTICIPATION, "PRCP", "primary information recipient")))
          .setReference(new Reference("CareTeam/" + team.get()));
    }
    return Optional.of(c);
  }

  private Optional<Consent> oneOrganization(InMemoryRepository repository, String pid) {
    Map<String, Integer> seen = new HashMap<>();
    Encounter latest = null;
    for (IBaseResource r : repository.forPatient("Encounter", pid)) {
      Encounter e = (Encounter) r;
      e.getParticipant().stream().map(p -> p.getIndividual().getReferenceElement())
          .filter(ref -> "Practitioner".equals(ref.getResourceType()))
          .forEach(ref -> seen.merge("Practitioner/" + ref.getIdPart(), 1, Integer::sum));
      if (e.getPeriod().hasStart() && (latest == null || e.getPeriod().getStart().after(latest.getPeriod().getStart()))) {
        latest = e;
      }
    }
    Optional<String> practitioner = seen.entrySet().stream()
        .max(Comparator.comparingInt((Map.Entry<String, Integer> x) -> x.getValue()).thenComparing(Map.Entry::getKey, Comparator.reverseOrder()))
        .map(Map.Entry::getKey);
    Optional<String> org = practitioner.flatMap(p -> repository.all("PractitionerRole").stream().map(PractitionerRole.class::cast)
        .filter(role -> p.equals("Practitioner/" + role.getPractitioner().getReferenceElement().getIdPart()) && role.hasOrganization())
        .map(role -> "Organization/" + role.getOrganization().getReferenceElement().getIdPart()).sorted().findFirst());
    if (org.isEmpty() && latest != null && latest.hasServiceProvider()) {
      org = Optional.of("Organization/" + latest.getServiceProvider().getReferenceElement().getIdPart());
    }
    if (org.isEmpty()) {
      return Optional.empty();
    }
    Consent c = base(pid, Kind.ONE_ORGANIZATION, "patient-privacy", "OPTOUT");
    c.getProvision().setType(Consent.ConsentProvisionType.DENY).addProvision().setType(Consent.ConsentProvisionType.PERMIT)
        .addActor().setRole(new CodeableConcept(new Coding(PARTICIPATION, "IRCP", "information recipient")))
        .setReference(new Reference(org.get()));
    return Optional.of(c);
  }

  private Consent revoked(String pid) {
    Consent c = base(pid, Kind.REVOKED, "patient-privacy", "OPTOUT");
    c.setStatus(Consent.ConsentState.INACTIVE);
    c.getProvision().setType(Consent.ConsentProvisionType.DENY);
    return c;
  }

  private static String uuid(String seed) {
    return UUID.nameUUIDFromBytes(seed.getBytes(StandardCharsets.UTF_8)).toString();
  }
}
