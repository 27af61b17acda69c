package io.custos.mcp.http;

import static io.custos.mcp.http.HttpTestSupport.assertNoInternals;
import static io.custos.mcp.http.HttpTestSupport.send;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.custos.mcp.InboundMessages;
import io.custos.mcp.OutboundErrors;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every message gets an answer, and no answer repeats what the client sent, over Streamable HTTP and over stdio.
 * The MCP SDK 2.1.0 alone echoes unknown method names, prompt names and resource URIs in its errors, echoes a
 * non-string tool name ({@code Tool not found: 5551234567}), answers a tool name or arguments of the wrong JSON type
 * with an empty event stream, and accepts {@code "jsonrpc": "1.0"}. Each case below carries canary values (a
 * name-shaped word and a phone-number-shaped one) wherever the client controls a string.
 */
class JsonRpcRefusalTest extends RunningServerTestBase {
  static final String NAME = "Canaryname";
  static final String NUMBER = "5551234567";

  /**
   * One refused message.
   *
   * @param body    the JSON-RPC message
   * @param id      the id the answer carries (JSON text; {@code null} when the message has no usable id)
   * @param status  HTTP status of the answer
   * @param code    JSON-RPC error code
   * @param message the fixed error message
   */
  record Case(String body, String id, int status, int code, String message) {
    @Override
    public String toString() {
      return body;
    }
  }

  static List<Case> cases() {
    String c = NAME + " " + NUMBER;
    return List.of(
        new Case("{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":\"" + NAME + "/" + NUMBER + "\"}", "11", 200, -32601, "Method not found."),
        new Case("{\"jsonrpc\":\"2.0\",\"id\":12,\"method\":\"prompts/get\",\"params\":{\"name\":\"" + c + "\"}}", "12", 200, -32602,
            "Unknown prompt."),
        new Case("{\"jsonrpc\":\"2.0\",\"id\":13,\"method\":\"resources/read\",\"params\":{\"uri\":\"custos://" + NAME + "/" + NUMBER
            + "\"}}", "13", 200, -32002, "Resource not found."),
        new Case("{\"jsonrpc\":\"2.0\",\"id\":14,\"method\":\"tools/call\",\"params\":{\"name\":" + NUMBER + ",\"arguments\":{}}}", "14",
            200, -32602, "Invalid params: name must be a string."),
        new Case("{\"jsonrpc\":\"2.0\",\"id\":15,\"method\":\"tools/call\",\"params\":{\"name\":[\"" + c + "\"],\"arguments\":{}}}", "15",
            200, -32602, "Invalid params: name must be a string."),
        new Case("{\"jsonrpc\":\"2.0\",\"id\":16,\"method\":\"tools/call\",\"params\":{\"name\":\"get_active_conditions\","
            + "\"arguments\":[\"" + c + "\"]}}", "16", 200, -32602, "Invalid params: arguments must be an object."),
        new Case("{\"jsonrpc\":\"2.0\",\"id\":17,\"method\":\"tools/call\",\"params\":{\"name\":\"get_active_conditions\","
            + "\"arguments\":\"" + c + "\"}}", "17", 200, -32602, "Invalid params: arguments must be an object."),
        new Case("{\"jsonrpc\":\"2.0\",\"id\":18,\"method\":\"tools/list\",\"params\":[\"" + c + "\"]}", "18", 200, -32602,
            "Invalid params: params must be an object."),
        new Case("{\"jsonrpc\":\"2.0\",\"id\":19,\"method\":\"resources/read\",\"params\":{\"uri\":" + NUMBER + "}}", "19", 200, -32602,
            "Invalid params: uri must be a string."),
        new Case("{\"jsonrpc\":\"2.0\",\"id\":20,\"method\":\"prompts/get\",\"params\":{\"name\":\"pre_visit_summary\","
            + "\"arguments\":{\"patient_id\":\"" + c + "\"}}}", "20", 200, -32602,
            "Error [invalid_arguments]: Arguments do not match the input schema: patient_id is not in the accepted form (FHIR "
                + "logical id of the Patient. Required, except with a patient-bound token (SMART patient/ scopes), whose patient "
                + "is used; any other value is refused)."),
        new Case("{\"jsonrpc\":\"1.0\",\"id\":21,\"method\":\"tools/list\",\"params\":{\"cursor\":\"" + c + "\"}}", "21", 400, -32600,
            "Invalid Request: \"jsonrpc\" must be \"2.0\"."),
        new Case("{\"id\":22,\"method\":\"tools/list\",\"params\":{\"cursor\":\"" + c + "\"}}", "22", 400, -32600,
            "Invalid Request: \"jsonrpc\" must be \"2.0\"."),
        new Case("{\"jsonrpc\":2.0,\"id\":23,\"method\":\"tools/list\"}", "23", 400, -32600, "Invalid Request: \"jsonrpc\" must be \"2.0\"."),
        new Case("{\"jsonrpc\":\"2.0\",\"id\":{\"n\":\"" + c + "\"},\"method\":\"tools/list\"}", "null", 400, -32600,
            "Invalid Request: \"id\" must be a string or an integer."),
        new Case("{\"jsonrpc\":\"2.0\",\"id\":25,\"method\":" + NUMBER + "}", "25", 400, -32600, "Invalid Request: \"method\" must be a string."),
        new Case("[{\"jsonrpc\":\"2.0\",\"id\":26,\"method\":\"ping\",\"params\":{\"_meta\":{\"n\":\"" + c + "\"}}}]", "null", 400, -32600,
            "Invalid Request: JSON-RPC batches are not supported."),
        new Case("{\"jsonrpc\":\"2.0\",\"id\":27,\"method\":\"tools/call\",\"params\":" + c + "}", "null", 400, -32700,
            "Parse error: the message is not valid JSON."));
  }

