package io.custos.consent;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.custos.auth.Caller;
import io.custos.fhir.FhirUpstream;
import io.custos.fhir.SearchPage;
import io.custos.fhir.UpstreamRequest;
import io.custos.policy.FhirCareRelationship;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.hl7.fhir.r4.model.CareTeam;
import org.hl7.fhir.r4.model.Consent;
import org.hl7.fhir.r4.model.PractitionerRole;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;

/**
 * The bound patient's privacy directives: their FHIR R4 {@code Consent} resources read from the upstream
 * ({@code Consent?patient=}), cached briefly per patient, and decided with {@link ConsentEvaluator}. Consents combine
 * deny-overrides: a record or request is denied when any Consent in force denies it; permits never widen what roles,
 * scopes and sensitive-data rules allow. Break-the-glass sets a deny aside only as {@link BreakGlassOverride} says.
 *
 * <p>The caller's actors are its {@code fhirUser}, the Organizations of its PractitionerRoles
 * ({@code PractitionerRole?practitioner=}, read only when a Consent names an Organization) and the CareTeams named by
 * the patient's Consents that list it as a participant. Upstream failures propagate as
 * {@link io.custos.fhir.UpstreamException} (the call fails closed).
 */
public final class ConsentDirectives {
  /** Most Consent pages read per patient (100 each). */
  private static final int MAX_PAGES = 5;

  /** A patient's Consents and the members of the CareTeams they name. */
  record Directives(List<Consent> consents, Map<String, Set<String>> careTeams) {
    static final Directives NONE = new Directives(List.of(), Map.of());

    boolean namesOrganization() {
      return consents.stream().anyMatch(c -> actorRefs(c.getProvision()).stream().anyMatch(r -> r.startsWith("Organization/")));
    }
  }

  /**
   * One decision over a patient's Consents.
   *
   * @param denied   whether the request or record is refused
   * @param applied  PHI-free entries for the audit, one per Consent provision that decided or was overridden:
   *                 {@code <sha256(Consent/id), 16 hex>#<provision path>:<deny|permit>[:break-the-glass]}
   */
  public record Judgement(boolean denied, Set<String> applied) {
    public Judgement {
      applied = Set.copyOf(applied);
    }
  }

  private final FhirUpstream upstream;
  private final Clock clock;
  private final BreakGlassOverride override;
  private final Cache<String, Directives> byPatient;
  private final Cache<String, Set<String>> organizations;

  /**
   * @param ttl how long a patient's Consents (and a practitioner's organizations) are reused: 1 to 5 minutes
   * @throws IllegalArgumentException for a ttl outside 1..5 minutes
   */
  public ConsentDirectives(FhirUpstream upstream, Clock clock, Duration ttl, BreakGlassOverride override) {
    if (ttl.compareTo(Duration.ofMinutes(1)) < 0 || ttl.compareTo(Duration.ofMinutes(5)) > 0) {
      throw new IllegalArgumentException("consent cache ttl must be 1 to 5 minutes");
    }
    this.upstream = upstream;
    this.clock = clock;
    this.override = override;
    this.byPatient = Caffeine.newBuilder().maximumSize(10_000).expireAfterWrite(ttl).build();
    this.organizations = Caffeine.newBuilder().maximumSize(10_000).expireAfterWrite(ttl).build();
  }

  /** The request a call by {@code caller} on {@code patientId} makes, its actors resolved against the patient's Consents. */
  public ConsentRequest request(Caller caller, String patientId, PurposeOfUse purpose, ConsentRequest.Action action,
      String resourceType) {
    Directives d = directives(caller, patientId);
    Set<String> actors = new LinkedHashSet<>();
    caller.fhirUser().map(FhirCareRelationship::relative).ifPresent(actors::add);
    String self = caller.fhirUser().map(FhirCareRelationship::relative).orElse(null);
    if (self != null && self.startsWith("Practitioner/")) {
      d.careTeams().forEach((team, members) -> {
        if (members.contains(self)) {
          actors.add(team);
        }
      });
      if (d.namesOrganization()) {
        actors.addAll(organizations(caller, self));
      }
    }
    return new ConsentRequest(actors, caller.roles(), purpose, action, resourceType);
  }

