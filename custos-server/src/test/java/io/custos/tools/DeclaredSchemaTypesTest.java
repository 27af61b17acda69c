package io.custos.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.custos.writes.WriteTools;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every declared tool's schemas say what each value is (the MCP Inspector's {@code --strict} portability check):
 * read, researcher and write tools. The served-only declarations (break_the_glass, get_prior_authorization_status)
 * are checked over tools/list in {@code ServedToolSchemasTest}.
 */
class DeclaredSchemaTypesTest {

  static Stream<Arguments> declaredTools() {
    Stream<Arguments> read = ToolCatalog.readTools().tools().stream()
        .map(t -> Arguments.of(t.name(), t.inputSchema(), t.outputSchema()));
    Stream<Arguments> research = ResearchTools.all().stream()
        .map(t -> Arguments.of(t.name(), t.inputSchema(), t.outputSchema()));
    Stream<Arguments> write = WriteTools.standard().tools().stream()
        .map(t -> Arguments.of(t.name(), t.inputSchema(), t.outputSchema()));
    return Stream.of(read, research, write).flatMap(s -> s);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("declaredTools")
  void everyPropertyHasAType(String tool, Map<String, Object> input, Map<String, Object> output) {
    assertThat(SchemaTypeLint.findings(output)).as("%s outputSchema", tool).isEmpty();
    assertThat(SchemaTypeLint.findings(input)).as("%s inputSchema", tool).isEmpty();
  }

  @Test
  void declaresTwentyTools() {
    assertThat(declaredTools()).hasSize(21); // 14 read + 2 researcher + 5 write
  }

  @Test
  void theLintFindsUntypedNestedAndUnionTypedProperties() {
    Map<String, Object> item = new LinkedHashMap<>();
    item.put("id", Map.of("type", "string"));
    item.put("code", Map.of()); // untyped
    item.put("count", Map.of("type", List.of("integer", "null"))); // type union
    Map<String, Object> schema = Map.of("type", "object", "properties", Map.of(
        "items", Map.of("type", "array", "items", Map.of("type", "object", "properties", item)),
        "value", Map.of("anyOf", List.of(Map.of("type", "string"), Map.of("description", "untyped branch")))));

    assertThat(SchemaTypeLint.findings(schema)).containsExactlyInAnyOrder(
        "properties.items.items.properties.code: no type",
        "properties.items.items.properties.count: type is not a single string",
        "properties.value.anyOf[1]: no type");
  }

  @Test
  void fieldsTakesNameSchemaPairsOnly() {
    assertThat(Schemas.fields("id", Schemas.text("An id"))).containsOnlyKeys("id");
    assertThatThrownBy(() -> Schemas.fields("id", "name")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Schemas.fields("id", Schemas.text("An id"), "name")).isInstanceOf(IllegalArgumentException.class);
    assertThat(SchemaTypeLint.findings(Map.of("type", "object", "properties", Map.of("id", "name"))))
        .containsExactly("properties.id: not a schema");
  }

  @Test
  void nullableIsWrittenAsAnAnyOfOfSingleTypes() {
    Map<String, Object> s = Schemas.nullable(Schemas.text("A value or null"));
    assertThat(SchemaTypeLint.findings(s)).isEmpty();
    assertThat(s).doesNotContainKey("type");
  }
}
