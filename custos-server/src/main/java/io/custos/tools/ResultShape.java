package io.custos.tools;

/** How a tool's projected resources are put into its structuredContent. */
public sealed interface ResultShape {
  /**
   * {@code {patient_id?, items:[...], count, next_cursor?}}: a bounded list.
   *
   * @param paged whether further pages are offered with {@code next_cursor}; an unpaged list instead says with
   *              {@code truncated: true} that more records matched than it lists
   */
  record ListOf(boolean paged) implements ResultShape {}

  /** {@code {patient_id, <key>: {...}}}: exactly one resource. */
  record Single(String key) implements ResultShape {}

  /** A cursor-paged list. */
  ResultShape LIST = new ListOf(true);

  /** A list of at most the tool's maximum results, with no further pages (search matches). */
  ResultShape MATCHES = new ListOf(false);
}