  /**
   * Decides {@code request} on the patient's record: for one record, or (empty) for the request as a whole, which is
   * denied only when every record it could touch is denied.
   */
  public Judgement judge(Caller caller, String patientId, ConsentRequest request, Optional<Resource> record) {
    Set<String> applied = new LinkedHashSet<>();
    boolean denied = false;
    for (Consent c : directives(caller, patientId).consents()) {
      var possible = ConsentEvaluator.evaluate(c, request, record, clock.instant());
      boolean deny = record.isPresent() ? possible.can(ConsentEvaluator.Outcome.DENY) : possible.only(ConsentEvaluator.Outcome.DENY);
      if (deny) {
        String path = possible.outcomes().get(ConsentEvaluator.Outcome.DENY);
        boolean overridden = request.purpose() == PurposeOfUse.ETREAT && override == BreakGlassOverride.PATIENT_PRIVACY
            && ConsentEvaluator.PATIENT_PRIVACY.equals(ConsentEvaluator.scope(c))
            && !aimedAtEmergencyOrCaller(ConsentEvaluator.provisionAt(c, path), request);
        applied.add(entry(c, path, "deny") + (overridden ? ":break-the-glass" : ""));
        denied |= !overridden;
      } else if (record.isPresent() && possible.can(ConsentEvaluator.Outcome.PERMIT)
          && possible.outcomes().get(ConsentEvaluator.Outcome.PERMIT).contains(".provision[")) {
        applied.add(entry(c, possible.outcomes().get(ConsentEvaluator.Outcome.PERMIT), "permit")); // an exception lifted a deny
      }
    }
    return new Judgement(denied, applied);
  }

  /**
   * A deny written for emergencies ({@code purpose} ETREAT) or against this very caller ({@code actor} naming it) is
   * what the patient said about break-the-glass itself: the override does not set it aside.
   */
  private static boolean aimedAtEmergencyOrCaller(Optional<Consent.ProvisionComponent> provision, ConsentRequest request) {
    return provision.map(p -> p.getPurpose().stream().anyMatch(x -> PurposeOfUse.ETREAT.name().equals(x.getCode()))
        || p.getActor().stream().anyMatch(a -> {
          String ref = a.getReference().getReferenceElement().toUnqualifiedVersionless().getValue();
          return ref != null && request.actors().contains(ref);
        })).orElse(false);
  }

  /**
   * Whether the patient's Consents let {@code record} be used for research ({@link PurposeOfUse#HRESCH}) by
   * {@code caller}: false for a research opt-out, or a patient-privacy deny that covers the record. For the cohort
   * engine, which leaves out what is not permitted.
   *
   * @param applied receives the PHI-free entries of the provisions that decided (for the call's audit event)
   * @throws io.custos.fhir.UpstreamException when the Consents cannot be read
   */
  public boolean researchPermitted(Caller caller, String patientId, Resource record, Set<String> applied) {
    ConsentRequest req = request(caller, patientId, PurposeOfUse.HRESCH, ConsentRequest.Action.READ, record.fhirType());
    Judgement j = judge(caller, patientId, req, Optional.of(record));
    applied.addAll(j.applied());
    return !j.denied();
  }

