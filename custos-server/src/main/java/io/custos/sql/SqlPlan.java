package io.custos.sql;

import java.util.List;
import java.util.Optional;

/**
 * A validated statement as Custos runs it: SQL text rendered by Custos from the parsed statement (only allowlisted
 * parts, ASCII catalog names written as the {@link SqlEngine} writes identifiers, every value a {@code ?}), what to
 * bind to each {@code ?}, and the classification of each output column. Every table it reads is confined to the bound
 * patient's compartment.
 *
 * @param sql      the text to prepare
 * @param bindings one per {@code ?}, in order
 * @param outputs  the columns the caller sees, in order ({@code c0, c1...} in the result set)
 * @param hidden   code columns of every table read, fetched ({@code h0, h1...}) only to classify each row
 * @param tables   the tables read, in order
 * @param limit    rows at most in the answer (the statement fetches one more to tell that more exist); for a grouped
 *                 plan, rows at most read to count
 * @param keys     a de-identified plan's patient key of every table read, fetched ({@code k0, k1...}) only to
 *                 pseudonymize, to count patients and to apply each patient's research Consent; empty otherwise
 * @param grouping a de-identified plan with counts: the groups at most in the answer ({@code outputs} that are not
 *                 {@link Aggregate#NONE} are counted by Custos over the rows read, grouped by the others); empty otherwise
 * @param release  a de-identified plan of rows: the rows at most in the answer and the order Custos sorts the released
 *                 rows in ({@code limit} is then the rows at most read); empty otherwise
 */
record SqlPlan(String sql, List<Binding> bindings, List<Output> outputs, List<Output> hidden, List<String> tables, int limit,
    List<Output> keys, java.util.OptionalInt grouping, Optional<RowRelease> release) {

  /** A plan without a de-identified row release. */
  SqlPlan(String sql, List<Binding> bindings, List<Output> outputs, List<Output> hidden, List<String> tables, int limit,
      List<Output> keys, java.util.OptionalInt grouping) {
    this(sql, bindings, outputs, hidden, tables, limit, keys, grouping, Optional.empty());
  }

  /**
   * How Custos releases a de-identified plan's rows: sorted by {@code order}, then by the whole released row, and cut to
   * {@code maxRows}, so the database's storage order never chooses or orders them.
   *
   * @param maxRows rows at most in the answer (the statement's LIMIT, capped)
   * @param order   the ORDER BY keys, each a selected output
   */
  record RowRelease(int maxRows, List<SortKey> order) {}

  /**
   * One ORDER BY key.
   *
   * @param output     the index of the output sorted on (its released value)
   * @param ascending  ASC or DESC
   * @param nullsFirst where absent values go (SQL's default: last ascending, first descending)
   */
  record SortKey(int output, boolean ascending, boolean nullsFirst) {}

  /** A plan confined to one patient's compartment. */
  SqlPlan(String sql, List<Binding> bindings, List<Output> outputs, List<Output> hidden, List<String> tables, int limit) {
    this(sql, bindings, outputs, hidden, tables, limit, List.of(), java.util.OptionalInt.empty(), Optional.empty());
  }

  /** A value bound to one {@code ?}. */
  sealed interface Binding {
    /** The bound patient's legacy key (the compartment filter). */
    record Patient() implements Binding {}

    /** A literal written in the statement (always bound, never rendered). */
    record Literal(Object value) implements Binding {}

    /** A declared tool's parameter, {@code :name}. */
    record Named(String name) implements Binding {}
  }

  /**
   * One column of the result set.
   *
   * @param name   the name the caller sees (or the hidden column's name)
   * @param kind   its classification; an expression over columns is {@link ColumnClass#TEXT} (fenced and classified)
   * @param system the code system of a {@link ColumnClass#CODE} column
   * @param identifier the Safe Harbor identifier kind of an {@link ColumnClass#IDENTIFIER} column, when declared
   * @param aggregate  whether Custos counts it (de-identified plans only)
   */
  record Output(String name, ColumnClass kind, Optional<String> system, Optional<IdentifierKind> identifier, Aggregate aggregate) {
    /** A plain column or expression. */
    Output(String name, ColumnClass kind, Optional<String> system) {
      this(name, kind, system, Optional.empty(), Aggregate.NONE);
    }
  }

  /** A count a de-identified plan asks for, computed by Custos so sensitive rows and small cells are left out first. */
  enum Aggregate {
    /** Not a count. */
    NONE,
    /** {@code COUNT(*)}, or {@code COUNT(key)}: the rows (with a patient key) in the group. */
    ROWS,
    /** {@code COUNT(DISTINCT key)}: the patients in the group. */
    DISTINCT
  }

  /**
   * Whether the statement orders its rows. Exact on the text: Custos renders it, names are ASCII identifiers and every
   * value is bound, so {@code ORDER BY} appears only as the clause.
   */
  boolean ordered() {
    return sql.contains(" ORDER BY ");
  }

  /** Whether the statement asks for distinct rows (exact on the text, as {@link #ordered()}). */
  boolean distinct() {
    return sql.startsWith("SELECT DISTINCT ");
  }

  /** Names of the tables read, joined for the audit trail (e.g. {@code DX+RX}). */
  String tableList() {
    return String.join("+", tables);
  }
}
