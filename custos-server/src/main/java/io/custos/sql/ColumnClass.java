package io.custos.sql;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;

/**
 * How a legacy column is classified, which decides what a caller receives from it: identifiers (the HIPAA Safe Harbor
 * kinds of 45 CFR 164.514(b)(2)) only reach treating roles, codes put rows in sensitive categories, free text is fenced
 * as untrusted text.
 */
public enum ColumnClass {
  /** One of the Safe Harbor identifiers (MRN, name, dates tied to a person, address...): treating roles only. */
  IDENTIFIER,
  /** A clinical code (SNOMED CT, RxNorm, LOINC, ICD-10-CM) in a declared code system: classified for sensitive categories. */
  CODE,
  /** A clinical value that is not a code (a code's display, a result value, a unit): returned as a label. */
  CLINICAL,
  /** Free text written by people: returned as {@code {"untrusted_text": ...}} and classified by its terms. */
  TEXT,
  /** Operational data (status, encounter class): returned as a label. */
  OPERATIONAL;

  /** The configuration spelling, e.g. {@code identifier}. */
  @JsonValue
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  @JsonCreator
  public static ColumnClass of(String id) {
    return Arrays.stream(values()).filter(c -> c.id().equals(id)).findFirst().orElseThrow(() -> new IllegalArgumentException(
        "sql.tables.columns.kind: must be one of identifier, code, clinical, text, operational"));
  }
}
