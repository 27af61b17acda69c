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
 * @param limit    rows at most in the answer (the statement fetches one more to tell that more exist)
 */
record SqlPlan(String sql, List<Binding> bindings, List<Output> outputs, List<Output> hidden, List<String> tables, int limit) {

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
   */
  record Output(String name, ColumnClass kind, Optional<String> system) {}

  /** Names of the tables read, joined for the audit trail (e.g. {@code DX+RX}). */
  String tableList() {
    return String.join("+", tables);
  }
}
