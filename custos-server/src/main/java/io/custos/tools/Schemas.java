package io.custos.tools;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Small builders for the JSON Schemas (draft 2020-12 subset) used in tool declarations. */
public final class Schemas {
  /** FHIR id datatype (R4 2.24.0.1): {@code [A-Za-z0-9\-\.]{1,64}}. */
  static final String FHIR_ID = "^[A-Za-z0-9\\-.]{1,64}$";
  static final String DATE = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$";

  private Schemas() {}

  /** A strict object schema: listed properties only ({@code additionalProperties: false}). */
  public static Map<String, Object> object(Map<String, Object> properties, List<String> required) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("type", "object");
    s.put("properties", properties);
    if (!required.isEmpty()) {
      s.put("required", required);
    }
    s.put("additionalProperties", false);
    return s;
  }

  public static Map<String, Object> string(String description, String pattern, int maxLength) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("type", "string");
    s.put("description", description);
    if (pattern != null) {
      s.put("pattern", pattern);
    }
    s.put("maxLength", maxLength);
    return s;
  }

  static Map<String, Object> enumOf(String description, List<String> values) {
    return Map.of("type", "string", "description", description, "enum", values);
  }

  static Map<String, Object> integer(String description, int min, int max) {
    return Map.of("type", "integer", "description", description, "minimum", min, "maximum", max);
  }

  public static Map<String, Object> patientId() {
    return string("FHIR logical id of the Patient. Required, except with a patient-bound token (SMART patient/ scopes), whose patient is used; any other value is refused.", FHIR_ID, 64);
  }

  static Map<String, Object> date(String description) {
    return string(description + " (YYYY-MM-DD, inclusive)", DATE, 10);
  }

  static Map<String, Object> limit(int max) {
    return integer("Items per page (default " + Math.min(20, max) + ", at most " + max + ")", 1, max);
  }

  static Map<String, Object> cursor() {
    return string("Opaque next_cursor from a previous page of the same tool and patient", "^[A-Za-z0-9_-]{1,64}$", 64);
  }

  /** Output schema of list tools. */
  static Map<String, Object> listOutput(Map<String, Object> itemProperties) {
    Map<String, Object> props = new LinkedHashMap<>();
    props.put("patient_id", Map.of("type", "string"));
    props.put("items", Map.of("type", "array", "items", Map.of("type", "object", "properties", itemProperties)));
    props.put("count", Map.of("type", "integer"));
    props.put("next_cursor", Map.of("type", "string"));
    // Issue 5: records withheld for sensitive categories are counted here, never silently dropped.
    props.put("withheld", Map.of("type", "object", "properties", Map.of("count", Map.of("type", "integer"),
        "categories", Map.of("type", "array", "items", Map.of("type", "string")), "reason", Map.of("type", "string"))));
    return Map.of("type", "object", "properties", props, "required", List.of("items", "count"));
  }

  /** Output schema of single-resource tools. */
  static Map<String, Object> singleOutput(String key, Map<String, Object> properties) {
    Map<String, Object> props = new LinkedHashMap<>();
    props.put("patient_id", Map.of("type", "string"));
    props.put(key, Map.of("type", "object", "properties", properties));
    return Map.of("type", "object", "properties", props, "required", List.of(key));
  }

  /** Property-name to schema map with every listed name typed loosely (documentation of item fields). */
  static Map<String, Object> fields(String... names) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (String n : names) {
      m.put(n, Map.of());
    }
    return m;
  }

  static List<String> list(String... values) {
    return new ArrayList<>(List.of(values));
  }
}
