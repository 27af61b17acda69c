package io.custos.pipeline;

import io.custos.tools.ToolArguments;
import io.modelcontextprotocol.json.schema.JsonSchemaValidator;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Stage 4, validate arguments (minimum necessary, 45 CFR 164.514(d)): the tool's strict JSON Schema, real
 * calendar dates, {@code date_from <= date_to}, a bounded date range, a bounded page size. Errors name the
 * argument and the bound, never echo the value.
 */
final class ValidateArguments implements Stage {
  private final JsonSchemaValidator validator;

  ValidateArguments(JsonSchemaValidator validator) {
    this.validator = validator;
  }

  @Override
  public void apply(ToolExchange ex) {
    var spec = ex.spec;
    Map<String, Object> raw = ex.call.arguments();
    if (spec.patientScoped() && ex.patientId != null && !raw.containsKey("patient_id")) {
      // A patient-bound token (patient/ scopes) may omit patient_id: Authorize bound the token's patient.
      raw = new LinkedHashMap<>(raw);
      raw.put("patient_id", ex.patientId);
    }
    var response = validator.validate(spec.inputSchema(), raw);
    if (!response.valid()) {
      throw invalid("Arguments do not match the tool's input schema: "
          + SchemaMessages.summarize(response.errorMessage(), spec.inputSchema()));
    }
    ToolArguments args = new ToolArguments(raw);
    if (spec.patientScoped() && ex.patientId == null) {
      throw invalid("patient_id is required.");
    }
    LocalDate from = date(args, "date_from");
    LocalDate to = date(args, "date_to");
    if (from != null && to != null) {
      if (from.isAfter(to)) {
        throw invalid("date_from must not be after date_to.");
      }
      if (spec.maxDateRangeDays() > 0 && ChronoUnit.DAYS.between(from, to) > spec.maxDateRangeDays()) {
        throw invalid("The date range may span at most " + spec.maxDateRangeDays() + " days.");
      }
    }
    int max = spec.maxResults();
    ex.pageSize = Math.min(args.integer("limit", Math.min(20, max)), max);
    ex.arguments = args;
  }

  private static LocalDate date(ToolArguments args, String name) {
    return args.string(name).map(v -> {
      try {
        return LocalDate.parse(v);
      } catch (DateTimeParseException e) {
        throw invalid(name + " is not a valid calendar date (YYYY-MM-DD).");
      }
    }).orElse(null);
  }

  private static ToolCallException invalid(String message) {
    return new ToolCallException(ToolCallException.Reason.INVALID_ARGUMENTS, message);
  }
}
