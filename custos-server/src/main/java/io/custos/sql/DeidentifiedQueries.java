package io.custos.sql;

import io.custos.fhir.UpstreamException;
import io.custos.phi.SensitiveCategories;
import io.custos.phi.SensitiveCategory;
import io.custos.phi.deid.DeIdentifier;
import io.custos.phi.research.CohortService;
import io.custos.phi.research.ResearchProtocols;
import io.custos.phi.research.SmallCells;
import io.custos.pipeline.Completion;
import io.custos.pipeline.ToolCallException;
import io.custos.pipeline.ToolExchange;
import io.custos.tools.ResearchTools;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

/**
 * Researchers' {@value SqlTool#SQL_QUERY_DEIDENTIFIED}: one SELECT over the de-identified views, across patients, under the
 * research path's rules (the researcher role and {@code user/} scopes of the views' resource types, checked by the
 * gate; protocols, sensitive categories, research Consents, pseudonyms and small cells through {@link CohortService}).
 *
 * <p>Defence in depth, so a view declared or built wrongly cannot leak: every released value is reduced by its
 * column's declared class as Safe Harbor requires (45 CFR 164.514(b)(2)): a patient key to the research pseudonym, a
 * date to its year, a birth date to its year unless the patient is over 89, an age over 89 to {@code 90+}, a ZIP code to
 * its 3-digit prefix ({@code 000} for the sparsely populated ones); free text, computed values and any other identifier
 * are left out ({@code masked}). A row whose codes put it in a sensitive category is left out unless the caller's
 * sensitive-data role and the cited protocol both cover it, and a row the patient's Consents do not permit for research
 * (HRESCH) is left out, before anything is counted. Counts and rows are computed, sorted and cut to the LIMIT here,
 * over every row the statement matches up to the scan cap, and small cells are suppressed in both
 * ({@link ResearchTools#MIN_CELL}, with complementary cells; see {@link SafeHarborRelease}). The audit keeps the views
 * read and the statement's hash.
 */
final class DeidentifiedQueries {
  private final SqlDatabase database;
  private final SqlPlanner planner;
  private final SqlSettings.Research settings;
  private final SensitiveCategories sensitive;
  private final CohortService research;
  private final RowShell shell;

  /** The row as one FHIR resource per table read, each with its patient, for that patient's Consents to judge. */
  @FunctionalInterface
  interface RowShell {
    List<SqlStage.Shell> of(SqlPlan plan, Map<String, String> row);
  }

  DeidentifiedQueries(SqlDatabase database, SqlPlanner planner, SqlSettings.Research settings, SensitiveCategories sensitive,
      CohortService research, RowShell shell) {
    this.database = database;
    this.planner = planner;
    this.settings = settings;
    this.sensitive = sensitive;
    this.research = research;
    this.shell = shell;
  }

  /** Runs the call and sets its result. @throws ToolCallException for a refused statement, protocol or database failure */
  void run(ToolExchange ex) {
    String query = SqlStage.query(ex);
    Optional<ResearchProtocols.Protocol> protocol = research.protocol(ex.arguments().string("protocol_id"), ex.caller());
    // Rows coded in a category the caller may not see are left out by the statement, so neither the scan cap nor
    // anything else counts them. What remains judged only after the query: sensitive terms in free text, codes of a
    // system no value set covers, and patients' research Consents (opt-outs); their rows still count toward the cap.
    Set<SensitiveCategory> uncovered = EnumSet.noneOf(SensitiveCategory.class);
    for (SensitiveCategory c : SensitiveCategory.values()) {
      if (!CohortService.covered(ex.caller(), c, protocol)) {
        uncovered.add(c);
      }
    }
    SqlPlan plan;
    try {
      plan = planner.planDeidentified(query, new SqlPlanner.Limits(Set.copyOf(settings.views().stream()
          .map(SqlSettings.View::name).toList()), kind -> true, Set.of(), settings.maxRows()),
          new SqlPlanner.Research(settings.maxScanRows(), research.referenceDate().getYear()),
          system -> sensitive.withheld(system, uncovered));
    } catch (SqlRule.SqlRefused e) {
      throw SqlStage.refusal(ex, query, e);
    }
    ex.auditedResource("sql:" + plan.tableList() + "#query-sha256:" + SqlStage.sha256(query));
    SqlDatabase.Rows rows = SqlStage.read(database, plan, "", Map.of());
    if (rows.truncated()) {
      // Counts and rows are computed, sorted and cut by Custos over everything the statement matches: past the scan cap
      // they would depend on which rows the database returned first (its storage order).
      throw new ToolCallException(ToolCallException.Reason.FORBIDDEN, "The query matches more than "
          + settings.maxScanRows() + " rows, too many to release; narrow it with WHERE.");
    }
    Set<String> consentApplied = new LinkedHashSet<>();
    List<Map<String, String>> kept = new ArrayList<>();
    try {
      for (Map<String, String> row : rows.rows()) {
        if (released(ex, plan, row, protocol, consentApplied)) {
          kept.add(row);
        }
      }
    } catch (UpstreamException e) {
      throw ToolCallException.fromUpstream(e); // the Consents could not be read: nothing is released
    } finally {
      ex.consentApplied(consentApplied);
    }
    boolean linkage = protocol.map(ResearchProtocols.Protocol::linkage).orElse(false);
    SafeHarborRelease release = new SafeHarborRelease(plan, research.pseudonyms(linkage), research.referenceDate().getYear());
    Map<String, Object> out = plan.grouping().isPresent() ? release.counts(kept, plan.grouping().getAsInt())
        : release.rows(kept);
    if (!release.masked().isEmpty()) {
      out.put("masked", List.copyOf(release.masked()));
    }
    out.put("linkage", linkage);
    out.put("deidentification", research.deidentification());
    ex.result(out, kept.size(), Completion.SUCCESS);
  }

  /**
   * Whether a row may be released: its codes and free text in no sensitive category the caller's role and protocol do
   * not cover, and each of its patients' Consents permitting research.
   */
  private boolean released(ToolExchange ex, SqlPlan plan, Map<String, String> row,
      Optional<ResearchProtocols.Protocol> protocol, Set<String> consentApplied) {
    Set<SensitiveCategory> categories = SqlStage.categories(sensitive, plan, row);
    if (categories.stream().anyMatch(c -> !CohortService.covered(ex.caller(), c, protocol))) {
      return false;
    }
    return shell.of(plan, row).stream()
        .allMatch(s -> research.researchPermitted(ex.caller(), s.patientId(), s.resource(), consentApplied));
  }
}
