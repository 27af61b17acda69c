package io.custos.sql;

import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import net.sf.jsqlparser.expression.Function;
import net.sf.jsqlparser.schema.Column;
import net.sf.jsqlparser.statement.select.AllColumns;
import net.sf.jsqlparser.statement.select.AllTableColumns;
import net.sf.jsqlparser.statement.select.PlainSelect;

/**
 * The counts a researcher's statement over de-identified views may ask for. Custos computes them itself over the rows
 * read, after it has left out rows in sensitive categories and rows the patients' research Consents deny, and then
 * suppresses small cells (45 CFR 164.514(d) minimum necessary), so the database never counts anything Custos would not
 * release: {@code SELECT a, b, COUNT(*), COUNT(DISTINCT key) FROM view GROUP BY a, b}, grouping by every other
 * selected column, each a plain column other than a patient key; at least one count; no HAVING, ORDER BY, DISTINCT or
 * OFFSET. Only rows and patients are counted: a count of any other column would count the values behind a group (two
 * sexes, or the rows with no birth year, i.e. the over-89s), singling a patient out inside a large group.
 */
final class DeidentifiedCounts {
  private DeidentifiedCounts() {}

  /**
   * Which count {@code f} (a {@code COUNT}) is: {@code COUNT(*)}, or {@code COUNT([DISTINCT] key)} of a view's patient key.
   *
   * @param patientKey whether a column names a view's patient key
   * @throws SqlRule.SqlRefused {@link SqlRule#COUNTS} for another form
   */
  static SqlPlan.Aggregate aggregate(Function f, Predicate<Column> patientKey) {
    List<?> parameters = f.getParameters() == null ? List.of() : f.getParameters();
    boolean star = star(f);
    boolean one = !f.isAllColumns() && parameters.size() == 1 && parameters.get(0) instanceof Column c && patientKey.test(c);
    if (!(star || one) || f.isUnique() || f.getKeep() != null || f.getNamedParameters() != null || f.getAttribute() != null
        || f.getOrderByElements() != null || f.getHavingClause() != null || f.getLimit() != null || f.getNullHandling() != null
        || f.isEscaped() || f.getMultipartName() == null || f.getMultipartName().size() != 1 || (star && f.isDistinct())) {
      throw SqlRule.COUNTS.refused();
    }
    return f.isDistinct() ? SqlPlan.Aggregate.DISTINCT : SqlPlan.Aggregate.ROWS;
  }

  /** Whether {@code f} is {@code COUNT(*)} (JSqlParser holds the star as its one parameter). */
  static boolean star(Function f) {
    List<?> parameters = f.getParameters() == null ? List.of() : f.getParameters();
    return parameters.size() == 1 && parameters.get(0) instanceof AllColumns a && !(a instanceof AllTableColumns);
  }

  /** Whether the statement asks for counts (or groups). */
  static boolean grouped(PlainSelect s, List<SqlPlan.Output> outputs) {
    return s.getGroupBy() != null || outputs.stream().anyMatch(o -> o.aggregate() != SqlPlan.Aggregate.NONE);
  }

  /**
   * Checks a grouped statement's shape.
   *
   * @param selected each output's column ({@code <alias>.<column>}) when it is a bare column
   * @param grouped  the GROUP BY columns, resolved alike
   * @param keys     the views' patient keys, resolved alike: grouping by one would release a group per patient
   * @throws SqlRule.SqlRefused {@link SqlRule#COUNTS}; {@link SqlRule#PATIENT_KEY} for a patient key grouped on
   */
  static void check(PlainSelect s, List<SqlPlan.Output> outputs, List<Optional<String>> selected, List<String> grouped,
      Set<String> keys) {
    if (grouped.stream().anyMatch(keys::contains)) {
      throw SqlRule.PATIENT_KEY.refused();
    }
    if (outputs.stream().allMatch(o -> o.aggregate() == SqlPlan.Aggregate.NONE) // a GROUP BY alone lists small groups
        || s.getDistinct() != null || (s.getOrderByElements() != null && !s.getOrderByElements().isEmpty())
        || s.getOffset() != null) {
      throw SqlRule.COUNTS.refused();
    }
    var columns = new HashSet<String>();
    for (int i = 0; i < outputs.size(); i++) {
      if (outputs.get(i).aggregate() == SqlPlan.Aggregate.NONE) {
        columns.add(selected.get(i).orElseThrow(SqlRule.COUNTS::refused));
      }
    }
    if (!columns.equals(new HashSet<>(grouped)) || grouped.size() != columns.size()) {
      throw SqlRule.COUNTS.refused();
    }
  }
}
