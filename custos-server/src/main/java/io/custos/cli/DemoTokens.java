package io.custos.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;

/**
 * Token requests to the demo's development identity provider: an OAuth 2 client credentials grant
 * (RFC 6749 &sect;4.4, client {@code custos-demo-client} with HTTP Basic authentication) with the extra parameter
 * {@code demo_role} naming the {@link DemoRole} whose user the token is for.
 */
final class DemoTokens {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final String BASIC = "Basic " + Base64.getEncoder()
      .encodeToString("custos-demo-client:demo".getBytes(StandardCharsets.UTF_8));

  private DemoTokens() {}

  /** @param accessToken the signed JWT; @param expiresAt its expiry (from {@code expires_in}) */
  record Token(String accessToken, Instant expiresAt) {}

  /**
   * @param tokenEndpoint the identity provider's token endpoint (loopback)
   * @throws java.net.ConnectException if the identity provider is not running
   * @throws IOException if the provider answers anything but a token (the body is not repeated: it may hold one)
   */
  static Token mint(URI tokenEndpoint, DemoRole role) throws IOException, InterruptedException {
    return mint(tokenEndpoint, role, false);
  }

  /**
   * @param approvalApp whether the token is for the person's own application (client {@code custos-demo-approval-app}),
   *                    which may approve writes on the approval page, rather than for the agent's client
   */
  static Token mint(URI tokenEndpoint, DemoRole role, boolean approvalApp) throws IOException, InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(tokenEndpoint).timeout(Duration.ofSeconds(30))
        .header("Authorization", BASIC).header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials&demo_role=" + role.id()
            + (approvalApp ? "&demo_client=approval-app" : ""))).build();
    HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    JsonNode body = response.statusCode() == 200 ? new ObjectMapper().readTree(response.body()) : null;
    if (body == null || !body.path("access_token").isTextual()) {
      throw new IOException("the demo identity provider gave no token (HTTP " + response.statusCode() + ")");
    }
    return new Token(body.get("access_token").asText(), Instant.now().plusSeconds(body.path("expires_in").asLong()));
  }
}
