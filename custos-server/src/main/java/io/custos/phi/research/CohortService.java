package io.custos.phi.research;

import io.custos.auth.Caller;
import io.custos.consent.ConsentDirectives;
import io.custos.fhir.FhirUpstream;
import io.custos.fhir.SearchPage;
import io.custos.fhir.UpstreamRequest;
import io.custos.phi.UntrustedText;
import io.custos.phi.deid.DeIdentifier;
import io.custos.phi.SensitiveCategories;
import io.custos.phi.SensitiveCategory;
import io.custos.phi.SensitiveDataPolicy;
import io.custos.phi.WithheldTally;
import io.custos.phi.deid.DeidContext;
import io.custos.pipeline.ToolCallException;
import io.custos.tools.ResearchTools;
import io.custos.tools.ToolArguments;
import java.security.SecureRandom;
import java.time.LocalDate;
import java.time.Period;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Resource;

/**
 * Executes the researcher tools of {@link ResearchTools}: de-identified analytics only (45 CFR
 * 164.514(b)(2) Safe Harbor through {@link DeIdentifier}; 164.514(d) minimum necessary through counts,
 * small-cell suppression and bounded extracts). The caller needs the researcher role and every declared
 * scope; cohorts are bounded by {@code maxConditions} upstream records.
 *
 * <p>Beyond Safe Harbor:
 * <ul>
 *   <li>a cohort on a condition in a {@link SensitiveCategory} (42 CFR Part 2, mental health, HIV, ...) is refused unless
 *       the caller holds {@code sensitive-data:<category>} and cites an approved {@link ResearchProtocols protocol} that
 *       covers the category;</li>
 *   <li>small cells ({@link ResearchTools#MIN_CELL}) are suppressed in every released statistic: the age-band counts of
 *       {@code cohort_count} are computed for all bands at once and suppressed together (a small band, and as many
 *       more as it takes for the suppressed total to reach the threshold), so no band is the difference of released
 *       ones; in an extract, each released attribute (age band, sex, birth year, state, 3-digit ZIP, onset year) has
 *       every value held by fewer rows than the threshold, plus complementary values, replaced by null
 *       ({@code "suppressed"} for the age band);</li>
 *   <li>each extract gets pseudonyms of its own (HMAC-SHA256 of the Safe Harbor pseudonym under a random per-extract
 *       key), so rows of two extracts cannot be joined, unless the cited protocol approves linkage.</li>
 * </ul>
 */
public final class CohortService {
  private static final String SNOMED = "http://snomed.info/sct";
  private static final List<String> BANDS = List.of("0-17", "18-39", "40-64", "65-89", "90+", "unknown");

  private final FhirUpstream upstream;
  private final DeIdentifier deid;
  private final LocalDate referenceDate;
  private final int maxConditions;
  private final ConsentDirectives consent;
  private final ResearchProtocols protocols;
  private final SensitiveCategories sensitive;
  private final SecureRandom random = new SecureRandom();

  /**
   * What governs research releases beyond Safe Harbor.
   *
   * @param consent   the patients' Consents: records they do not permit for research are left out of every cohort
   * @param protocols the organisation's approved research protocols
   * @param sensitive the server's sensitive-category classifier (the same value sets as every other route)
   */
  public record Governance(ConsentDirectives consent, ResearchProtocols protocols, SensitiveCategories sensitive) {
    /** No approved protocol, the checked-in value sets. */
    public static Governance of(ConsentDirectives consent) {
      return new Governance(consent, ResearchProtocols.none(), new SensitiveCategories(ca.uhn.fhir.context.FhirContext.forR4Cached()));
    }
  }

  public CohortService(FhirUpstream upstream, DeIdentifier deid, LocalDate referenceDate, int maxConditions,
      Governance governance) {
    this.upstream = upstream;
    this.deid = deid;
    this.referenceDate = referenceDate;
    this.maxConditions = maxConditions;
    this.consent = governance.consent();
    this.protocols = governance.protocols();
    this.sensitive = governance.sensitive();
  }

