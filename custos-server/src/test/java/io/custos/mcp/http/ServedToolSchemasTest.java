package io.custos.mcp.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.custos.tools.SchemaTypeLint;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The schemas tools/list serves say what each value is (the MCP Inspector's {@code --strict} portability rules),
 * including the declarations made only at registration: break_the_glass and get_prior_authorization_status.
 */
class ServedToolSchemasTest extends RunningServerTestBase {

  @Test
  void everyServedToolSchemaPropertyHasAType() throws Exception {
    JsonNode tools = session.call("tools/list", "{}").path("result").path("tools");
    List<String> names = new ArrayList<>();
    List<String> findings = new ArrayList<>();
    for (JsonNode tool : tools) {
      String name = tool.path("name").asText();
      names.add(name);
      SchemaTypeLint.findings(tool.path("outputSchema")).forEach(f -> findings.add(name + " outputSchema " + f));
      SchemaTypeLint.findings(tool.path("inputSchema")).forEach(f -> findings.add(name + " inputSchema " + f));
      assertThat(tool.path("outputSchema").path("properties").isObject()).as("%s has an outputSchema", name).isTrue();
    }
    assertThat(names).contains("break_the_glass", "get_prior_authorization_status", "find_patient");
    assertThat(findings).isEmpty();
  }
}
