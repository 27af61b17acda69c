package io.custos.tools;

import io.custos.fhir.UpstreamNeed;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Researcher tools, declared as data: they return de-identified data only (45 CFR 164.514(b)(2) Safe Harbor, via
 * {@code io.custos.phi.deid.DeIdentifier}) and aggregate across patients, so they are not bound to one patient, need
 * {@code user/} (or {@code system/}) read scopes on Patient and Condition (never {@code patient/}), and take the
 * {@link Route#RESEARCH} route. Executed by {@code io.custos.phi.research.CohortService}; granted by default to the
 * {@value #RESEARCHER_ROLE} role only.
 */
public final class ResearchTools {
  /** The role granted the researcher tools by default. */
  public static final String RESEARCHER_ROLE = "researcher";
  /** Counts below this are suppressed (small-cell suppression, CMS cell-size policy). */
  public static final int MIN_CELL = 11;
  /** Upper bound on patients in one extract. */
  public static final int MAX_EXTRACT = 50;

  private ResearchTools() {}

  private static Map<String, Object> cohortArgs() {
    Map<String, Object> in = new LinkedHashMap<>();
    in.put("snomed_code", Schemas.string("SNOMED CT code of the condition, e.g. 44054006 (diabetes mellitus type 2)", "^[0-9]{6,18}$", 18));
    in.put("age_band", Schemas.enumOf("Age band at the reference date", List.of("0-17", "18-39", "40-64", "65-89", "90+", "any")));
    in.put("protocol_id", Schemas.string("Approved research protocol this query is made under (needed for a sensitive "
        + "condition, with the sensitive-data role, and for pseudonyms linkable across extracts)", "^[A-Za-z0-9._-]{1,64}$", 64));
    return in;
  }

  /** Output of cohort_extract: de-identified rows; a value the data does not hold is null. */
  private static Map<String, Object> extractOutput() {
    Map<String, Object> condition = Schemas.object("A matching condition", Schemas.fields(
        "code", Schemas.nullable(Schemas.text("SNOMED CT code")),
        "display", Schemas.nullable(Schemas.text("Display text of the code")),
        "onsetYear", Schemas.nullable(Map.of("type", "integer", "description", "Year of onset"))));
    Map<String, Object> row = Schemas.object("One de-identified patient", Schemas.fields(
        "pseudonym", Schemas.text("Pseudonymous id (not the FHIR id)"),
        "gender", Schemas.nullable(Schemas.text("Administrative gender code")),
        "birthYear", Schemas.nullable(Map.of("type", "integer", "description", "Year of birth")),
        "ageBand", Schemas.text("Age band at the reference date, unknown, or suppressed (small cell)"),
        "state", Schemas.nullable(Schemas.text("State")),
        "zip3", Schemas.nullable(Schemas.text("First three digits of the ZIP code (000 for small areas)")),
        "conditions", Schemas.arrayOf("The patient's conditions with the cohort's code", condition)));
    Map<String, Object> props = new LinkedHashMap<>();
    props.put("items", Schemas.arrayOf("De-identified rows, at most " + MAX_EXTRACT, row));
    props.put("count", Map.of("type", "integer", "minimum", 0, "description", "Number of rows"));
    props.put("cohortSize", Map.of("type", "integer", "minimum", 0, "description", "Patients in the cohort"));
    props.put("suppressedCells", Map.of("type", "integer", "minimum", 0,
        "description", "Values replaced by null (or suppressed) because fewer than " + MIN_CELL + " rows share them"));
    props.put("withheld", Schemas.withheld("Conditions left out of the cohort: in a sensitive category the caller's role "
        + "and protocol do not cover"));
    props.put("linkage", Schemas.bool("Whether pseudonyms are the same across extracts (an approved protocol's linkage); "
        + "otherwise they are valid for this extract only"));
    props.put("deidentification", Schemas.text("Name of the de-identification configuration applied"));
    return Map.of("type", "object", "properties", props, "required", List.of("items", "count"));
  }

  public static final OperationSpec COHORT_COUNT = research("cohort_count", "Cohort count (de-identified)",
      "Counts patients with a condition (SNOMED CT code) in an age band. Returns a count only; counts from 1 to "
          + (MIN_CELL - 1) + " are suppressed, with other bands where one could be derived from the rest. A condition in "
          + "a sensitive category needs the sensitive-data role and an approved protocol_id.",
      Schemas.object(cohortArgs(), List.of("snomed_code", "age_band")),
      // count is null when suppressed (small cell), so the output schema allows null.
      Map.of("type", "object", "properties", Schemas.fields(
          "count", Schemas.nullable(Map.of("type", "integer", "minimum", 0,
              "description", "Number of patients; null when suppressed (1 to " + (MIN_CELL - 1) + ")")),
          "suppressed", Schemas.bool("Whether the count is suppressed as a small cell"),
          "note", Schemas.text("Why the count is suppressed"),
          "withheld", Schemas.withheld("Conditions left out of the cohort: in a sensitive category the caller's role "
              + "and protocol do not cover"))),
      ToolHints.READ);

  public static final OperationSpec COHORT_EXTRACT = research("cohort_extract", "Cohort extract (de-identified)",
      "Returns Safe Harbor de-identified rows (pseudonymous id, gender, birth year, age band, state, 3-digit ZIP, "
          + "condition codes with onset year) for at most " + MAX_EXTRACT + " patients of a cohort; cohorts under "
          + MIN_CELL + " patients are refused, values shared by fewer rows are suppressed, and pseudonyms are valid for "
          + "one extract unless an approved protocol_id allows linkage. A condition in a sensitive category needs the "
          + "sensitive-data role and an approved protocol_id.",
      Schemas.object(cohortArgs(), List.of("snomed_code", "age_band")),
      extractOutput(),
      ToolHints.READ);

  private static OperationSpec research(String name, String title, String description, Map<String, Object> input,
      Map<String, Object> output, ToolHints hints) {
    return OperationSpec.builder(name).title(title).description(description).input(input).output(output).hints(hints)
        .scopes("user/Patient.rs", "user/Condition.rs").route(Route.RESEARCH)
        .access(Access.crossPatient(List.of("Patient", "Condition")))
        // The cohort is a Condition search by SNOMED CT code, paged; the age band reads each member's Patient.
        .needs(UpstreamNeed.interaction("Condition", UpstreamNeed.Interaction.SEARCH_TYPE),
            UpstreamNeed.searchParam("Condition", "code"), UpstreamNeed.interaction("Patient", UpstreamNeed.Interaction.READ))
        .build();
  }

  public static List<OperationSpec> all() {
    return List.of(COHORT_COUNT, COHORT_EXTRACT);
  }
}
