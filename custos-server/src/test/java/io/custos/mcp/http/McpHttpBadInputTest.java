package io.custos.mcp.http;

import static io.custos.mcp.http.HttpTestSupport.assertJsonRpcError;
import static io.custos.mcp.http.HttpTestSupport.client;
import static io.custos.mcp.http.HttpTestSupport.initializeBody;
import static io.custos.mcp.http.HttpTestSupport.post;
import static io.custos.mcp.http.HttpTestSupport.send;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MCP Java SDK 2.1.0 transport gaps and bad input over real HTTPS: every refusal has the right status and a short
 * JSON-RPC error object, never a stack trace or Java class name.
 */
class McpHttpBadInputTest extends RunningServerTestBase {
  private static final String TOOLS_LIST = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/list\",\"params\":{}}";


  @Test
  void postWithoutSessionIdForNonInitializeRequestIs400() throws Exception {
    HttpResponse<String> r = send(client, post(server.endpoint(), TOOLS_LIST).build());
    JsonNode error = assertJsonRpcError(r, 400);
    assertThat(error.path("error").path("code").asInt()).isEqualTo(JsonRpcErrors.INVALID_REQUEST);
  }

  @Test
  void postWithUnknownSessionIdIs404() throws Exception {
    HttpResponse<String> r = send(client, post(server.endpoint(), TOOLS_LIST)
        .header("Mcp-Session-Id", UUID.randomUUID().toString()).build());
    JsonNode error = assertJsonRpcError(r, 404);
    assertThat(error.path("error").path("message").asText()).containsIgnoringCase("session");
  }

  @Test
  void malformedJsonBodyIs400() throws Exception {
    HttpResponse<String> r = send(client, session.request("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":").build());
    assertJsonRpcError(r, 400);
  }

  @Test
  void malformedJsonBodyWithoutSessionIs400() throws Exception {
    HttpResponse<String> r = send(client, post(server.endpoint(), "this is not json").build());
    assertJsonRpcError(r, 400);
  }

  @Test
  void bodyOverMaxRequestBytesIs413() throws Exception {
    String padding = "x".repeat(20_000); // server.maxRequestBytes is 8192 in this test
    String body = "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/list\",\"params\":{\"_pad\":\"" + padding + "\"}}";
    HttpResponse<String> r = send(client, session.request(body).build());
    assertJsonRpcError(r, 413);
    assertThat(r.body()).doesNotContain(padding.substring(0, 100));
  }

  @Test
  void unsupportedProtocolVersionHeaderIs400() throws Exception {
    HttpResponse<String> r = send(client, post(server.endpoint(), TOOLS_LIST)
        .header("Mcp-Session-Id", session.id).header("MCP-Protocol-Version", "1999-01-01").build());
    JsonNode error = assertJsonRpcError(r, 400);
    assertThat(error.path("error").path("code").asInt()).isEqualTo(-32022); // UnsupportedProtocolVersion (MCP 2026-07-28)
    assertThat(error.path("error").path("data").path("supported").toString()).contains("2025-11-25", "2026-07-28");
    assertThat(r.body()).doesNotContain("1999-01-01");
  }

  @Test
  void supportedProtocolVersionHeaderIsAccepted() throws Exception {
    assertThat(session.protocolVersion).isNotBlank();
    JsonNode response = session.call("tools/list", "{}");
    assertThat(response.has("error")).as("error in %s", response).isFalse();
    assertThat(response.path("result").path("tools").size()).isPositive();
  }

  @Test
  void postWithoutEventStreamInAcceptIsRefused() throws Exception {
    HttpResponse<String> r = send(client, post(server.endpoint(), initializeBody("2025-11-25"))
        .setHeader("Accept", "application/json").build());
    assertJsonRpcError(r, 400);
    assertThat(r.headers().firstValue("Mcp-Session-Id")).isEmpty();
  }

  @Test
  void postWithNonJsonContentTypeIs415() throws Exception {
    HttpResponse<String> r = send(client, session.request(TOOLS_LIST).setHeader("Content-Type", "text/plain").build());
    assertJsonRpcError(r, 415);
  }

  @Test
  void getWithoutSessionIdIs400() throws Exception {
    HttpResponse<String> r = send(client, HttpRequest.newBuilder(server.endpoint()).timeout(Duration.ofSeconds(30))
        .header("Accept", "text/event-stream").GET().build());
    assertJsonRpcError(r, 400);
  }

  @Test
  void getWithoutEventStreamAcceptIs400() throws Exception {
    HttpResponse<String> r = send(client, HttpRequest.newBuilder(server.endpoint()).timeout(Duration.ofSeconds(30))
        .header("Accept", "application/json").header("Mcp-Session-Id", session.id).GET().build());
    assertJsonRpcError(r, 400);
  }

  @Test
  void getWithUnknownSessionIdIs404() throws Exception {
    HttpResponse<String> r = send(client, HttpRequest.newBuilder(server.endpoint()).timeout(Duration.ofSeconds(30))
        .header("Accept", "text/event-stream").header("Mcp-Session-Id", UUID.randomUUID().toString()).GET().build());
    assertJsonRpcError(r, 404);
  }

  @Test
  void deleteWithoutSessionIdIs400() throws Exception {
    HttpResponse<String> r = send(client, HttpRequest.newBuilder(server.endpoint()).timeout(Duration.ofSeconds(30)).DELETE().build());
    assertJsonRpcError(r, 400);
  }

  @Test
  void deleteWithUnknownSessionIdIs404() throws Exception {
    HttpResponse<String> r = send(client, HttpRequest.newBuilder(server.endpoint()).timeout(Duration.ofSeconds(30))
        .header("Mcp-Session-Id", UUID.randomUUID().toString()).DELETE().build());
    assertJsonRpcError(r, 404);
  }

  @Test
  void deleteEndsSessionAndLaterRequestsAre404() throws Exception {
    HttpTestSupport.Session own = HttpTestSupport.Session.open(client, server.endpoint());
    HttpResponse<String> deleted = send(client, HttpRequest.newBuilder(server.endpoint()).timeout(Duration.ofSeconds(30))
        .header("Mcp-Session-Id", own.id).DELETE().build());
    assertThat(deleted.statusCode()).as("DELETE: %s", deleted.body()).isEqualTo(200);
    HttpResponse<String> after = send(client, own.request(TOOLS_LIST).build());
    assertJsonRpcError(after, 404);
  }

  @Test
  void unsupportedHttpMethodIs405() throws Exception {
    HttpResponse<String> r = send(client, HttpRequest.newBuilder(server.endpoint()).timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json").method("PUT", HttpRequest.BodyPublishers.ofString(TOOLS_LIST)).build());
    assertJsonRpcError(r, 405);
  }
}
