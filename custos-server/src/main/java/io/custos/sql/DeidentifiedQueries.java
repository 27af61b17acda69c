package io.custos.sql;

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
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.hl7.fhir.r4.model.Resource;

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
 * (HRESCH) is left out, before anything is counted. Counts are computed here and suppressed as small cells
 * ({@link ResearchTools#MIN_CELL}, with complementary cells). The audit keeps the views read and the statement's hash.
 */
final class DeidentifiedQueries {
  private final SqlDatabase database;
  private final SqlPlanner planner;
  private final SqlSettings.Research settings;
  private final SensitiveCategories sensitive;
  private final CohortService research;
  private final RowShell shell;

  /** The row as the FHIR resource its first table stands for, for a Consent to judge. */
  @FunctionalInterface
  interface RowShell {
    Resource of(SqlPlan plan, Map<String, String> row, String patientId);
  }

  DeidentifiedQueries(SqlDatabase database, SqlCatalog catalog, SqlSettings.Research settings, SensitiveCategories sensitive,
      CohortService research, RowShell shell) {
    this.database = database;
    this.planner = new SqlPlanner(catalog);
    this.settings = settings;
    this.sensitive = sensitive;
    this.research = research;
    this.shell = shell;
  }

  /** Runs the call and sets its result. @throws ToolCallException for a refused statement, protocol or database failure */
  void run(ToolExchange ex) {
    String query = SqlStage.query(ex);
    SqlPlan plan;
    try {
      plan = planner.planDeidentified(query, new SqlPlanner.Limits(Set.copyOf(settings.views().stream()
          .map(SqlSettings.View::name).toList()), kind -> true, Set.of(), settings.maxRows()), settings.maxScanRows());
    } catch (SqlRule.SqlRefused e) {
      ex.auditedResource("sql#query-sha256:" + SqlStage.sha256(query));
      throw e.rule() == SqlRule.NOT_PARSABLE || e.rule() == SqlRule.TOO_LONG ? ToolCallException.invalid(e.rule().message())
          : new ToolCallException(ToolCallException.Reason.FORBIDDEN, e.rule().message());
    }
    ex.auditedResource("sql:" + plan.tableList() + "#query-sha256:" + SqlStage.sha256(query));
    Optional<ResearchProtocols.Protocol> protocol = research.protocol(ex.arguments().string("protocol_id"), ex.caller());
    SqlDatabase.Rows rows = SqlStage.read(database, plan, "", Map.of());
    if (plan.grouping().isPresent() && rows.truncated()) {
      throw new ToolCallException(ToolCallException.Reason.FORBIDDEN, "The query matches more than "
          + settings.maxScanRows() + " rows, too many to count; narrow it with WHERE.");
    }
    Set<String> consentApplied = new LinkedHashSet<>();
    List<Map<String, String>> kept = new ArrayList<>();
    try {
      for (Map<String, String> row : rows.rows()) {
        if (released(ex, plan, row, protocol, consentApplied)) {
          kept.add(row);
        }
      }
    } finally {
      ex.consentApplied(consentApplied);
    }
    boolean linkage = protocol.map(ResearchProtocols.Protocol::linkage).orElse(false);
    Release release = new Release(plan, research.pseudonyms(linkage), research.referenceDate().getYear());
    Map<String, Object> out = plan.grouping().isPresent() ? release.counts(kept, plan.grouping().getAsInt())
        : release.rows(kept, rows.truncated());
    if (!release.masked.isEmpty()) {
      out.put("masked", List.copyOf(release.masked));
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
    Set<String> patients = new LinkedHashSet<>();
    for (int i = 0; i < plan.keys().size(); i++) {
      Optional.ofNullable(row.get("k" + i)).ifPresent(patients::add);
    }
    return patients.stream().allMatch(p -> research.researchPermitted(ex.caller(), p, shell.of(plan, row, p), consentApplied));
  }

  /** One answer's Safe Harbor release of the rows kept. */
  private static final class Release {
    private final SqlPlan plan;
    private final UnaryOperator<String> pseudonyms;
    private final int referenceYear;
    private final Set<String> masked = new LinkedHashSet<>();

    Release(SqlPlan plan, UnaryOperator<String> pseudonyms, int referenceYear) {
      this.plan = plan;
      this.pseudonyms = pseudonyms;
      this.referenceYear = referenceYear;
      for (SqlPlan.Output o : plan.outputs()) {
        if (o.aggregate() == SqlPlan.Aggregate.NONE && !releasable(o)) {
          masked.add(o.name());
        }
      }
    }

    /** Free text, computed values (fenced as text) and identifiers Safe Harbor does not release are left out. */
    private static boolean releasable(SqlPlan.Output o) {
      return switch (o.kind()) {
        case TEXT -> false;
        case IDENTIFIER -> o.identifier().filter(IdentifierKind::released).isPresent();
        default -> true;
      };
    }

    /** What Safe Harbor releases of a value of {@code o} (null: none). */
    private Object value(SqlPlan.Output o, String raw) {
      if (raw == null || masked.contains(o.name())) {
        return null;
      }
      if (o.kind() != ColumnClass.IDENTIFIER) {
        return SqlTool.value(o.kind(), raw);
      }
      return switch (o.identifier().orElseThrow()) {
        case PATIENT_KEY -> pseudonyms.apply(raw);
        case DATE -> year(raw);
        case BIRTH_DATE -> {
          Integer y = year(raw);
          yield y == null || referenceYear - y > 89 ? null : y; // (C): over 89, the year too is aggregated
        }
        case AGE -> {
          String digits = raw.strip();
          yield digits.matches("[0-9]{1,3}") ? (Integer.parseInt(digits) > 89 ? "90+" : Integer.valueOf(digits)) : null;
        }
        case ZIP -> {
          String digits = raw.replaceAll("[^0-9]", "");
          yield digits.length() >= 3 ? DeIdentifier.zip3(digits.substring(0, 3)) : null;
        }
        default -> null;
      };
    }

    /** The year of {@code 2019-03-04}, {@code 20190304}, {@code 2019-03-04T10:00:00Z} or {@code 2019}; null otherwise. */
    private static Integer year(String raw) {
      String s = raw.strip();
      return s.length() >= 4 && s.substring(0, 4).chars().allMatch(Character::isDigit)
          && (s.length() == 4 || !Character.isDigit(s.charAt(4)) || s.length() == 8) ? Integer.valueOf(s.substring(0, 4)) : null;
    }

    /**
     * The rows; without ORDER BY in the order of their released values, so the database's storage order (the order MRNs
     * were assigned in) does not tie a pseudonym to a patient.
     */
    Map<String, Object> rows(List<Map<String, String>> kept, boolean truncated) {
      List<Map<String, Object>> items = new ArrayList<>();
      for (Map<String, String> row : kept) {
        Map<String, Object> item = new LinkedHashMap<>();
        for (int i = 0; i < plan.outputs().size(); i++) {
          Object v = value(plan.outputs().get(i), row.get("c" + i));
          if (v != null) {
            item.put(plan.outputs().get(i).name(), v);
          }
        }
        items.add(item);
      }
      if (!plan.ordered()) {
        items.sort(java.util.Comparator.comparing(Map::toString));
      }
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("items", items);
      out.put("count", items.size());
      if (truncated) {
        out.put("truncated", true);
      }
      return out;
    }

    /**
     * The counts per group of released values (so groups are what Safe Harbor releases, e.g. 3-digit ZIP codes), each
     * count column's small cells suppressed together with complementary ones; groups in order of their values.
     */
    Map<String, Object> counts(List<Map<String, String>> kept, int maxGroups) {
      Map<String, Map<String, Object>> groups = new TreeMap<>();
      Map<String, List<Map<String, String>>> members = new LinkedHashMap<>();
      for (Map<String, String> row : kept) {
        Map<String, Object> group = new LinkedHashMap<>();
        for (int i = 0; i < plan.outputs().size(); i++) {
          SqlPlan.Output o = plan.outputs().get(i);
          if (o.aggregate() == SqlPlan.Aggregate.NONE && !masked.contains(o.name())) {
            group.put(o.name(), value(o, row.get("c" + i)));
          }
        }
        String key = group.toString();
        groups.putIfAbsent(key, group);
        members.computeIfAbsent(key, k -> new ArrayList<>()).add(row);
      }
      int suppressed = 0;
      for (int i = 0; i < plan.outputs().size(); i++) {
        SqlPlan.Output o = plan.outputs().get(i);
        if (o.aggregate() == SqlPlan.Aggregate.NONE) {
          continue;
        }
        String column = "c" + i;
        Map<String, Integer> cells = new LinkedHashMap<>();
        members.forEach((key, rows) -> cells.put(key, o.aggregate() == SqlPlan.Aggregate.DISTINCT
            ? new HashSet<>(rows.stream().map(r -> r.get(column)).filter(v -> v != null).toList()).size()
            : (int) rows.stream().filter(r -> r.get(column) != null).count()));
        Set<String> hidden = SmallCells.suppressed(cells, ResearchTools.MIN_CELL);
        suppressed += hidden.size();
        cells.forEach((key, n) -> groups.get(key).put(o.name(), hidden.contains(key) ? null : n));
      }
      if (groups.isEmpty() && plan.outputs().stream().allMatch(o -> o.aggregate() != SqlPlan.Aggregate.NONE)) {
        Map<String, Object> none = new LinkedHashMap<>(); // a count over no rows is zero, as SQL answers it
        plan.outputs().forEach(o -> none.put(o.name(), 0));
        groups.put("", none);
      }
      List<Map<String, Object>> items = new ArrayList<>(groups.values());
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("items", List.copyOf(items.subList(0, Math.min(items.size(), maxGroups))));
      out.put("count", Math.min(items.size(), maxGroups));
      if (items.size() > maxGroups) {
        out.put("truncated", true);
      }
      out.put("suppressedCells", suppressed);
      return out;
    }
  }
}
