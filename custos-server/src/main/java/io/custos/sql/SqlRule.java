package io.custos.sql;

/**
 * The rules a SQL statement must keep; a refusal names the rule it broke and never repeats the statement or any part
 * of it (a query may hold PHI). The rule ids are stable: clients and tests match them.
 */
public enum SqlRule {
  TOO_LONG("query-too-long", "The query is longer than 4000 characters."),
  NOT_PARSABLE("not-parsable", "The query is not a SELECT statement the parser accepts."),
  COMMENT("no-comments", "Comments are not allowed."),
  STACKED("no-stacked-statements", "Only one statement is allowed (no semicolons)."),
  CHARACTERS("characters-not-allowed", "Backslashes, dollar quoting, backticks and brackets are not allowed outside string literals."),
  ONE_SELECT("one-select", "Only one plain SELECT is allowed."),
  SET_OPERATION("no-set-operations", "UNION, INTERSECT and EXCEPT are not allowed."),
  CTE("no-cte", "WITH (common table expressions) is not allowed."),
  SUBQUERY("no-subqueries", "Subqueries are not allowed."),
  SYSTEM_CATALOG("no-system-catalogs", "System catalogs and schemas are not allowed."),
  TABLE("table-not-allowed", "The query reads a table that is not in the SQL catalog for this tool."),
  COLUMN("column-not-allowed", "The query names a column that is not in the SQL catalog, is ambiguous, or is returned twice under one name."),
  COLUMN_NOT_PERMITTED("column-not-permitted", "The query names a column this caller may not read: an identifier column for a "
      + "role that does not treat the patient, or, over de-identified views, free text or an identifier Safe Harbor does not "
      + "release."),
  STAR("explicit-columns", "Name the columns; * is not allowed."),
  FUNCTION("function-not-allowed", "The query calls a function that is not allowed (allowed: LOWER, UPPER, COALESCE, LENGTH)."),
  AGGREGATE("no-aggregates", "Aggregates, grouping and window functions are not allowed; use the de-identified cohort tools."),
  CAST("no-casts", "Casts are not allowed."),
  PARAMETER("no-parameters", "Placeholders and variables are not allowed in the query."),
  EXPRESSION("expression-not-allowed", "The query uses an expression or clause that is not allowed."),
  JOIN("join-not-allowed", "Only inner joins with ON between catalog tables are allowed."),
  LIMIT("limit-literal", "LIMIT and OFFSET must be plain numbers (OFFSET at most 10000)."),
  VIEWS_ONLY("deidentified-views-only", "This tool reads the de-identified views of the SQL catalog only, never its tables."),
  PATIENT_KEY("pseudonymous-key", "A view's patient key may only be selected, counted, grouped on or compared with another column."),
  KEY_JOIN("patient-key-joins", "Over de-identified views, tables are joined only with JOIN ... ON x.<patient key> = y.<patient "
      + "key> (no comma or cross joins, no other ON condition)."),
  NO_OFFSET("no-offset", "Over de-identified views, OFFSET is not allowed."),
  ORDER_SELECTED("order-by-selected", "Over de-identified views, ORDER BY names selected columns only (by name or alias), "
      + "never a constant or expression."),
  COUNTS("counts-only", "Only COUNT(*), COUNT(key) and COUNT(DISTINCT key) of a view's patient key are allowed, at least "
      + "one, grouped by every other selected column (plain columns), without HAVING, ORDER BY, DISTINCT or OFFSET.");

  private final String id;
  private final String message;

  SqlRule(String id, String message) {
    this.id = id;
    this.message = message;
  }

  /** Stable id, e.g. {@code no-subqueries}. */
  public String id() {
    return id;
  }

  /** The PHI-free refusal text: the rule id and what it requires, never the query. */
  public String message() {
    return "The SQL query was refused (rule " + id + "): " + message;
  }

  /** A refusal of a statement for breaking this rule. */
  SqlRefused refused() {
    return new SqlRefused(this);
  }

  /** A statement broke a rule; carries no part of the statement. */
  public static final class SqlRefused extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient SqlRule rule;

    SqlRefused(SqlRule rule) {
      super(rule.id(), null, false, false);
      this.rule = rule;
    }

    public SqlRule rule() {
      return rule;
    }
  }
}
