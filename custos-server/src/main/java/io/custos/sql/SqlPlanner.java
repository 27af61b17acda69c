package io.custos.sql;

import io.custos.phi.SensitiveValueSets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Predicate;
import net.sf.jsqlparser.JSQLParserException;
import net.sf.jsqlparser.expression.AnalyticExpression;
import net.sf.jsqlparser.expression.CastExpression;
import net.sf.jsqlparser.expression.DoubleValue;
import net.sf.jsqlparser.expression.Expression;
import net.sf.jsqlparser.expression.Function;
import net.sf.jsqlparser.expression.JdbcNamedParameter;
import net.sf.jsqlparser.expression.JdbcParameter;
import net.sf.jsqlparser.expression.LongValue;
import net.sf.jsqlparser.expression.NotExpression;
import net.sf.jsqlparser.expression.NullValue;
import net.sf.jsqlparser.expression.SignedExpression;
import net.sf.jsqlparser.expression.StringValue;
import net.sf.jsqlparser.expression.UserVariable;
import net.sf.jsqlparser.expression.operators.arithmetic.Addition;
import net.sf.jsqlparser.expression.operators.arithmetic.Subtraction;
import net.sf.jsqlparser.expression.operators.conditional.AndExpression;
import net.sf.jsqlparser.expression.operators.conditional.OrExpression;
import net.sf.jsqlparser.expression.operators.relational.Between;
import net.sf.jsqlparser.expression.operators.relational.ComparisonOperator;
import net.sf.jsqlparser.expression.operators.relational.EqualsTo;
import net.sf.jsqlparser.expression.operators.relational.ExistsExpression;
import net.sf.jsqlparser.expression.operators.relational.ExpressionList;
import net.sf.jsqlparser.expression.operators.relational.GreaterThan;
import net.sf.jsqlparser.expression.operators.relational.GreaterThanEquals;
import net.sf.jsqlparser.expression.operators.relational.InExpression;
import net.sf.jsqlparser.expression.operators.relational.IsNullExpression;
import net.sf.jsqlparser.expression.operators.relational.LikeExpression;
import net.sf.jsqlparser.expression.operators.relational.MinorThan;
import net.sf.jsqlparser.expression.operators.relational.MinorThanEquals;
import net.sf.jsqlparser.expression.operators.relational.NotEqualsTo;
import net.sf.jsqlparser.expression.operators.relational.ParenthesedExpressionList;
import net.sf.jsqlparser.parser.CCJSqlParserUtil;
import net.sf.jsqlparser.schema.Column;
import net.sf.jsqlparser.schema.Table;
import net.sf.jsqlparser.statement.Statement;
import net.sf.jsqlparser.statement.select.AllColumns;
import net.sf.jsqlparser.statement.select.FromItem;
import net.sf.jsqlparser.statement.select.Join;
import net.sf.jsqlparser.statement.select.Limit;
import net.sf.jsqlparser.statement.select.OrderByElement;
import net.sf.jsqlparser.statement.select.PlainSelect;
import net.sf.jsqlparser.statement.select.Select;
import net.sf.jsqlparser.statement.select.SelectItem;
import net.sf.jsqlparser.statement.select.SetOperationList;

/**
 * Turns one SELECT into a {@link SqlPlan}, with JSqlParser's SQL grammar (never regular expressions over the text).
 * Deny unless allowed: the plan is rendered by Custos from the parsed statement, and every part it does not know is
 * refused, so nothing the caller wrote reaches the database but allowlisted catalog names and bound values. In order:
 * no comments, stacked statements or exotic quoting (checked on the text outside string literals, since the parser
 * drops comments); one plain SELECT (no UNION, no WITH, no subquery anywhere); only catalog tables, unqualified (so no
 * system catalog); only catalog columns, identifier columns only where {@code columnAllowed}; only scalar functions of
 * a short allowlist, no casts, no aggregates; inner joins only. Every table read is confined to the bound patient
 * ({@code <table>.<patientKey> = ?}, ANDed with the caller's own condition, so a tautology widens nothing), and the
 * LIMIT is capped.
 */
final class SqlPlanner {
  static final int MAX_QUERY_CHARS = 4000;
  private static final int MAX_OFFSET = 10_000;
  private static final Set<String> FUNCTIONS = Set.of("LOWER", "UPPER", "COALESCE", "LENGTH");
  private static final Set<String> AGGREGATES = Set.of("COUNT", "SUM", "AVG", "MIN", "MAX", "STRING_AGG", "ARRAY_AGG",
      "GROUP_CONCAT", "JSON_AGG", "JSONB_AGG", "BOOL_AND", "BOOL_OR", "EVERY", "STDDEV", "VARIANCE");
  /**
   * JSqlParser parses on an executor so it can stop a statement at its timeout; its one-argument {@code parse} starts
   * and ends a thread per statement, which cost more CPU than the parse. One bounded pool of daemon threads instead.
   */
  private static final ExecutorService PARSERS = Executors.newFixedThreadPool(
      Math.max(2, Runtime.getRuntime().availableProcessors()), Thread.ofPlatform().name("custos-sql-parse-", 0)
          .daemon(true).factory());

  private final SqlCatalog catalog;
  private final SqlEngine engine;

  /** A planner rendering for {@code engine}: its system catalogs are refused, its quoting and functions are used. */
  SqlPlanner(SqlCatalog catalog, SqlEngine engine) {
    this.catalog = catalog;
    this.engine = engine;
  }

