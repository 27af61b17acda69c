package io.custos.sql;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.custos.phi.deid.DeIdentifier;
import io.custos.phi.deid.SafeHarborKind;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Which HIPAA Safe Harbor identifier (45 CFR 164.514(b)(2)(i)) an {@link ColumnClass#IDENTIFIER} column holds, and so
 * what a de-identified answer may keep of it: a patient key becomes the research pseudonym, a date its year, a birth
 * date its year unless the patient is over 89, an age is capped at 90, a ZIP code its first three digits (000 for the
 * sparsely populated prefixes); every other kind is left out.
 */
public enum IdentifierKind {
  /** The key that ties a row to a patient; released only as the research pseudonym. */
  PATIENT_KEY(SafeHarborKind.R),
  /** A person's name (A). */
  NAME(SafeHarborKind.A),
  /** Street, city or county (B). */
  ADDRESS(SafeHarborKind.B),
  /** A ZIP code (B): released as its first three digits under the 3-digit ZIP rule. */
  ZIP(SafeHarborKind.B),
  /** A date tied to the person (C): released as its year. */
  DATE(SafeHarborKind.C),
  /** A birth date or birth year (C): released as its year, none for patients over 89. */
  BIRTH_DATE(SafeHarborKind.C),
  /** An age in years (C): over 89 released as {@code 90+}. */
  AGE(SafeHarborKind.C),
  /** A telephone or fax number (D, E). */
  PHONE(SafeHarborKind.D),
  /** An e-mail address (F). */
  EMAIL(SafeHarborKind.F),
  /** A social security number (G). */
  SSN(SafeHarborKind.G),
  /** A medical record number (H). */
  MRN(SafeHarborKind.H),
  /** Any other identifying number, characteristic or code (I-R). */
  OTHER(SafeHarborKind.R);

  private final SafeHarborKind safeHarbor;

  IdentifierKind(SafeHarborKind safeHarbor) {
    this.safeHarbor = safeHarbor;
  }

  /** The Safe Harbor identifier kind it is. */
  public SafeHarborKind safeHarbor() {
    return safeHarbor;
  }

  /** Whether a de-identified answer releases anything of it (reduced as Safe Harbor allows); the others are left out. */
  public boolean released() {
    return switch (this) {
      case PATIENT_KEY, DATE, BIRTH_DATE, AGE, ZIP -> true;
      default -> false;
    };
  }

  /**
   * A view's column of this kind as a de-identified statement reads it, wherever it is named (select list, WHERE, ON,
   * ORDER BY): exactly what the answer releases of it, so even a view built wrongly (full dates, full ZIP codes, exact
   * ages) cannot single a patient out by a condition on them. A date reads as its year; a birth date as its year, NULL
   * when that year is {@code referenceYear - 90} or earlier; an age over 89 as 90; a ZIP code as its first three digits,
   * {@code 000} for a restricted prefix ({@link DeIdentifier#RESTRICTED_ZIP3}); any other kind as it is. The year is
   * the first four characters of the value as text ({@code CAST ... AS CHAR}, {@code LEFT} and {@code CASE} read alike
   * in PostgreSQL, whose session pins {@code DateStyle} to ISO, and MariaDB).
   *
   * @param column        the rendered column, {@code <alias>.<name>}
   * @param referenceYear the year ages are counted to
   */
  Reduced reduced(String column, int referenceYear) {
    String text = "CAST(" + column + " AS CHAR(10))";
    String year = "LEFT(" + text + ", 4)";
    String zip3 = "LEFT(" + text + ", 3)";
    String age = "CAST(" + column + " AS DECIMAL(5, 0))";
    List<String> restricted = DeIdentifier.RESTRICTED_ZIP3.stream().sorted().toList();
    return switch (this) {
      case DATE -> new Reduced(year, List.of());
      // Four-digit years compare as text as they do as numbers, and text reads alike in both engines.
      case BIRTH_DATE -> new Reduced("CASE WHEN " + year + " > ? THEN " + year + " END",
          List.of(String.format(Locale.ROOT, "%04d", referenceYear - 90)));
      case AGE -> new Reduced("CASE WHEN " + age + " > 89 THEN 90 ELSE " + age + " END", List.of());
      case ZIP -> new Reduced("CASE WHEN " + zip3 + " IN (" + String.join(", ", restricted.stream().map(z -> "?").toList())
          + ") THEN '000' ELSE " + zip3 + " END", List.copyOf(restricted));
      default -> new Reduced(column, List.of());
    };
  }

  /**
   * A column as a de-identified statement reads it.
   *
   * @param sql    the expression, with one {@code ?} per value
   * @param values the values bound to its {@code ?}, in order
   */
  record Reduced(String sql, List<Object> values) {}

  /** The configuration spelling, e.g. {@code birth-date}. */
  @JsonValue
  public String id() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  @JsonCreator
  public static IdentifierKind of(String id) {
    return Arrays.stream(values()).filter(k -> k.id().equals(id)).findFirst().orElseThrow(() -> new IllegalArgumentException(
        "sql.columns.identifier: must be one of patient-key, name, address, zip, date, birth-date, age, phone, email, ssn, "
            + "mrn, other"));
  }
}
