package io.custos.phi.research;

import io.custos.auth.Caller;
import io.custos.consent.ConsentDirectives;
import io.custos.fhir.FhirUpstream;
import io.custos.fhir.SearchPage;
import io.custos.fhir.UpstreamRequest;
import io.custos.phi.deid.DeIdentifier;
import io.custos.phi.deid.DeidContext;
import io.custos.pipeline.ToolCallException;
import io.custos.tools.ResearchTools;
import io.custos.tools.ToolArguments;
import java.time.LocalDate;
import java.time.Period;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Resource;

/**
 * Executes the researcher tools of {@link ResearchTools}: de-identified analytics only (45 CFR
 * 164.514(b)(2) Safe Harbor through {@link DeIdentifier}; 164.514(d) minimum necessary through counts,
 * small-cell suppression and bounded extracts). The caller needs the researcher role and every declared
 * scope; cohorts are bounded by {@code maxConditions} upstream records.
 */
public final class CohortService {
  private static final String SNOMED = "http://snomed.info/sct";

  private final FhirUpstream upstream;
  private final DeIdentifier deid;
  private final LocalDate referenceDate;
  private final int maxConditions;
  private final ConsentDirectives consent;

  /** @param consent the patients' Consents: records they do not permit for research are left out of every cohort */
  public CohortService(FhirUpstream upstream, DeIdentifier deid, LocalDate referenceDate, int maxConditions,
      ConsentDirectives consent) {
    this.upstream = upstream;
    this.deid = deid;
    this.referenceDate = referenceDate;
    this.maxConditions = maxConditions;
    this.consent = consent;
  }

  /**
   * Runs a researcher tool. Role, scopes, MFA and the argument schema were checked by the research route's shared
   * stages; this only interprets validated arguments.
   *
   * @param tool {@code cohort_count} or {@code cohort_extract}
   * @param args validated {@code snomed_code} and {@code age_band}
   * @throws ToolCallException FORBIDDEN for an extract of a cohort under the minimum cell size
   * @throws io.custos.fhir.UpstreamException when the upstream fails
   */
  public Map<String, Object> call(Caller caller, String tool, ToolArguments args) {
    String code = args.required("snomed_code");
    String band = args.required("age_band");
    FhirUpstream up = upstream.as(caller); // upstream.auth credentials for this caller, never the inbound token
    Map<String, List<Condition>> cohort = cohort(up, code, band);
    withoutConsentForResearch(caller, cohort);
    return tool.equals(ResearchTools.COHORT_COUNT.name()) ? count(cohort) : extract(up, cohort);
  }

  private Map<String, Object> count(Map<String, List<Condition>> cohort) {
    int n = cohort.size();
    Map<String, Object> out = new LinkedHashMap<>();
    boolean suppressed = n > 0 && n < ResearchTools.MIN_CELL;
    out.put("count", suppressed ? null : n);
    out.put("suppressed", suppressed);
    if (suppressed) {
      out.put("note", "Counts from 1 to " + (ResearchTools.MIN_CELL - 1) + " are suppressed.");
    }
    return out;
  }

  private Map<String, Object> extract(FhirUpstream upstream, Map<String, List<Condition>> cohort) {
    if (cohort.size() < ResearchTools.MIN_CELL) {
      throw new ToolCallException(ToolCallException.Reason.FORBIDDEN,
          "The cohort is smaller than " + ResearchTools.MIN_CELL + " patients; only a suppressed count is available.");
    }
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
      row.put("state", dp.hasAddress() ? dp.getAddressFirstRep().getState() : null);
      row.put("zip3", dp.hasAddress() ? dp.getAddressFirstRep().getPostalCode() : null);
      List<Map<String, Object>> conditions = new ArrayList<>();
      for (Condition c : e.getValue()) {
        Condition dc = deid.deidentify(c, ctx);
        Map<String, Object> cm = new LinkedHashMap<>();
        cm.put("code", dc.getCode().getCodingFirstRep().getCode());
        cm.put("display", dc.getCode().getCodingFirstRep().getDisplay());
        cm.put("onsetYear", dc.hasOnsetDateTimeType() ? dc.getOnsetDateTimeType().getYear() : null);
        conditions.add(cm);
      }
      row.put("conditions", conditions);
      rows.add(row);
    }
    rows.sort(Comparator.comparing(r -> (String) r.get("pseudonym")));
    List<Map<String, Object>> bounded = rows.subList(0, Math.min(rows.size(), ResearchTools.MAX_EXTRACT));
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("items", new ArrayList<>(bounded));
    out.put("count", bounded.size());
    out.put("cohortSize", cohort.size());
    out.put("deidentification", deid.config().name());
    return out;
  }

  /** Patient id -> that patient's matching conditions, for patients in the age band. */
  private Map<String, List<Condition>> cohort(FhirUpstream upstream, String code, String band) {
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
    if (!band.equals("any")) {
      byPatient.keySet().removeIf(pid -> {
        Patient p = readPatient(upstream, pid);
        return p == null || !band.equals(AgeBand.of(p, referenceDate));
      });
    }
    return byPatient;
  }

  /**
   * Leaves out every Condition the patient's Consents do not permit for research (HRESCH), and with it a patient left
   * with none (a research opt-out leaves out the patient), before anything is counted or extracted.
   */
  private void withoutConsentForResearch(Caller caller, Map<String, List<Condition>> cohort) {
    cohort.entrySet().removeIf(e -> {
      e.getValue().removeIf(c -> !consent.researchPermitted(caller, e.getKey(), c));
      return e.getValue().isEmpty();
    });
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
