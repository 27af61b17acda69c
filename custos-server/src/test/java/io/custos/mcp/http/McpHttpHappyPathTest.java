package io.custos.mcp.http;

import static io.custos.mcp.http.HttpTestSupport.client;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** initialize, notifications/initialized, tools/list and tools/call over raw Streamable HTTP (JSON or SSE responses). */
class McpHttpHappyPathTest extends RunningServerTestBase {

  @Test
  void initializeNegotiatesProtocolAndReturnsSessionId() {
    assertThat(session.id).isNotBlank();
    assertThat(session.protocolVersion).isEqualTo("2025-11-25");
  }

  @Test
  void toolsListReturnsTheReadToolsAndBreakTheGlassWithClosedInputSchemas() throws Exception {
    JsonNode result = session.call("tools/list", "{}").path("result");
    JsonNode tools = result.path("tools");
    assertThat(tools.size()).isEqualTo(16); // 14 read tools + break_the_glass + get_prior_authorization_status (write tools need write scopes)
    List<String> names = new ArrayList<>();
    for (JsonNode tool : tools) {
      names.add(tool.path("name").asText());
      assertThat(tool.path("inputSchema").path("type").asText()).as(tool.path("name").asText()).isEqualTo("object");
      assertThat(tool.path("inputSchema").path("additionalProperties").isBoolean())
          .as("%s inputSchema.additionalProperties", tool.path("name").asText()).isTrue();
      assertThat(tool.path("inputSchema").path("additionalProperties").asBoolean()).as(tool.path("name").asText()).isFalse();
      boolean read = !tool.path("name").asText().equals("break_the_glass");
      assertThat(tool.path("annotations").path("readOnlyHint").asBoolean()).as(tool.path("name").asText()).isEqualTo(read);
    }
    assertThat(names).doesNotHaveDuplicates().contains("get_active_conditions", "find_patient");
  }

  @Test
  void getActiveConditionsReturnsStructuredItemsForFixturePatient() throws Exception {
    // Find a fixture patient with at least one active condition; Synthea populations nearly always have one.
    JsonNode found = null;
    for (String patient : HttpTestSupport.fixturePatientIds()) {
      JsonNode result = session.callTool("get_active_conditions", "{\"patient_id\":\"" + patient + "\"}").path("result");
      assertThat(result.path("isError").asBoolean()).as("%s", result).isFalse();
      JsonNode structured = result.path("structuredContent");
      assertThat(structured.path("patient_id").asText()).isEqualTo(patient);
      assertThat(structured.path("items").isArray()).isTrue();
      assertThat(structured.path("count").asInt()).isEqualTo(structured.path("items").size());
      if (!structured.path("items").isEmpty()) {
        found = structured;
        break;
      }
    }
    assertThat(found).as("a fixture patient with active conditions").isNotNull();
    JsonNode first = found.path("items").get(0);
    assertThat(first.path("id").asText()).isNotBlank();
    assertThat(first.path("clinicalStatus").asText()).isEqualTo("active");
    assertThat(first.path("code").toString()).contains("snomed");
  }

  @Test
  void toolResultsDoNotLeakInternals() throws Exception {
    String patient = HttpTestSupport.fixturePatientIds().get(0);
    JsonNode result = session.callTool("get_active_conditions", "{\"patient_id\":\"" + patient + "\"}").path("result");
    HttpTestSupport.assertNoInternals(result.toString());
  }
}
