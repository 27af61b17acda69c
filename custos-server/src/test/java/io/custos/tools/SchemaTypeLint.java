package io.custos.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The schema-portability rules of the MCP Inspector's {@code --strict} check that tool declarations must pass: every
 * subschema (properties, items, anyOf/oneOf/allOf branches, ...) says what its value is with one {@code type}
 * (a string, not a type array), or is an {@code anyOf}/{@code oneOf}/{@code allOf} whose branches do (a branch
 * of an object schema may instead only list {@code required} properties); no bare boolean schemas.
 */
public final class SchemaTypeLint {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final List<String> MAP_KEYWORDS = List.of("properties", "patternProperties", "$defs", "definitions",
      "dependentSchemas");
  private static final List<String> ARRAY_KEYWORDS = List.of("anyOf", "oneOf", "allOf", "prefixItems");
  private static final List<String> SINGLE_KEYWORDS = List.of("items", "additionalProperties", "unevaluatedProperties",
      "contains", "propertyNames", "not", "if", "then", "else");

  /** What a combinator branch may constrain instead of the type (e.g. {@code anyOf: [{required: [...]}, ...]}). */
  private static final List<String> BRANCH_CONSTRAINTS = List.of("required", "enum", "const", "properties");

  private SchemaTypeLint() {}

  /** Paths (e.g. {@code properties.items.items.properties.code}) of subschemas that break the rules; empty when none. */
  public static List<String> findings(Map<String, Object> schema) {
    return findings((JsonNode) MAPPER.valueToTree(schema));
  }

  public static List<String> findings(JsonNode schema) {
    List<String> out = new ArrayList<>();
    walk(schema, "", null, out);
    return out;
  }

  private static void walk(JsonNode node, String path, String keyword, List<String> out) {
    if (node.isBoolean()) {
      if (!"additionalProperties".equals(keyword) && !"unevaluatedProperties".equals(keyword)) {
        out.add(path + ": boolean schema");
      }
      return;
    }
    if (!node.isObject()) {
      out.add(path + ": not a schema");
      return;
    }
    JsonNode type = node.get("type");
    if (type != null && !type.isTextual()) {
      out.add(path + ": type is not a single string");
    } else if (type == null && ARRAY_KEYWORDS.stream().noneMatch(node::has) && !"not".equals(keyword)
        && !(isBranch(keyword) && BRANCH_CONSTRAINTS.stream().anyMatch(node::has))) {
      out.add(path + ": no type");
    }
    for (String k : MAP_KEYWORDS) {
      node.path(k).properties().forEach(e -> walk(e.getValue(), join(path, k + "." + e.getKey()), k, out));
    }
    for (String k : ARRAY_KEYWORDS) {
      JsonNode arr = node.path(k);
      for (int i = 0; i < arr.size(); i++) {
        walk(arr.get(i), join(path, k + "[" + i + "]"), k, out);
      }
    }
    for (String k : SINGLE_KEYWORDS) {
      if (node.has(k)) {
        walk(node.get(k), join(path, k), k, out);
      }
    }
  }

  private static boolean isBranch(String keyword) {
    return "anyOf".equals(keyword) || "oneOf".equals(keyword) || "allOf".equals(keyword);
  }

  private static String join(String parent, String child) {
    return parent.isEmpty() ? child : parent + "." + child;
  }
}
