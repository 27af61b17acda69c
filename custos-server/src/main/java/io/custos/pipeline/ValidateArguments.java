package io.custos.pipeline;

import io.custos.tools.ToolArguments;
import io.custos.tools.ToolSpec;
import io.modelcontextprotocol.json.schema.JsonSchemaValidator;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Validate arguments (minimum necessary, 45 CFR 164.514(d)), on every route: the declaration's strict JSON Schema;
 * every patterned value (each FHIR id) matched in full, so a trailing newline, NUL, lone surrogate or comma never
 * reaches an upstream; real calendar dates, {@code date_from <= date_to} and a bounded range; a bounded page size.
 * Errors name the argument and the bound, never the value.
 */
final class ValidateArguments implements Stage {
  private final JsonSchemaValidator validator;
  private final Map<String, Pattern> patterns = new java.util.concurrent.ConcurrentHashMap<>();

  ValidateArguments(JsonSchemaValidator validator) {
    this.validator = validator;
  }

  @Override
  public StageName name() {
    return StageName.VALIDATE;
  }

  @Override
  public ToolOutcome intercept(ToolExchange ex, Chain next) {
    var d = ex.declaration;
    Map<String, Object> raw = ex.call.arguments();
    if (ex.patientId != null && !raw.containsKey("patient_id") && properties(d.inputSchema()).containsKey("patient_id")) {
      // A patient-bound token may omit patient_id: Authorize bound the token's patient.
      raw = new LinkedHashMap<>(raw);
      raw.put("patient_id", ex.patientId);
    }
    var response = validator.validate(d.inputSchema(), raw);
    if (!response.valid()) {
      throw ToolCallException.invalid("Arguments do not match the input schema: "
          + SchemaMessages.summarize(response.errorMessage(), d.inputSchema()));
    }
    checkPatterns(d.inputSchema(), raw);
    ToolArguments args = new ToolArguments(raw);
    if (d instanceof ToolSpec spec) {
      checkDates(spec, args);
      int max = spec.maxResults();
      ex.pageSize = Math.min(args.integer("limit", Math.min(20, max)), max);
    }
    ex.arguments = args;
    return next.proceed(ex);
  }

  /** Schema {@code pattern}s match in full (a JSON Schema validator may accept {@code "id\n"} for {@code ^id$}). */
  private void checkPatterns(Map<String, Object> schema, Map<String, Object> args) {
    properties(schema).forEach((name, prop) -> {
      if (!(prop instanceof Map<?, ?> p)) {
        return;
      }
      Object value = args.get(name);
      Object itemSchema = p.get("items");
      List<?> values = value instanceof List<?> l ? l : value == null ? List.of() : List.of(value);
      Object pattern = value instanceof List<?> && itemSchema instanceof Map<?, ?> items ? items.get("pattern") : p.get("pattern");
      if (pattern instanceof String regex) {
        Pattern compiled = patterns.computeIfAbsent(regex, Pattern::compile);
        for (Object v : values) {
          if (!(v instanceof String s) || !compiled.matcher(s).matches()) {
            throw ToolCallException.invalid(name + " does not have the required form.");
          }
        }
      }
    });
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> properties(Map<String, Object> schema) {
    return schema.get("properties") instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
  }

  private static void checkDates(ToolSpec spec, ToolArguments args) {
    LocalDate from = date(args, "date_from");
    LocalDate to = date(args, "date_to");
    if (from != null && to != null) {
      if (from.isAfter(to)) {
        throw ToolCallException.invalid("date_from must not be after date_to.");
      }
      if (spec.maxDateRangeDays() > 0 && ChronoUnit.DAYS.between(from, to) > spec.maxDateRangeDays()) {
        throw ToolCallException.invalid("The date range may span at most " + spec.maxDateRangeDays() + " days.");
      }
    }
  }

  private static LocalDate date(ToolArguments args, String name) {
    return args.string(name).map(v -> {
      try {
        return LocalDate.parse(v);
      } catch (DateTimeParseException e) {
        throw ToolCallException.invalid(name + " is not a valid calendar date (YYYY-MM-DD).");
      }
    }).orElse(null);
  }
}