  private Directives directives(Caller caller, String patientId) {
    // Read with the caller's upstream credentials, so cached per caller and patient: an upstream that shows a user fewer
    // Consents must not make them disappear for everyone else.
    String key = caller.subject() + "\n" + patientId;
    Directives cached = byPatient.getIfPresent(key);
    if (cached != null) {
      return cached;
    }
    FhirUpstream up = upstream.as(caller); // read on the caller's behalf (upstream.auth)
    List<Consent> consents = new ArrayList<>();
    SearchPage page = up.execute(new UpstreamRequest.Search("Consent", Map.of("patient", List.of(patientId)), 100));
    for (int pages = 1; ; pages++) {
      page.resources().stream().filter(Consent.class::isInstance).map(Consent.class::cast)
          .filter(c -> c.getPatient().getReferenceElement().getIdPart() != null
              && patientId.equals(c.getPatient().getReferenceElement().getIdPart()))
          .forEach(consents::add);
      if (page.nextLink().isEmpty()) {
        break;
      }
      if (pages >= MAX_PAGES) { // more Consents than are read: deciding on some of them could release what others deny
        throw new io.custos.fhir.UpstreamException(io.custos.fhir.UpstreamException.Kind.INVALID_RESPONSE, 0);
      }
      page = up.nextPage(page.nextLink().get());
    }
    Map<String, Set<String>> teams = new java.util.HashMap<>();
    for (Consent c : consents) {
      for (String ref : actorRefs(c.getProvision())) {
        if (ref.startsWith("CareTeam/") && !teams.containsKey(ref)) {
          teams.put(ref, members(up, ref));
        }
      }
    }
    Directives d = consents.isEmpty() ? Directives.NONE : new Directives(List.copyOf(consents), Map.copyOf(teams));
    byPatient.put(key, d);
    return d;
  }

  private static Set<String> members(FhirUpstream up, String careTeam) {
    Set<String> out = new HashSet<>();
    try {
      for (Resource r : up.execute(new UpstreamRequest.Read("CareTeam", careTeam.substring("CareTeam/".length()))).resources()) {
        if (r instanceof CareTeam t) {
          t.getParticipant().forEach(p -> Optional.ofNullable(p.getMember().getReferenceElement().toUnqualifiedVersionless().getValue())
              .ifPresent(out::add));
        }
      }
    } catch (io.custos.fhir.UpstreamException e) {
      if (e.kind() != io.custos.fhir.UpstreamException.Kind.NOT_FOUND) {
        throw e;
      }
      // a CareTeam that no longer exists has no members: its exception permits no one
    }
    return Set.copyOf(out);
  }

  private Set<String> organizations(Caller caller, String practitioner) {
    Set<String> cached = organizations.getIfPresent(practitioner);
    if (cached != null) {
      return cached;
    }
    Set<String> out = new HashSet<>();
    var page = upstream.as(caller).execute(new UpstreamRequest.Search("PractitionerRole",
        Map.of("practitioner", List.of(practitioner)), 100));
    for (Resource r : page.resources()) {
      if (r instanceof PractitionerRole role && role.hasOrganization()) {
        Optional.ofNullable(role.getOrganization().getReferenceElement().toUnqualifiedVersionless().getValue()).ifPresent(out::add);
      }
    }
    Set<String> result = Set.copyOf(out);
    organizations.put(practitioner, result);
    return result;
  }

  /** Every actor reference in a provision tree. */
  static Set<String> actorRefs(Consent.ProvisionComponent p) {
    Set<String> out = new HashSet<>();
    for (Consent.provisionActorComponent a : p.getActor()) {
      Reference ref = a.getReference();
      Optional.ofNullable(ref.getReferenceElement().toUnqualifiedVersionless().getValue()).ifPresent(out::add);
    }
    p.getProvision().forEach(child -> out.addAll(actorRefs(child)));
    return out;
  }

  /** The PHI-free audit entry of a Consent provision. */
  private static String entry(Consent c, String path, String effect) {
    return consentHash(c) + "#" + path + ":" + effect;
  }

  /** First 16 hex digits of SHA-256 over {@code Consent/<id>}: names the Consent in the audit without its id. */
  public static String consentHash(Consent c) {
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(("Consent/" + c.getIdElement().getIdPart()).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(h, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

}
