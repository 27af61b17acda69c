package io.custos.mcp.http;

import static io.custos.mcp.http.HttpTestSupport.assertJsonRpcError;
import static io.custos.mcp.http.HttpTestSupport.assertNoInternals;
import static io.custos.mcp.http.HttpTestSupport.client;
import static io.custos.mcp.http.HttpTestSupport.initializeBody;
import static io.custos.mcp.http.HttpTestSupport.post;
import static io.custos.mcp.http.HttpTestSupport.send;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DNS-rebinding defence (MCP 2025-11-25 Transports, Security Warning) on a loopback listener. */
class DnsRebindingProtectionTest extends RunningServerTestBase {

  private static String rawInitialize(String host) {
    String body = initializeBody("2025-11-25");
    return "POST /mcp HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: application/json\r\nAccept: " + HttpTestSupport.ACCEPT_BOTH
        + "\r\nContent-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\nConnection: close\r\n\r\n" + body;
  }

  @Test
  void foreignHostHeaderIs403() throws Exception {
    HttpTestSupport.RawResponse r = HttpTestSupport.raw(server.ssl(), server.http().port(), rawInitialize("evil.example.com"));
    assertThat(r.status()).as(r.head()).isEqualTo(403);
    assertThat(r.head()).doesNotContainIgnoringCase("Mcp-Session-Id");
    assertNoInternals(r.body());
    JsonNode error = HttpTestSupport.JSON.readTree(r.body());
    assertThat(error.path("error").path("message").asText()).contains("Host").doesNotContain("evil.example.com");
  }

  @Test
  void foreignHostHeaderWithPortIs403() throws Exception {
    HttpTestSupport.RawResponse r = HttpTestSupport.raw(server.ssl(), server.http().port(),
        rawInitialize("evil.example.com:" + server.http().port()));
    assertThat(r.status()).as(r.head()).isEqualTo(403);
  }

  @Test
  void loopbackHostHeaderIsAccepted() throws Exception {
    HttpTestSupport.RawResponse r = HttpTestSupport.raw(server.ssl(), server.http().port(),
        rawInitialize("localhost:" + server.http().port()));
    assertThat(r.status()).as(r.head() + r.body()).isEqualTo(200);
    assertThat(r.head()).containsIgnoringCase("Mcp-Session-Id");
  }

  @Test
  void foreignOriginIs403() throws Exception {
    HttpResponse<String> r = send(client, post(server.endpoint(), initializeBody("2025-11-25"))
        .header("Origin", "https://evil.example.com").build());
    JsonNode error = assertJsonRpcError(r, 403);
    assertThat(error.path("error").path("message").asText()).contains("Origin").doesNotContain("evil.example.com");
    assertThat(r.headers().firstValue("Mcp-Session-Id")).isEmpty();
  }

  @Test
  void foreignOriginNamingLoopbackInSubdomainIs403() throws Exception {
    HttpResponse<String> r = send(client, post(server.endpoint(), initializeBody("2025-11-25"))
        .header("Origin", "http://localhost.evil.example.com").build());
    assertJsonRpcError(r, 403);
  }

  @Test
  void loopbackOriginIsAcceptedOnLoopbackListener() throws Exception {
    HttpResponse<String> r = send(client, post(server.endpoint(), initializeBody("2025-11-25"))
        .header("Origin", "http://localhost:1234").build());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.headers().firstValue("Mcp-Session-Id")).isPresent();
    assertThat(HttpTestSupport.response(r, 1).path("result").path("serverInfo").path("name").asText()).isEqualTo("custos");
  }
}
