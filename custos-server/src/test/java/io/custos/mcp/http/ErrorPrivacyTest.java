package io.custos.mcp.http;

import static io.custos.mcp.http.HttpTestSupport.client;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Error responses carry a short, fixed reason and never echo a patient identifier (or any other request content). */
class ErrorPrivacyTest extends RunningServerTestBase {
  static List<String> fixturePatients;

  @BeforeAll
  static void loadFixturePatients() throws Exception {
    fixturePatients = HttpTestSupport.fixturePatientIds();
    assertThat(fixturePatients).hasSize(5);
  }

  /** Calls a tool and checks the raw HTTP body (not just the parsed result) for identifiers and internals. */
  private static JsonNode toolError(String tool, String argumentsJson, String... mustNotContain) throws Exception {
    HttpResponse<String> r = session.rawCall(4242, "tools/call", "{\"name\":\"" + tool + "\",\"arguments\":" + argumentsJson + "}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    HttpTestSupport.assertNoInternals(r.body());
    assertThat(r.body()).doesNotContain(fixturePatients).doesNotContain(mustNotContain);
    JsonNode result = HttpTestSupport.response(r, 4242).path("result");
    assertThat(result.path("isError").asBoolean()).as("%s", result).isTrue();
    assertThat(result.has("structuredContent")).isFalse();
    return result;
  }

  private static String text(JsonNode result) {
    assertThat(result.path("content")).hasSize(1);
    String text = result.path("content").get(0).path("text").asText();
    assertThat(text).isNotBlank().hasSizeLessThan(300);
    return text;
  }

  @Test
  void unknownPatientIsNotFoundWithoutEchoingTheId() throws Exception {
    String unknown = UUID.randomUUID().toString();
    JsonNode result = toolError("get_active_conditions", "{\"patient_id\":\"" + unknown + "\"}", unknown);
    assertThat(text(result)).isEqualTo("Error [not_found]: The patient was not found.");
  }

  @Test
  void unknownPatientIsNotFoundForEveryPatientScopedListTool() throws Exception {
    String unknown = UUID.randomUUID().toString();
    for (String tool : List.of("get_medications", "get_allergies", "get_immunizations", "get_lab_results", "get_vital_signs")) {
      assertThat(text(toolError(tool, "{\"patient_id\":\"" + unknown + "\"}", unknown))).as(tool).isEqualTo("Error [not_found]: The patient was not found.");
    }
  }

  @Test
  void unexpectedArgumentErrorDoesNotEchoFixturePatientId() throws Exception {
    String patient = fixturePatients.get(0);
    JsonNode result = toolError("get_active_conditions", "{\"patient_id\":\"" + patient + "\",\"secret_extra\":\"zzz-canary\"}",
        "zzz-canary");
    assertThat(text(result)).startsWith("Error [invalid_arguments]:");
  }

  @Test
  void malformedPatientIdErrorDoesNotEchoIt() throws Exception {
    String bad = "not a fhir id! " + fixturePatients.get(1) + " <script>";
    JsonNode result = toolError("get_active_conditions", "{\"patient_id\":\"" + bad + "\"}", "<script>", "not a fhir id");
    assertThat(text(result)).containsIgnoringCase("patient_id");
  }

  @Test
  void unknownToolErrorDoesNotEchoArguments() throws Exception {
    HttpResponse<String> r = session.rawCall(4343, "tools/call",
        "{\"name\":\"no_such_tool\",\"arguments\":{\"patient_id\":\"" + fixturePatients.get(2) + "\"}}");
    HttpTestSupport.assertNoInternals(r.body());
    assertThat(r.body()).doesNotContain(fixturePatients);
  }

  @Test
  void transportErrorsDoNotEchoRequestContent() throws Exception {
    String patient = fixturePatients.get(3);
    String body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"get_active_conditions\","
        + "\"arguments\":{\"patient_id\":\"" + patient + "\"}}";  // missing closing brace: malformed
    HttpResponse<String> malformed = HttpTestSupport.send(client, session.request(body).build());
    HttpTestSupport.assertJsonRpcError(malformed, 400);
    assertThat(malformed.body()).doesNotContain(patient);

    HttpResponse<String> noSession = HttpTestSupport.send(client, HttpTestSupport.post(server.endpoint(), body + "}").build());
    HttpTestSupport.assertJsonRpcError(noSession, 400);
    assertThat(noSession.body()).doesNotContain(patient);

    HttpResponse<String> unknownSession = HttpTestSupport.send(client, HttpTestSupport.post(server.endpoint(), body + "}")
        .header("Mcp-Session-Id", patient).build());
    HttpTestSupport.assertJsonRpcError(unknownSession, 404);
    assertThat(unknownSession.body()).doesNotContain(patient);
  }
}
