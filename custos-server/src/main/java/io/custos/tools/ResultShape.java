package io.custos.tools;

/** How a tool's projected resources are put into its structuredContent. */
public sealed interface ResultShape {
  /** {@code {patient_id, items:[...], count, next_cursor?}}: a bounded, cursor-paged list. */
  record ListOf() implements ResultShape {}

  /** {@code {patient_id, <key>: {...}}}: exactly one resource. */
  record Single(String key) implements ResultShape {}

  ResultShape LIST = new ListOf();
}
