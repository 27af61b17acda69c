package io.custos.sql;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.custos.phi.deid.SafeHarborKind;
import java.util.Arrays;
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
   * ORDER BY): a date reduced to its year and a ZIP code to its first three digits in the statement itself, so even a
   * view built wrongly (full dates, full ZIP codes) cannot single a patient out by a condition on them.
   * {@code CAST ... AS CHAR} and {@code LEFT} read alike in PostgreSQL and MariaDB.
   *
   * @param column the rendered column, {@code <alias>.<name>}
   */
  String reduced(String column) {
    return switch (this) {
      case DATE, BIRTH_DATE -> "LEFT(CAST(" + column + " AS CHAR(10)), 4)";
      case ZIP -> "LEFT(CAST(" + column + " AS CHAR(10)), 3)";
      default -> column;
    };
  }

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
