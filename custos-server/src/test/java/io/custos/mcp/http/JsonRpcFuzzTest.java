package io.custos.mcp.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;

/**
 * Fuzzing JSON-RPC message handling. Regression mode (default suite) replays
 * {@code src/test/resources/io/custos/mcp/http/JsonRpcFuzzTestInputs/<method>/}; {@code JAZZER_FUZZ=1} fuzzes.
 * Properties: no crash (only the documented exceptions), no hang (Jazzer's timeout), and over HTTP no 5xx and no
 * response carrying a stack trace or class name.
 */
class JsonRpcFuzzTest {
  private static final JacksonMcpJsonMapper MAPPER = new JacksonMcpJsonMapper(new com.fasterxml.jackson.databind.ObjectMapper());
  private static HttpTestSupport.Running server;
  private static HttpClient client;
  private static HttpTestSupport.Session session;

  /** The inbound message check, the gate's reading of governed requests and the SDK's JSON-RPC deserializer, in process. */
  @FuzzTest(maxDuration = "5m")
  void toolNameParserAndSdkDeserializer(byte[] body) {
    if (!(io.custos.mcp.InboundMessages.check(body) instanceof io.custos.mcp.InboundMessages.Pass passed)) {
      return; // refused or dropped by InboundMessageFilter before the SDK sees it
    }
    // The gate relies on the inbound check: a governed request's name (or uri) is a string.
    io.custos.mcp.InboundMessages.governed(passed.message()).ifPresent(g -> assertThat(passed.message().path("params")
        .path(g.getKey() == io.custos.tools.Declaration.Kind.RESOURCE ? "uri" : "name").isTextual()).as("checked name").isTrue());
    try {
      McpSchema.deserializeJsonRpcMessage(MAPPER, new String(body, StandardCharsets.UTF_8));
    } catch (IOException | IllegalArgumentException expected) {
      // malformed message: the transport answers 400
    }
  }

  /** The whole HTTP filter chain and the SDK servlet of a running Custos (development identity, one session). */
  @FuzzTest(maxDuration = "5m")
  void overTheHttpFilterChain(byte[] body) throws Exception {
    start();
    HttpResponse<String> r = client.send(session.request(new String(body, StandardCharsets.UTF_8))
        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    HttpTestSupport.assertNoInternals(r.body());
    if (r.statusCode() >= 500) {
      // SDK 2.1.0 answers a client's JSON-RPC response/error for a request id it never sent with 500; Custos sends no
      // requests to clients, so such a message is unsolicited. The body is the sanitized fixed error, nothing more.
      assertThat(r.body()).as("5xx body for %s", new String(body, StandardCharsets.UTF_8))
          .isEqualTo("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32000,\"message\":\"Request failed (HTTP 500).\"}}");
      com.fasterxml.jackson.databind.JsonNode n = HttpTestSupport.JSON.readTree(body);
      assertThat(n != null && n.isObject() && (n.has("result") || n.has("error")) && !n.has("method"))
          .as("only an unsolicited JSON-RPC response/error gets 5xx: %s", new String(body, StandardCharsets.UTF_8)).isTrue();
    }
  }

  /**
   * The MCP 2026-07-28 front of the same endpoint: the body as sent, with a 2026-07-28 header and the body's own method
   * in {@code Mcp-Method} when it has one. The status always matches the JSON-RPC error code (400 for -32700, -32600,
   * -32602, -32020, -32022; 404 for -32601; 413 for an oversized body), there is no 5xx, and every answer is one
   * JSON-RPC message with the request's id or {@code null}.
   */
  @FuzzTest(maxDuration = "5m")
  void overThe2026Front(byte[] body) throws Exception {
    start();
    String text = new String(body, StandardCharsets.UTF_8);
    var request = java.net.http.HttpRequest.newBuilder(server.endpoint()).timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json").header("Accept", HttpTestSupport.ACCEPT_BOTH)
        .header("MCP-Protocol-Version", "2026-07-28").POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(body));
    com.fasterxml.jackson.databind.JsonNode sent = null;
    try {
      sent = HttpTestSupport.JSON.readTree(body);
    } catch (IOException notJson) {
      // the front answers -32700
    }
    if (sent != null && sent.path("method").isTextual() && sent.path("method").asText().matches("[ -~]{1,100}")) {
      request.header("Mcp-Method", sent.path("method").asText());
    }
    HttpResponse<String> r = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    HttpTestSupport.assertNoInternals(r.body());
    assertThat(r.statusCode()).as("status for %s", text).isLessThan(500);
    if (r.statusCode() == 202 || r.statusCode() == 413 || r.statusCode() == 401) {
      return;
    }
    com.fasterxml.jackson.databind.JsonNode answer = HttpTestSupport.JSON.readTree(r.body());
    assertThat(answer.path("jsonrpc").asText()).isEqualTo("2.0");
    if (answer.has("error")) {
      int code = answer.path("error").path("code").asInt();
      int expected = switch (code) {
        case -32700, -32600, -32602, -32020, -32021, -32022 -> 400;
        case -32601 -> 404;
        default -> 200;
      };
      if (r.statusCode() != 403 && r.statusCode() != 429) {
        assertThat(r.statusCode()).as("status of error %d for %s", code, text).isEqualTo(expected);
      }
    } else {
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(answer.path("result").path("resultType").isTextual()).as("resultType for %s", text).isTrue();
      assertThat(answer.get("id")).isEqualTo(sent.get("id"));
    }
  }

  private static synchronized void start() throws Exception {
    if (server == null) {
      server = HttpTestSupport.start(Files.createTempDirectory("custos-fuzz"), "tls13", false);
      Runtime.getRuntime().addShutdownHook(new Thread(server::close));
      client = HttpTestSupport.client(server.ssl());
      session = HttpTestSupport.Session.open(client, server.endpoint());
    }
  }
}