  private static void assertFixed(JsonNode answer, Case c, String raw) {
    assertThat(answer.path("jsonrpc").asText()).isEqualTo("2.0");
    assertThat(answer.path("id").toString()).isEqualTo(c.id());
    assertThat(answer.path("error").path("code").asInt()).as(raw).isEqualTo(c.code());
    assertThat(answer.path("error").path("message").asText()).as(raw).isEqualTo(c.message());
    assertThat(answer.path("error").has("data")).as(raw).isFalse();
    assertThat(raw).doesNotContain(NAME).doesNotContain(NUMBER);
    assertNoInternals(raw);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void httpAnswersEveryMessageWithAFixedError(Case c) throws Exception {
    HttpResponse<String> r = send(client, session.request(c.body()).build());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(c.status());
    List<JsonNode> messages = HttpTestSupport.messages(r);
    assertThat(messages).as("answer to %s", c.body()).hasSize(1);
    assertFixed(messages.get(0), c, r.body());
  }

  @ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {
      "{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"ping\"}",
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":null}",
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{\"cursor\":null,\"_meta\":{\"progressToken\":1}}}",
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"get_allergies\"}}",
      "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":1}}",
      "{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{\"action\":\"accept\"}}",
      "{\"jsonrpc\":\"2.0\",\"id\":\"s-5\",\"error\":{\"code\":-1,\"message\":\"declined\"}}"})
  void wellFormedMcpMessagesPassUnchanged(String message) throws Exception {
    assertThat(InboundMessages.check(message.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
        .isEqualTo(new InboundMessages.Pass(HttpTestSupport.JSON.readTree(message)));
  }

  @Test
  void onlyMcpMethodNamesAreLoggable() throws Exception {
    assertThat(InboundMessages.loggableMethod(HttpTestSupport.JSON.readTree("{\"method\":\"tools/call\"}"))).isEqualTo("tools/call");
    for (String other : List.of("{\"method\":\"" + NAME + "\"}", "{\"method\":5}", "{}")) {
      assertThat(InboundMessages.loggableMethod(HttpTestSupport.JSON.readTree(other))).isEqualTo("unknown-method");
    }
  }

  @Test
  void sdkErrorsLeaveWithTheirCodeAndAFixedMessageOnly() {
    String internal = "{\"jsonrpc\":\"2.0\",\"id\":7,\"error\":{\"code\":-32603,\"message\":\"Cannot deserialize value of type "
        + "`java.lang.String` from Array value: " + NAME + "\",\"data\":\"java.lang.IllegalArgumentException: " + NUMBER + "\"}}";
    assertThat(OutboundErrors.sanitize(internal))
        .isEqualTo("{\"jsonrpc\":\"2.0\",\"id\":7,\"error\":{\"code\":-32603,\"message\":\"Internal error.\"}}");
    assertThat(OutboundErrors.sanitize("{\"jsonrpc\":\"2.0\",\"id\":8,\"error\":{\"code\":-32601,\"message\":\"Method not found: "
        + NAME + "\"}}")).isEqualTo("{\"jsonrpc\":\"2.0\",\"id\":8,\"error\":{\"code\":-32601,\"message\":\"Method not found.\"}}");
    assertThat(OutboundErrors.sanitize("{\"jsonrpc\":\"2.0\",\"id\":9,\"error\":{\"code\":-32602,\"message\":\"Unknown tool: "
        + "invalid_tool_name\",\"data\":\"Tool not found: " + NUMBER + "\"}}"))
        .isEqualTo("{\"jsonrpc\":\"2.0\",\"id\":9,\"error\":{\"code\":-32602,\"message\":\"Unknown tool.\"}}");
    assertThat(OutboundErrors.sanitize("{\"jsonrpc\":\"2.0\",\"id\":10,\"error\":{\"code\":-32099,\"message\":\"" + NAME + "\"}}"))
        .isEqualTo("{\"jsonrpc\":\"2.0\",\"id\":10,\"error\":{\"code\":-32099,\"message\":\"Request failed.\"}}");
    // a result, even one with an "error" member inside, passes unchanged
    String result = "{\"jsonrpc\":\"2.0\",\"id\":11,\"result\":{\"structuredContent\":{\"error\":\"" + NAME + "\"}}}";
    assertThat(OutboundErrors.sanitize(result)).isSameAs(result);
  }

  @Test
  void httpAcceptsAndDropsUnknownNotifications() throws Exception {
    HttpResponse<String> r = send(client, session.request("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/" + NAME + NUMBER + "\"}").build());
    assertThat(r.statusCode()).isEqualTo(202);
    assertThat(r.body()).isEmpty();
  }

  @Test
  void httpStillServesAfterTheRefusals() throws Exception {
    JsonNode ok = session.callTool("get_active_conditions", "{\"patient_id\":\"" + HttpTestSupport.fixturePatientIds().get(0) + "\"}");
    assertThat(ok.path("result").path("isError").asBoolean(true)).as(ok.toString()).isFalse();
  }

  @Test
  void stdioAnswersEveryMessageWithAFixedErrorAndKeepsTheSession(@TempDir Path dir) throws Exception {
    List<Case> cases = cases();
    List<String> lines = StdioSession.run(dir, UnknownToolTest.caller("clinician", "user/*.rs"), true,
        cases.stream().map(Case::body).toArray(String[]::new));
    String all = String.join("\n", lines);
    assertThat(all).doesNotContain(NAME).doesNotContain(NUMBER);
    assertNoInternals(all);
    for (Case c : cases) {
      if (!c.id().equals("null")) {
        JsonNode answer = StdioSession.answer(lines, c.id());
        assertFixed(answer, c, answer.toString());
      }
    }
    // Messages without a usable id are answered with "id": null, in order; the session survives them all.
    List<JsonNode> anonymous = lines.stream().map(StdioSession::parse).filter(n -> n.path("id").isNull()).toList();
    List<Case> expected = cases.stream().filter(c -> c.id().equals("null")).toList();
    assertThat(anonymous).hasSize(expected.size());
    for (int i = 0; i < expected.size(); i++) {
      assertFixed(anonymous.get(i), expected.get(i), anonymous.get(i).toString());
    }
    assertThat(StdioSession.answer(lines, StdioSession.END).has("result")).isTrue();
  }

  @Test
  void stdioDropsUnknownNotificationsAndBlankLines(@TempDir Path dir) throws Exception {
    List<String> lines = StdioSession.run(dir, UnknownToolTest.caller("clinician", "user/*.rs"), true,
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/" + NAME + NUMBER + "\"}", "   ");
    // initialize's answer and the closing ping's answer, nothing for the notification or the blank line
    assertThat(lines).hasSize(2);
    assertThat(StdioSession.answer(lines, StdioSession.END).has("result")).isTrue();
  }
}
