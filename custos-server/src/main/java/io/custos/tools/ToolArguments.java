package io.custos.tools;

import java.util.Map;
import java.util.Optional;

/**
 * Tool arguments after JSON Schema validation: typed, read-only access. Values arrive as JSON types
 * (String, Number, Boolean) from the MCP request.
 */
public record ToolArguments(Map<String, Object> values) {

  public ToolArguments {
    values = values == null ? Map.of() : Map.copyOf(values);
  }

  /** The string value of {@code name}, if present and a string. */
  public Optional<String> string(String name) {
    return values.get(name) instanceof String s ? Optional.of(s) : Optional.empty();
  }

  /** The integer value of {@code name}, or {@code fallback} when absent. */
  public int integer(String name, int fallback) {
    return values.get(name) instanceof Number n ? n.intValue() : fallback;
  }

  /** The string value of a required argument. @throws IllegalStateException if absent (schema should have caught it) */
  public String required(String name) {
    return string(name).orElseThrow(() -> new IllegalStateException("missing required argument " + name));
  }
}