  /**
   * Runs a researcher tool. Role, scopes, MFA and the argument schema were checked by the research route's shared
   * stages; this only interprets validated arguments.
   *
   * @param tool {@code cohort_count} or {@code cohort_extract}
   * @param args validated {@code snomed_code}, {@code age_band} and optional {@code protocol_id}
   * @param consentApplied receives the PHI-free entries of the Consent provisions that left records out
   * @throws ToolCallException FORBIDDEN for an extract of a cohort under the minimum cell size, a sensitive condition
   *     without the role and an approved protocol covering it, or a protocol id that is not approved
   * @throws io.custos.fhir.UpstreamException when the upstream fails
   */
  public Map<String, Object> call(Caller caller, String tool, ToolArguments args, Set<String> consentApplied) {
    String code = args.required("snomed_code");
    String band = args.required("age_band");
    Optional<ResearchProtocols.Protocol> protocol = protocol(args.string("protocol_id"), caller);
    permitSensitive(caller, code, protocol);
    FhirUpstream up = upstream.as(caller); // upstream.auth credentials for this caller, never the inbound token
    WithheldTally withheld = new WithheldTally();
    Map<String, List<Condition>> cohort = withoutSensitive(caller, protocol,
        withoutConsentForResearch(caller, cohort(up, code), consentApplied), withheld);
    // Every band of the cohort is counted and suppressed together, for counts and extracts alike: a band hidden as a
    // small cell, or with one, is never released by either tool.
    Set<String> hiddenBands = band.equals("any") ? Set.of() : SmallCells.suppressed(bands(up, cohort), ResearchTools.MIN_CELL);
    Map<String, Object> out = tool.equals(ResearchTools.COHORT_COUNT.name()) ? count(up, cohort, band, hiddenBands)
        : extract(up, inBand(up, cohort, band, hiddenBands), protocol.map(ResearchProtocols.Protocol::linkage).orElse(false));
    if (!withheld.isEmpty()) {
      out.put("withheld", withheld.toJson());
    }
    return out;
  }

  /**
   * Leaves out each Condition in a sensitive category the caller's role and protocol do not cover (its other codings, its
   * labels and its text, classified like every other record), and a patient left with none.
   */
  private Map<String, List<Condition>> withoutSensitive(Caller caller, Optional<ResearchProtocols.Protocol> protocol,
      Map<String, List<Condition>> cohort, WithheldTally withheld) {
    cohort.entrySet().removeIf(e -> {
      e.getValue().removeIf(c -> {
        Set<SensitiveCategory> categories = sensitive.classify(c);
        boolean out = categories.stream().anyMatch(k -> !covered(caller, k, protocol));
        if (out) {
          withheld.add(categories);
        }
        return out;
      });
      return e.getValue().isEmpty();
    });
    return cohort;
  }

  /**
   * Whether a researcher may receive records in category {@code c}: the category's sensitive-data role and an approved
   * protocol covering it, both.
   */
  public static boolean covered(Caller caller, SensitiveCategory c, Optional<ResearchProtocols.Protocol> protocol) {
    return SensitiveDataPolicy.byRole().permits(caller, c) && protocol.map(p -> p.categories().contains(c)).orElse(false);
  }

  /** Patients per age band (every band, zeros included). */
  private Map<String, Integer> bands(FhirUpstream up, Map<String, List<Condition>> cohort) {
    Map<String, Integer> bands = new LinkedHashMap<>();
    BANDS.forEach(b -> bands.put(b, 0));
    for (String pid : cohort.keySet()) {
      Patient p = readPatient(up, pid);
      bands.merge(p == null ? "unknown" : AgeBand.of(p, referenceDate), 1, Integer::sum);
    }
    return bands;
  }