  /**
   * What a statement may do.
   *
   * @param tables        the tables it may read (catalog names)
   * @param columnAllowed which column classes it may name (identifier columns only for treating roles)
   * @param parameters    the {@code :name} parameters it may use (declared tools); empty: none (the analyst tool)
   * @param limitCap      rows at most
   */
  record Limits(Set<String> tables, Predicate<ColumnClass> columnAllowed, Set<String> parameters, int limitCap) {}

  /** @throws SqlRule.SqlRefused naming the rule the statement broke */
  SqlPlan plan(String text, Limits limits) {
    return plan(text, limits, Optional.empty(), NOTHING_WITHHELD);
  }

  /** Per code system URI, the codes whose rows a de-identified statement leaves out. */
  @FunctionalInterface
  interface WithheldCodes {
    SensitiveValueSets.Withheld of(String system);
  }

  /** The ASCII characters {@link String#strip} removes besides the space, which SQL's TRIM keeps. */
  private static final String JAVA_CONTROL_WHITESPACE = "\t\n\u000B\f\r\u001C\u001D\u001E\u001F";

  /** No code withheld in the query (the caller's sensitive categories are then judged only on the rows read). */
  static final WithheldCodes NOTHING_WITHHELD =
      system -> new SensitiveValueSets.Withheld(Set.of(), Set.of(), false);

  /**
   * A researcher's statement over de-identified views, across patients: every rule above, but no compartment; only
   * the views in {@code limits.tables()} (a catalog table is refused as {@link SqlRule#VIEWS_ONLY}); a view's patient
   * key only selected, counted, grouped on or compared with another column ({@link SqlRule#PATIENT_KEY}: a literal
   * would make it an oracle); joins only on the views' patient keys ({@link SqlRule#KEY_JOIN}); no OFFSET
   * ({@link SqlRule#NO_OFFSET}); ORDER BY on selected columns only ({@link SqlRule#ORDER_SELECTED}); and counts
   * ({@link DeidentifiedCounts}). A view's identifier column reads, wherever it is named, only what Safe Harbor releases
   * of it ({@link IdentifierKind#reduced}). The statement reads at most {@code maxScanRows} rows (one more to tell that
   * it matches more), without ORDER BY or the caller's LIMIT: Custos counts, sorts ({@link SqlPlan#release()}) and cuts
   * the released rows, so storage order never chooses them. The plan fetches every table's patient key as
   * {@code k0, k1...}.
   *
   * @throws SqlRule.SqlRefused naming the rule the statement broke
   */
  SqlPlan planDeidentified(String text, Limits limits, Research research) {
    return planDeidentified(text, limits, research, NOTHING_WITHHELD);
  }

  /**
   * A de-identified statement's bounds.
   *
   * @param maxScanRows   rows at most read to count
   * @param referenceYear the year ages are counted to, for the over-89 rule on birth dates ({@link IdentifierKind#reduced})
   */
  record Research(int maxScanRows, int referenceYear) {}

  /**
   * As {@link #planDeidentified(String, Limits, Research)}, with the rows whose codes the caller may not see left out by
   * the statement itself: for every code column of every view read, {@code (col IS NULL OR (<ASCII, no control
   * whitespace> AND n NOT IN (?...) AND n NOT LIKE ?...))} over the codes and is-a roots {@code withheld} gives for its
   * code system (bound, never rendered), {@code n} being {@code TRIM(col)}, or {@code UPPER(REPLACE(TRIM(col), '.',
   * ''))} for ICD-10, so the scan cap never counts a row the caller cannot see.
   *
   * @param withheld per code system URI, the codes of the sensitive categories the caller's role and protocol do not cover
   */
  SqlPlan planDeidentified(String text, Limits limits, Research research, WithheldCodes withheld) {
    return plan(text, limits, Optional.of(research), withheld);
  }

  private SqlPlan plan(String text, Limits limits, Optional<Research> deidentified, WithheldCodes withheld) {
    if (text.length() > MAX_QUERY_CHARS) {
      throw SqlRule.TOO_LONG.refused();
    }
    lex(text);
    Statement statement = parse(text);
    if (statement instanceof SetOperationList) {
      throw SqlRule.SET_OPERATION.refused();
    }
    return render(statement, limits, deidentified, withheld);
  }

  /** One plain SELECT without WITH, rendered. */
  private SqlPlan render(Statement statement, Limits limits, Optional<Research> deidentified, WithheldCodes withheld) {
    if (!(statement instanceof PlainSelect select)) {
      throw SqlRule.ONE_SELECT.refused();
    }
    if (select.getWithItemsList() != null && !select.getWithItemsList().isEmpty()) {
      throw SqlRule.CTE.refused();
    }
    return new Render(limits, deidentified, withheld).select(select);
  }

