package io.custos.sql;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;

/** The type of a declared SQL tool's parameter; every value is bound to the statement, never written into it. */
public enum ParameterType {
  /** A string, bounded by {@code maxLength} (at most 200) and optionally limited to {@code values}. */
  STRING,
  /** An integer within {@code minimum..maximum}. */
  INTEGER,
  /** An ISO 8601 calendar date, {@code YYYY-MM-DD}, bound as that string (legacy schemas often store dates as text). */
  DATE;

  @JsonValue
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  @JsonCreator
  public static ParameterType of(String id) {
    return Arrays.stream(values()).filter(c -> c.id().equals(id)).findFirst().orElseThrow(() -> new IllegalArgumentException(
        "sql.tools.parameters.type: must be one of string, integer, date"));
  }
}