  /**
   * The approved protocol a researcher cites, if any.
   *
   * @throws ToolCallException FORBIDDEN when {@code id} is not an approved protocol with the caller as an investigator
   */
  public Optional<ResearchProtocols.Protocol> protocol(Optional<String> id, Caller caller) {
    if (id.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(protocols.find(id.get(), caller.subject()).orElseThrow(() -> new ToolCallException(
        ToolCallException.Reason.FORBIDDEN, "The cited research protocol is not an approved one with this user as an investigator.")));
  }

  /** A condition in a sensitive category needs the category's role and an approved protocol that covers it. */
  private void permitSensitive(Caller caller, String code, Optional<ResearchProtocols.Protocol> protocol) {
    for (SensitiveCategory c : sensitive.categoriesOf(SNOMED, code)) {
      if (!covered(caller, c, protocol)) {
        throw new ToolCallException(ToolCallException.Reason.FORBIDDEN, "The condition is in a sensitive category ("
            + c.id() + "): a cohort needs the role " + SensitiveDataPolicy.ALL_ROLE + ":" + c.id()
            + " and an approved research protocol that covers it.");
      }
    }
  }

  /**
   * The count for {@code band}: the counts of every band are suppressed together, so a suppressed band cannot be
   * recovered from the total and the released bands.
   */
  private Map<String, Object> count(FhirUpstream up, Map<String, List<Condition>> cohort, String band, Set<String> hiddenBands) {
    Map<String, Object> out = new LinkedHashMap<>();
    Integer n;
    if (band.equals("any")) {
      n = cohort.size() > 0 && cohort.size() < ResearchTools.MIN_CELL ? null : cohort.size();
    } else {
      n = hiddenBands.contains(band) ? null : bands(up, cohort).get(band);
    }
    out.put("count", n);
    out.put("suppressed", n == null);
    if (n == null) {
      out.put("note", "Small cells are suppressed: counts from 1 to " + (ResearchTools.MIN_CELL - 1)
          + ", and other bands with them where one could be derived from the rest.");
    }
    return out;
  }

  private Map<String, Object> extract(FhirUpstream upstream, Map<String, List<Condition>> cohort, boolean linkage) {
    if (cohort.size() < ResearchTools.MIN_CELL) {
      throw new ToolCallException(ToolCallException.Reason.FORBIDDEN,
          "The cohort is smaller than " + ResearchTools.MIN_CELL + " patients; only a suppressed count is available.");
    }
    byte[] extractKey = new byte[32];
    random.nextBytes(extractKey);
    List<Map<String, Object>> rows = new ArrayList<>();
    for (var e : cohort.entrySet()) {
      Patient p = readPatient(upstream, e.getKey());
      if (p == null) {
        continue;
      }
      DeidContext ctx = DeidContext.of(p);
      Patient dp = deid.deidentify(p, ctx);
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("pseudonym", dp.getIdPart());
      row.put("gender", dp.hasGender() ? dp.getGender().toCode() : null);
      row.put("birthYear", dp.hasBirthDate() ? dp.getBirthDateElement().getYear() : null);
      row.put("ageBand", AgeBand.of(p, referenceDate));
      row.put("state", dp.hasAddress() ? UntrustedText.label(dp.getAddressFirstRep().getState()) : null);
      row.put("zip3", dp.hasAddress() ? UntrustedText.label(dp.getAddressFirstRep().getPostalCode()) : null);
      List<Map<String, Object>> conditions = new ArrayList<>();
      for (Condition c : e.getValue()) {
        Condition dc = deid.deidentify(c, ctx);
        Map<String, Object> cm = new LinkedHashMap<>();
        cm.put("code", UntrustedText.token(dc.getCode().getCodingFirstRep().getCode()));
        cm.put("display", UntrustedText.label(dc.getCode().getCodingFirstRep().getDisplay()));
        cm.put("onsetYear", dc.hasOnsetDateTimeType() ? dc.getOnsetDateTimeType().getYear() : null);
        conditions.add(cm);
      }
      row.put("conditions", conditions);
      rows.add(row);
    }
    rows.sort(Comparator.comparing(r -> (String) r.get("pseudonym")));
    List<Map<String, Object>> bounded = new ArrayList<>(rows.subList(0, Math.min(rows.size(), ResearchTools.MAX_EXTRACT)));
    if (!linkage) {
      bounded.forEach(r -> r.put("pseudonym", SmallCells.extractPseudonym(extractKey, (String) r.get("pseudonym"))));
      bounded.sort(Comparator.comparing(r -> (String) r.get("pseudonym")));
    }
    int suppressedCells = SmallCells.suppressRows(bounded, ResearchTools.MIN_CELL);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("items", bounded);
    out.put("count", bounded.size());
    out.put("cohortSize", cohort.size());
    out.put("suppressedCells", suppressedCells);
    out.put("linkage", linkage);
    out.put("deidentification", deid.config().name());
    return out;
  }

  /** The members of {@code cohort} in the age band ({@code any}: all); a suppressed band is refused. */
  private Map<String, List<Condition>> inBand(FhirUpstream upstream, Map<String, List<Condition>> cohort, String band,
      Set<String> hiddenBands) {
    if (hiddenBands.contains(band)) {
      throw new ToolCallException(ToolCallException.Reason.FORBIDDEN, "This age band of the cohort is suppressed as a "
          + "small cell (or with one); only the suppressed count is available.");
    }
    if (!band.equals("any")) {
      cohort.keySet().removeIf(pid -> {
        Patient p = readPatient(upstream, pid);
        return p == null || !band.equals(AgeBand.of(p, referenceDate));
      });
    }
    return cohort;
  }

  /**
   * The pseudonyms of one release: the patient's Safe Harbor pseudonym (the keyed {@code Patient} id of
   * {@link DeIdentifier}, the same in every release and in linked extracts) under an approved protocol's linkage,
   * otherwise one valid for this release only (HMAC under a random key), as extracts get.
   *
   * @return FHIR Patient id -> pseudonym
   */
  public UnaryOperator<String> pseudonyms(boolean linkage) {
    if (linkage) {
      return id -> deid.pseudonymId("Patient", id);
    }
    byte[] releaseKey = new byte[32];
    random.nextBytes(releaseKey);
    return id -> SmallCells.extractPseudonym(releaseKey, deid.pseudonymId("Patient", id));
  }

  /**
   * Whether the patient's Consents permit {@code record} for research (HRESCH).
   *
   * @param applied receives the PHI-free entries of the Consent provisions that decided
   */
  public boolean researchPermitted(Caller caller, String patientId, Resource record, Set<String> applied) {
    return consent.researchPermitted(caller, patientId, record, applied);
  }

  /** "Today" for the ages-over-89 rule. */
  public LocalDate referenceDate() {
    return referenceDate;
  }

  /** The name of the de-identification configuration applied. */
  public String deidentification() {
    return deid.config().name();
  }

  /** Patient id -> that patient's matching conditions. */
  private Map<String, List<Condition>> cohort(FhirUpstream upstream, String code) {
    Map<String, List<Condition>> byPatient = new TreeMap<>();
    SearchPage page = upstream.execute(new UpstreamRequest.Search("Condition", Map.of("code", List.of(SNOMED + "|" + code)), 100));
    int seen = 0;
    while (true) {
      for (Resource r : page.resources()) {
        if (r instanceof Condition c && c.getSubject().getReferenceElement().getIdPart() != null && seen++ < maxConditions) {
          byPatient.computeIfAbsent(c.getSubject().getReferenceElement().getIdPart(), k -> new ArrayList<>()).add(c);
        }
      }
      if (seen >= maxConditions || page.nextLink().isEmpty()) {
        break;
      }
      page = upstream.nextPage(page.nextLink().get());
    }
    return byPatient;
  }

  /**
   * Leaves out every Condition the patient's Consents do not permit for research (HRESCH), and with it a patient left
   * with none (a research opt-out leaves out the patient), before anything is counted or extracted.
   */
  private Map<String, List<Condition>> withoutConsentForResearch(Caller caller, Map<String, List<Condition>> cohort,
      Set<String> applied) {
    cohort.entrySet().removeIf(e -> {
      e.getValue().removeIf(c -> !consent.researchPermitted(caller, e.getKey(), c, applied));
      return e.getValue().isEmpty();
    });
    return cohort;
  }

  private static Patient readPatient(FhirUpstream upstream, String id) {
    try {
      var page = upstream.execute(new UpstreamRequest.Read("Patient", id));
      return page.resources().isEmpty() ? null : (Patient) page.resources().get(0);
    } catch (io.custos.fhir.UpstreamException e) {
      return null;
    }
  }

  /** Age bands (Safe Harbor: 90 and over aggregated). */
  static final class AgeBand {
    private AgeBand() {}

    static boolean valid(String s) {
      return List.of("0-17", "18-39", "40-64", "65-89", "90+", "any").contains(s);
    }

    static String of(Patient p, LocalDate today) {
      if (!p.hasBirthDate()) {
        return "unknown";
      }
      var b = p.getBirthDateElement();
      int age = Period.between(LocalDate.of(b.getYear(), b.getMonth() + 1, b.getDay()), today).getYears();
      return age < 18 ? "0-17" : age < 40 ? "18-39" : age < 65 ? "40-64" : age < 90 ? "65-89" : "90+";
    }
  }
}