  /**
   * Refuses comments, statement separators and quoting the plan never needs, outside single-quoted literals (where
   * they are data, bound as values). Double-quoted identifiers are scanned like the rest: their content must be a
   * catalog name anyway.
   */
  private static void lex(String text) {
    boolean literal = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (literal) {
        if (c == '\'') {
          literal = false; // a doubled '' re-enters at the next character
        }
        continue;
      }
      char next = i + 1 < text.length() ? text.charAt(i + 1) : 0;
      switch (c) {
        case '\'' -> literal = true;
        case ';' -> throw SqlRule.STACKED.refused();
        case '#' -> throw SqlRule.COMMENT.refused();
        case '-' -> {
          if (next == '-') {
            throw SqlRule.COMMENT.refused();
          }
        }
        case '/' -> {
          if (next == '*') {
            throw SqlRule.COMMENT.refused();
          }
        }
        case '\\', '$', '`', '[', ']', '{', '}', '?', ':' -> throw SqlRule.CHARACTERS.refused();
        default -> {
          if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c > 0x7e) {
            throw SqlRule.CHARACTERS.refused(); // Unicode look-alikes, escapes and invisible characters outside literals
          }
        }
      }
    }
    if (literal) {
      throw SqlRule.NOT_PARSABLE.refused();
    }
  }

  /**
   * A declared tool's statement (written by the operator, planned once at start): {@code :name} parameters are
   * allowed, so the analyst's lexical check, which refuses {@code :}, is not applied; every other rule is.
   */
  SqlPlan planDeclared(String text, Limits limits) {
    return render(parse(text), limits, Optional.empty(), NOTHING_WITHHELD);
  }

  private static Statement parse(String text) {
    try {
      return CCJSqlParserUtil.parse(text, PARSERS, null);
    } catch (JSQLParserException | RuntimeException e) {
      throw SqlRule.NOT_PARSABLE.refused();
    }
  }

  /** One rendering: the tables in scope (alias -> table), the text and the bindings, in text order. */
  private final class Render {
    private final Limits limits;
    private final Map<String, Scoped> scope = new LinkedHashMap<>();
    private final StringBuilder sql = new StringBuilder();
    private final List<SqlPlan.Binding> bindings = new ArrayList<>();
    private final Map<String, String> outputAliases = new LinkedHashMap<>();
    /** A de-identified statement's bounds; empty: a compartment statement. */
    private final Optional<Research> deidentified;
    /** Whether a view's patient key may be named where the rendering is now. */
    private boolean keyAllowed;

    /** Per code system, the codes whose rows a de-identified statement leaves out. */
    private final WithheldCodes withheld;

    Render(Limits limits, Optional<Research> deidentified, WithheldCodes withheld) {
      this.limits = limits;
      this.deidentified = deidentified;
      this.withheld = withheld;
    }

    /** A table in the FROM clause and the alias Custos gives it ({@code t0, t1...}). */
    private record Scoped(SqlSettings.Table table, String alias) {}

    SqlPlan select(PlainSelect s) {
      boolean groupAllowed = deidentified.isPresent() && s.getHaving() == null;
      if (s.getIntoTables() != null || (s.getGroupBy() != null && !groupAllowed) || s.getHaving() != null
          || s.getWindowDefinitions() != null || s.getQualify() != null) {
        throw (deidentified.isPresent() && s.getHaving() != null ? SqlRule.COUNTS : s.getGroupBy() != null
            || s.getHaving() != null || s.getWindowDefinitions() != null ? SqlRule.AGGREGATE : SqlRule.EXPRESSION).refused();
      }
      if (s.getForMode() != null || s.getFetch() != null || s.getTop() != null || s.getFirst() != null || s.getSkip() != null
          || (s.getLateralViews() != null && !s.getLateralViews().isEmpty()) || s.getOracleHierarchical() != null
          || s.getOracleHint() != null || s.getKsqlWindow() != null) {
        throw SqlRule.EXPRESSION.refused();
      }
      // Scope first: the FROM clause decides what columns mean.
      addTable(s.getFromItem());
      List<Join> joins = s.getJoins() == null ? List.of() : s.getJoins();
      for (Join j : joins) {
        if (deidentified.isPresent() && (j.isSimple() || j.isCross())) {
          throw SqlRule.KEY_JOIN.refused();
        }
        if (!(j.isSimple() || j.isInner() || plainJoin(j)) || j.isLeft() || j.isRight() || j.isFull() || j.isOuter()
            || j.isCross() || j.isNatural() || j.isApply() || j.isSemi() || j.isStraight()
            || (j.getUsingColumns() != null && !j.getUsingColumns().isEmpty())) {
          throw SqlRule.JOIN.refused();
        }
        addTable(j.getFromItem());
      }
      sql.append("SELECT ");
      if (s.getDistinct() != null) {
        if (s.getDistinct().getOnSelectItems() != null || s.getDistinct().isUseUnique()) {
          throw SqlRule.EXPRESSION.refused();
        }
        sql.append("DISTINCT ");
      }
      List<SqlPlan.Output> outputs = new ArrayList<>();
      List<Optional<String>> selected = new ArrayList<>(); // each output's column, resolved, when it is a bare column
      for (SelectItem<?> item : s.getSelectItems()) {
        Expression e = item.getExpression();
        if (e instanceof AllColumns) {
          throw SqlRule.STAR.refused();
        }
        String alias = "c" + outputs.size();
        if (!outputs.isEmpty()) {
          sql.append(", ");
        }
        SqlPlan.Output out;
        if (deidentified.isPresent() && e instanceof Function f && "COUNT".equalsIgnoreCase(f.getName())) {
          out = count(item, f);
        } else {
          keyAllowed = deidentified.isPresent() && e instanceof Column; // a bare key is released as a pseudonym
          expression(e);
          out = output(item, e, outputs.size());
          keyAllowed = false;
        }
        selected.add(deidentified.isPresent() && e instanceof Column c ? Optional.of(selected(c)) : Optional.empty());
        sql.append(" AS ").append(alias);
        if (outputs.stream().anyMatch(o -> o.name().equals(out.name()))) {
          throw SqlRule.COLUMN.refused(); // two outputs of one name: name them apart with AS
        }
        if (item.getAlias() != null) {
          outputAliases.put(out.name().toUpperCase(Locale.ROOT), alias);
        }
        outputs.add(out);
      }
      List<SqlPlan.Output> hidden = new ArrayList<>();
      for (Scoped t : scope.values()) {
        for (var c : t.table().columns().entrySet()) {
          if (c.getValue().kind() == ColumnClass.CODE) {
            sql.append(", ").append(t.alias()).append('.').append(engine.identifier(c.getKey())).append(" AS h")
                .append(hidden.size());
            hidden.add(new SqlPlan.Output(c.getKey(), ColumnClass.CODE, Optional.of(c.getValue().system())));
          }
        }
      }
      List<SqlPlan.Output> keys = new ArrayList<>();
      if (deidentified.isPresent()) {
        for (Scoped t : scope.values()) {
          var key = SqlCatalog.column(t.table(), t.table().patientKey()).orElseThrow();
          sql.append(", ").append(t.alias()).append('.').append(key.getKey()).append(" AS k").append(keys.size());
          keys.add(new SqlPlan.Output(key.getKey(), ColumnClass.IDENTIFIER, Optional.empty(),
              Optional.of(IdentifierKind.PATIENT_KEY), SqlPlan.Aggregate.NONE));
        }
      }
      sql.append(" FROM ");
      List<Scoped> tables = List.copyOf(scope.values());
      sql.append(engine.identifier(tables.get(0).table().name())).append(' ').append(tables.get(0).alias());
      for (int i = 0; i < joins.size(); i++) {
        Scoped t = tables.get(i + 1);
        Join j = joins.get(i);
        sql.append(" JOIN ").append(engine.identifier(t.table().name())).append(' ').append(t.alias()).append(" ON ");
        List<Expression> on = j.getOnExpressions() == null ? List.of() : List.copyOf(j.getOnExpressions());
        if (on.size() > 1) {
          throw SqlRule.JOIN.refused();
        }
        if (deidentified.isPresent()) {
          keyJoin(on, t, tables.subList(0, i + 1));
        }
        if (on.isEmpty()) {
          sql.append("1 = 1");
        } else {
          sql.append('(');
          expression(on.get(0));
          sql.append(')');
        }
      }
      if (deidentified.isEmpty()) {
        // The compartment: every table read holds only the bound patient's rows.
        sql.append(" WHERE ");
        for (int i = 0; i < tables.size(); i++) {
          sql.append(i == 0 ? "" : " AND ").append(tables.get(i).alias()).append('.')
              .append(engine.identifier(tables.get(i).table().patientKey())).append(" = ?");
          bindings.add(new SqlPlan.Binding.Patient());
        }
      }
      if (s.getWhere() != null) {
        sql.append(deidentified.isEmpty() ? " AND (" : " WHERE (");
        expression(s.getWhere());
        sql.append(')');
      }
      if (deidentified.isPresent()) {
        withhold(tables, s.getWhere() != null);
      }
      if (deidentified.isPresent() && DeidentifiedCounts.grouped(s, outputs)) {
        int groups = limit(s.getLimit());
        DeidentifiedCounts.check(s, outputs, selected, groupColumns(s), tables.stream()
            .map(t -> t.alias() + "." + SqlCatalog.column(t.table(), t.table().patientKey()).orElseThrow().getKey())
            .collect(java.util.stream.Collectors.toSet()));
        int scan = deidentified.get().maxScanRows();
        sql.append(" LIMIT ").append(scan + 1);
        return new SqlPlan(sql.toString(), List.copyOf(bindings), List.copyOf(outputs), List.copyOf(hidden),
            tables.stream().map(t -> t.table().name()).toList(), scan, List.copyOf(keys), java.util.OptionalInt.of(groups));
      }
      if (deidentified.isPresent()) {
        // Rows are chosen and ordered by Custos over everything read, never by the database's storage order (which
        // follows the order MRNs were assigned in): no OFFSET, no ORDER BY or LIMIT sent.
        if (s.getOffset() != null || (s.getLimit() != null && s.getLimit().getOffset() != null)) {
          throw SqlRule.NO_OFFSET.refused();
        }
        List<SqlPlan.SortKey> order = new ArrayList<>();
        for (OrderByElement o : s.getOrderByElements() == null ? List.<OrderByElement>of() : s.getOrderByElements()) {
          int output = sortedOutput(o, outputs, selected);
          if (o.isMysqlWithRollup()) {
            throw SqlRule.AGGREGATE.refused();
          }
          if (outputs.get(output).identifier().filter(k -> k == IdentifierKind.PATIENT_KEY).isPresent()) {
            throw SqlRule.PATIENT_KEY.refused(); // pseudonyms in the order of the keys would tie them to patients
          }
          order.add(new SqlPlan.SortKey(output, o.isAsc(), o.getNullOrdering() == null ? !o.isAsc()
              : o.getNullOrdering() == OrderByElement.NullOrdering.NULLS_FIRST));
        }
        int rows = limit(s.getLimit());
        int scan = deidentified.get().maxScanRows();
        sql.append(" LIMIT ").append(scan + 1);
        return new SqlPlan(sql.toString(), List.copyOf(bindings), List.copyOf(outputs), List.copyOf(hidden),
            tables.stream().map(t -> t.table().name()).toList(), scan, List.copyOf(keys), java.util.OptionalInt.empty(),
            Optional.of(new SqlPlan.RowRelease(rows, List.copyOf(order))));
      }
      if (s.getOrderByElements() != null && !s.getOrderByElements().isEmpty()) {
        sql.append(" ORDER BY ");
        for (int i = 0; i < s.getOrderByElements().size(); i++) {
          OrderByElement o = s.getOrderByElements().get(i);
          if (o.isMysqlWithRollup()) {
            throw SqlRule.AGGREGATE.refused();
          }
          sql.append(i == 0 ? "" : ", ");
          if (o.getExpression() instanceof Column c && c.getTable() == null
              && outputAliases.containsKey(c.getUnquotedColumnName().toUpperCase(Locale.ROOT))) {
            String alias = outputAliases.get(c.getUnquotedColumnName().toUpperCase(Locale.ROOT));
            if (deidentified.isPresent() && outputs.get(Integer.parseInt(alias.substring(1))).identifier()
                .filter(k -> k == IdentifierKind.PATIENT_KEY).isPresent()) {
              throw SqlRule.PATIENT_KEY.refused(); // pseudonyms in the order of the keys would tie them to patients
            }
            sql.append(alias);
          } else {
            expression(o.getExpression());
          }
          sql.append(o.isAsc() ? " ASC" : " DESC");
          if (o.getNullOrdering() != null) {
            if (!engine.nullsOrdering()) {
              throw SqlRule.EXPRESSION.refused();
            }
            sql.append(o.getNullOrdering() == OrderByElement.NullOrdering.NULLS_FIRST ? " NULLS FIRST" : " NULLS LAST");
          }
        }
      }
      int limit = limit(s.getLimit());
      long offset = offset(s);
      sql.append(" LIMIT ").append(limit + 1);
      if (offset > 0) {
        sql.append(" OFFSET ").append(offset);
      }
      return new SqlPlan(sql.toString(), List.copyOf(bindings), List.copyOf(outputs), List.copyOf(hidden),
          tables.stream().map(t -> t.table().name()).toList(), limit, List.copyOf(keys), java.util.OptionalInt.empty());
    }

    /**
     * A count of a de-identified statement: {@code COUNT(*)} renders {@code 1}, {@code COUNT([DISTINCT] key)} the
     * patient key, for Custos to count.
     */
    private SqlPlan.Output count(SelectItem<?> item, Function f) {
      SqlPlan.Aggregate aggregate = DeidentifiedCounts.aggregate(f, c -> {
        keyAllowed = true;
        Resolved r = resolve(c);
        keyAllowed = false;
        return r.column().getKey().equals(r.scoped().table().patientKey());
      });
      if (DeidentifiedCounts.star(f)) {
        sql.append('1');
      } else {
        keyAllowed = true;
        expression((Expression) f.getParameters().get(0));
        keyAllowed = false;
      }
      String name = item.getAlias() == null ? "count" : item.getAlias().getUnquotedName();
      if (!SqlSettings.NAME.matcher(name).matches() || (item.getAlias() != null && item.getAlias().getAliasColumns() != null)) {
        throw SqlRule.EXPRESSION.refused();
      }
      return new SqlPlan.Output(name.toLowerCase(Locale.ROOT), ColumnClass.OPERATIONAL, Optional.empty(), Optional.empty(),
          aggregate);
    }

    /** The GROUP BY columns, resolved as {@code <alias>.<column>} (each must be a plain catalog column). */
    private List<String> groupColumns(PlainSelect s) {
      List<String> out = new ArrayList<>();
      if (s.getGroupBy() == null) {
        return out;
      }
      if (s.getGroupBy().getGroupingSets() != null && !s.getGroupBy().getGroupingSets().isEmpty()
          || s.getGroupBy().isMysqlWithRollup()) {
        throw SqlRule.COUNTS.refused();
      }
      for (Object e : s.getGroupBy().getGroupByExpressionList()) {
        if (!(e instanceof Column c)) {
          throw SqlRule.COUNTS.refused();
        }
        keyAllowed = true;
        Resolved r = resolve(c);
        keyAllowed = false;
        out.add(r.scoped().alias() + "." + r.column().getKey());
      }
      return out;
    }

    /** The bare select items' columns, resolved as {@code <alias>.<column>}, for {@link DeidentifiedCounts#check}. */
    private String selected(Column c) {
      keyAllowed = true;
      Resolved r = resolve(c);
      keyAllowed = false;
      return r.scoped().alias() + "." + r.column().getKey();
    }

    /** Appends the conditions that leave out rows with withheld codes (see {@link #planDeidentified}). */
    private void withhold(List<Scoped> tables, boolean where) {
      boolean started = where;
      for (Scoped t : tables) {
        for (var c : t.table().columns().entrySet()) {
          if (c.getValue().kind() != ColumnClass.CODE) {
            continue;
          }
          SensitiveValueSets.Withheld w = withheld.of(c.getValue().system());
          if (w.codes().isEmpty() && w.roots().isEmpty()) {
            continue;
          }
          String column = t.alias() + '.' + engine.identifier(c.getKey());
          // Normalised as SensitiveValueSets normalises (strip, then no dots and upper case for ICD-10), which is the same
          // in SQL only on ASCII without control whitespace: other values are left out, so no row the statement keeps is
          // one Custos drops afterwards (counted against the scan cap, it would tell that a withheld code exists).
          String compared = w.normalized() ? "UPPER(REPLACE(TRIM(" + column + "), '.', ''))" : "TRIM(" + column + ")";
          List<String> conditions = new ArrayList<>();
          conditions.add("CHAR_LENGTH(" + column + ") = OCTET_LENGTH(" + column + ")");
          for (char space : JAVA_CONTROL_WHITESPACE.toCharArray()) {
            conditions.add(column + " NOT LIKE ?");
            bindings.add(new SqlPlan.Binding.Literal("%" + space + "%"));
          }
          if (!w.codes().isEmpty()) {
            conditions.add(compared + " NOT IN (" + String.join(", ", java.util.Collections.nCopies(w.codes().size(), "?")) + ")");
            w.codes().forEach(code -> bindings.add(new SqlPlan.Binding.Literal(code)));
          }
          for (String root : w.roots()) {
            conditions.add(compared + " NOT LIKE ?");
            bindings.add(new SqlPlan.Binding.Literal(root + "%"));
          }
          sql.append(started ? " AND " : " WHERE ").append('(').append(column).append(" IS NULL OR (")
              .append(String.join(" AND ", conditions)).append("))");
          started = true;
        }
      }
    }

    /**
     * Checks a de-identified join: {@code ON x.<patient key> = y.<patient key>}, {@code joined} against one of the tables
     * before it. Any other condition (a comma join, a constant, another column) would join each row to patients other
     * than its own and make a group's patients look more than they are.
     *
     * @throws SqlRule.SqlRefused {@link SqlRule#KEY_JOIN}
     */
    private void keyJoin(List<Expression> on, Scoped joined, List<Scoped> before) {
      if (on.size() != 1 || !(on.get(0) instanceof EqualsTo eq) || !(eq.getLeftExpression() instanceof Column l)
          || !(eq.getRightExpression() instanceof Column r)) {
        throw SqlRule.KEY_JOIN.refused();
      }
      keyAllowed = true;
      Resolved a = resolve(l);
      Resolved b = resolve(r);
      keyAllowed = false;
      boolean keys = a.column().getKey().equals(a.scoped().table().patientKey())
          && b.column().getKey().equals(b.scoped().table().patientKey());
      boolean linked = (a.scoped() == joined && before.contains(b.scoped())) || (b.scoped() == joined && before.contains(a.scoped()));
      if (!keys || !linked) {
        throw SqlRule.KEY_JOIN.refused();
      }
    }

    /**
     * The output a de-identified ORDER BY key sorts on: an output's alias, or a column selected bare.
     *
     * @throws SqlRule.SqlRefused {@link SqlRule#ORDER_SELECTED} for a constant, an expression or a column not selected
     */
    private int sortedOutput(OrderByElement o, List<SqlPlan.Output> outputs, List<Optional<String>> selected) {
      if (!(o.getExpression() instanceof Column c)) {
        throw SqlRule.ORDER_SELECTED.refused();
      }
      String alias = c.getTable() == null ? outputAliases.get(c.getUnquotedColumnName().toUpperCase(Locale.ROOT)) : null;
      if (alias != null) {
        return Integer.parseInt(alias.substring(1));
      }
      int i = selected.indexOf(Optional.of(selected(c)));
      if (i < 0 || outputs.get(i).aggregate() != SqlPlan.Aggregate.NONE) {
        throw SqlRule.ORDER_SELECTED.refused();
      }
      return i;
    }

    private boolean plainJoin(Join j) {
      return !j.isSimple() && j.getOnExpressions() != null && !j.getOnExpressions().isEmpty();
    }

    private int limit(Limit l) {
      if (l == null || l.isLimitAll() || l.isLimitNull() || l.getRowCount() == null) {
        if (l != null && l.getOffset() != null) {
          throw SqlRule.LIMIT.refused();
        }
        return limits.limitCap();
      }
      if (!(l.getRowCount() instanceof LongValue n) || l.getOffset() != null || l.getByExpressions() != null) {
        throw SqlRule.LIMIT.refused();
      }
      return (int) Math.max(1, Math.min(n.getValue(), limits.limitCap()));
    }

    private long offset(PlainSelect s) {
      if (s.getOffset() == null) {
        return 0;
      }
      if (!(s.getOffset().getOffset() instanceof LongValue n) || n.getValue() < 0 || n.getValue() > MAX_OFFSET) {
        throw SqlRule.LIMIT.refused();
      }
      return n.getValue();
    }

    private void addTable(FromItem item) {
      if (!(item instanceof Table t)) {
        throw (item instanceof Select ? SqlRule.SUBQUERY : SqlRule.TABLE).refused();
      }
      if (t.getSchemaName() != null || t.getDatabaseName() != null) {
        String schema = t.getSchemaName() != null ? t.getUnquotedSchemaName() : t.getUnquotedDatabaseName();
        throw (schema != null && engine.systemCatalog(schema) ? SqlRule.SYSTEM_CATALOG : SqlRule.TABLE).refused();
      }
      String name = t.getUnquotedName();
      if (name == null || engine.systemCatalog(name)) {
        throw SqlRule.SYSTEM_CATALOG.refused();
      }
      if (t.getPivot() != null || t.getUnPivot() != null || t.getSampleClause() != null || t.getIndexHint() != null
          || t.getSqlServerHints() != null) {
        throw SqlRule.EXPRESSION.refused();
      }
      SqlSettings.Table table = catalog.table(name).filter(x -> SqlSettings.NAME.matcher(name).matches())
          .filter(x -> limits.tables().contains(x.name()))
          .orElseThrow((deidentified.isPresent() ? SqlRule.VIEWS_ONLY : SqlRule.TABLE)::refused);
      String key = (t.getAlias() != null ? t.getAlias().getUnquotedName() : table.name()).toUpperCase(Locale.ROOT);
      if ((t.getAlias() != null && t.getAlias().getAliasColumns() != null) || !SqlSettings.NAME.matcher(key).matches()
          || scope.containsKey(key)) {
        throw SqlRule.JOIN.refused();
      }
      scope.put(key, new Scoped(table, "t" + scope.size()));
    }

    private SqlPlan.Output output(SelectItem<?> item, Expression e, int index) {
      String name;
      if (item.getAlias() != null) {
        name = item.getAlias().getUnquotedName();
        if (!SqlSettings.NAME.matcher(name).matches() || item.getAlias().getAliasColumns() != null) {
          throw SqlRule.EXPRESSION.refused();
        }
      } else {
        name = e instanceof Column c ? resolve(c).column().getKey().toLowerCase(Locale.ROOT) : "expr" + index;
      }
      if (e instanceof Column c) {
        var col = resolve(c).column().getValue();
        return new SqlPlan.Output(name.toLowerCase(Locale.ROOT), col.kind(), Optional.ofNullable(col.system()),
            col.identifierKind(), SqlPlan.Aggregate.NONE);
      }
      // A computed value is treated as free text: fenced, and classified by its terms.
      return new SqlPlan.Output(name.toLowerCase(Locale.ROOT), ColumnClass.TEXT, Optional.empty());
    }

    private record Resolved(Scoped scoped, Map.Entry<String, SqlSettings.Column> column) {}

    private Resolved resolve(Column c) {
      Table qualifier = c.getTable();
      String name = c.getUnquotedColumnName();
      if (name == null || !SqlSettings.NAME.matcher(name).matches()) {
        throw SqlRule.COLUMN.refused();
      }
      List<Resolved> found = new ArrayList<>();
      if (qualifier != null && qualifier.getName() != null) {
        if (qualifier.getSchemaName() != null || qualifier.getDatabaseName() != null) {
          throw SqlRule.COLUMN.refused();
        }
        Scoped t = scope.get(qualifier.getUnquotedName().toUpperCase(Locale.ROOT));
        if (t != null) {
          SqlCatalog.column(t.table(), name).ifPresent(col -> found.add(new Resolved(t, col)));
        }
      } else {
        for (Scoped t : scope.values()) {
          SqlCatalog.column(t.table(), name).ifPresent(col -> found.add(new Resolved(t, col)));
        }
      }
      if (found.size() != 1) {
        throw SqlRule.COLUMN.refused();
      }
      if (deidentified.isPresent()) {
        SqlSettings.Column col = found.get(0).column().getValue();
        // Free text and identifiers Safe Harbor does not release may not even filter (an MRN in WHERE singles one out).
        if (col.kind() == ColumnClass.TEXT
            || (col.kind() == ColumnClass.IDENTIFIER && !col.identifierKind().filter(IdentifierKind::released).isPresent())) {
          throw SqlRule.COLUMN_NOT_PERMITTED.refused();
        }
        if (!keyAllowed && col.identifierKind().filter(k -> k == IdentifierKind.PATIENT_KEY).isPresent()) {
          throw SqlRule.PATIENT_KEY.refused();
        }
      }
      if (!limits.columnAllowed().test(found.get(0).column().getValue().kind())) {
        throw SqlRule.COLUMN_NOT_PERMITTED.refused();
      }
      return found.get(0);
    }

    /** Renders an allowlisted expression; anything else is refused. */
    private void expression(Expression e) {
      switch (e) {
        case Column c -> {
          if ("TRUE".equalsIgnoreCase(c.getColumnName()) && c.getTable() == null) {
            sql.append("TRUE");
          } else if ("FALSE".equalsIgnoreCase(c.getColumnName()) && c.getTable() == null) {
            sql.append("FALSE");
          } else {
            Resolved r = resolve(c);
            String column = r.scoped().alias() + "." + engine.identifier(r.column().getKey());
            Optional<IdentifierKind> kind = r.column().getValue().identifierKind().filter(k -> deidentified.isPresent());
            IdentifierKind.Reduced reduced = kind.map(k -> k.reduced(column, deidentified.get().referenceYear()))
                .orElse(new IdentifierKind.Reduced(column, List.of()));
            sql.append(reduced.sql());
            reduced.values().forEach(v -> bindings.add(new SqlPlan.Binding.Literal(v)));
          }
        }
        case StringValue v -> {
          if (v.getPrefix() != null) {
            throw SqlRule.EXPRESSION.refused();
          }
          bind(v.getNotExcapedValue());
        }
        case LongValue v -> bind(v.getValue());
        case DoubleValue v -> bind(v.getValue());
        case NullValue n -> sql.append("NULL");
        case JdbcNamedParameter p -> {
          if (!limits.parameters().contains(p.getName())) {
            throw SqlRule.PARAMETER.refused();
          }
          sql.append('?');
          bindings.add(new SqlPlan.Binding.Named(p.getName()));
        }
        case JdbcParameter p -> throw SqlRule.PARAMETER.refused();
        case UserVariable v -> throw SqlRule.PARAMETER.refused();
        case AndExpression a -> binary(a.getLeftExpression(), " AND ", a.getRightExpression());
        case OrExpression o -> binary(o.getLeftExpression(), " OR ", o.getRightExpression());
        case NotExpression n -> {
          if (n.isExclamationMark()) {
            throw SqlRule.EXPRESSION.refused();
          }
          sql.append("NOT (");
          expression(n.getExpression());
          sql.append(')');
        }
        case ParenthesedExpressionList<?> p -> {
          if (p.size() != 1) {
            throw SqlRule.EXPRESSION.refused();
          }
          sql.append('(');
          expression(p.get(0));
          sql.append(')');
        }
        case ComparisonOperator op -> comparison(op);
        case LikeExpression l -> {
          if (l.getEscape() != null || l.isUseBinary() || l.getLikeKeyWord() != LikeExpression.KeyWord.LIKE) {
            throw SqlRule.EXPRESSION.refused();
          }
          binary(l.getLeftExpression(), l.isNot() ? " NOT LIKE " : " LIKE ", l.getRightExpression());
        }
        case IsNullExpression n -> {
          if (n.isUseNotNull() || n.isUseIsNull()) {
            throw SqlRule.EXPRESSION.refused();
          }
          sql.append('(');
          expression(n.getLeftExpression());
          sql.append(n.isNot() ? " IS NOT NULL)" : " IS NULL)");
        }
        case Between b -> {
          sql.append('(');
          expression(b.getLeftExpression());
          sql.append(b.isNot() ? " NOT BETWEEN " : " BETWEEN ");
          expression(b.getBetweenExpressionStart());
          sql.append(" AND ");
          expression(b.getBetweenExpressionEnd());
          sql.append(')');
        }
        case InExpression in -> {
          if (in.isGlobal() || !(in.getRightExpression() instanceof ExpressionList<?> values) || values.isEmpty()
              || values.size() > 100 || in.getRightExpression() instanceof Select) {
            throw (in.getRightExpression() instanceof Select ? SqlRule.SUBQUERY : SqlRule.EXPRESSION).refused();
          }
          sql.append('(');
          expression(in.getLeftExpression());
          sql.append(in.isNot() ? " NOT IN (" : " IN (");
          for (int i = 0; i < values.size(); i++) {
            sql.append(i == 0 ? "" : ", ");
            expression(values.get(i));
          }
          sql.append("))");
        }
        case Function f -> function(f);
        case Addition a -> binary(a.getLeftExpression(), " + ", a.getRightExpression());
        case Subtraction a -> binary(a.getLeftExpression(), " - ", a.getRightExpression());
        case SignedExpression v -> {
          if (v.getSign() != '-' && v.getSign() != '+') {
            throw SqlRule.EXPRESSION.refused();
          }
          sql.append(v.getSign()).append('(');
          expression(v.getExpression());
          sql.append(')');
        }
        case CastExpression c -> throw SqlRule.CAST.refused();
        case AnalyticExpression a -> throw SqlRule.AGGREGATE.refused();
        case Select q -> throw SqlRule.SUBQUERY.refused();
        case ExistsExpression q -> throw SqlRule.SUBQUERY.refused();
        default -> throw SqlRule.EXPRESSION.refused();
      }
    }

    private void comparison(ComparisonOperator op) {
      if (op.getOldOracleJoinSyntax() != 0 || op.getOraclePriorPosition() != 0) {
        throw SqlRule.EXPRESSION.refused();
      }
      String symbol = switch (op) {
        case EqualsTo x -> " = ";
        case NotEqualsTo x -> " <> ";
        case GreaterThan x -> " > ";
        case GreaterThanEquals x -> " >= ";
        case MinorThan x -> " < ";
        case MinorThanEquals x -> " <= ";
        default -> throw SqlRule.EXPRESSION.refused();
      };
      if (op.getRightExpression() instanceof Select || op.getLeftExpression() instanceof Select) {
        throw SqlRule.SUBQUERY.refused();
      }
      // Two columns compared for equality (a join on the patient key) reveal no key; a key against a value would.
      keyAllowed = deidentified.isPresent() && op instanceof EqualsTo && op.getLeftExpression() instanceof Column
          && op.getRightExpression() instanceof Column;
      try {
        binary(op.getLeftExpression(), symbol, op.getRightExpression());
      } finally {
        keyAllowed = false;
      }
    }

    private void function(Function f) {
      List<String> parts = f.getMultipartName();
      String name = f.getName() == null ? "" : f.getName().toUpperCase(Locale.ROOT);
      if (AGGREGATES.contains(name) || f.isAllColumns() || f.isDistinct()) {
        throw SqlRule.AGGREGATE.refused();
      }
      if (parts == null || parts.size() != 1 || !FUNCTIONS.contains(name) || f.getKeep() != null || f.getNamedParameters() != null
          || f.getAttribute() != null || f.getOrderByElements() != null || f.getHavingClause() != null || f.getLimit() != null
          || f.getNullHandling() != null || f.isEscaped() || f.getParameters() == null || f.getParameters().isEmpty()
          || f.getParameters().size() > 4) {
        throw SqlRule.FUNCTION.refused();
      }
      sql.append(engine.function(name)).append('(');
      for (int i = 0; i < f.getParameters().size(); i++) {
        sql.append(i == 0 ? "" : ", ");
        expression((Expression) f.getParameters().get(i));
      }
      sql.append(')');
    }

    private void binary(Expression left, String op, Expression right) {
      sql.append('(');
      expression(left);
      sql.append(op);
      expression(right);
      sql.append(')');
    }

    private void bind(Object value) {
      sql.append('?');
      bindings.add(new SqlPlan.Binding.Literal(value));
    }
  }
}
