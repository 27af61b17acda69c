package io.custos.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.custos.cli.ServerAssembly;
import io.custos.config.CustosConfig;
import io.custos.fhir.store.EmbeddedFhirStore;
import io.custos.mcp.http.McpHttpServer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;

import java.util.stream.Stream;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.OAuth2Config;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * "the TypeScript SDK client running the full OAuth discovery": Custos in {@code oauth} mode (audience =
 * its own endpoint URL) behind a real authorization server (mock-oauth2-server, tokens from
 * {@link ResourceAudienceTokenCallback}: {@code aud} = the RFC 8707 {@code resource} of the token request). The
 * official TypeScript SDK client ({@code e2e/oauth-check.mjs}) starts with no token, gets the 401 challenge,
 * follows {@code resource_metadata} to the protected resource metadata, discovers the authorization server,
 * obtains a token with {@code resource} (client_credentials, pre-registered client) and calls a tool.
 */
class OAuthDiscoveryIT {
  private static final Path MODULE = Path.of("").toAbsolutePath();
  private static final Path ROOT = MODULE.getParent();
  private static final Path LOGS = MODULE.resolve("target/e2e-logs");
  private static final String ISSUER_ID = "custos";
  private static final String CLIENT_ID = "custos-discovery-client";

  private static MockOAuth2Server oauth;
  private static EmbeddedFhirStore store;
  private static ServerAssembly app;
  private static McpHttpServer http;
  private static String patient;
  private static String endpoint;

  @BeforeAll
  static void start() throws Exception {
    Files.createDirectories(LOGS);
    Path work = Files.createTempDirectory("custos-oauth-discovery");
    Path fixture = MODULE.resolve("src/test/resources/fixtures/synthea");
    try (Stream<Path> files = Files.list(fixture)) {
      patient = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json.gz"))
          .filter(n -> !n.startsWith("hospital") && !n.startsWith("practitioner"))
          .map(n -> n.substring(0, n.length() - ".json.gz".length())).sorted().findFirst().orElseThrow();
    }
    oauth = new MockOAuth2Server(new OAuth2Config(false, null, null, false,
        new no.nav.security.mock.oauth2.token.OAuth2TokenProvider(),
        Set.of(new ResourceAudienceTokenCallback(ISSUER_ID, "dr-discovery", "clinician", "openid fhirUser user/*.rs"))));
    oauth.start(InetAddress.getByName("127.0.0.1"), 0);
    store = EmbeddedFhirStore.builder().dataDirectory(fixture).port(0)
        .referenceInstant(Instant.parse("2026-01-01T00:00:00Z")).build().start();
    // The audience is the endpoint URL itself, so the port is fixed before the server starts.
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      port = s.getLocalPort();
    }
    endpoint = "https://127.0.0.1:" + port + "/mcp";
    Path config = work.resolve("custos.yaml");
    Files.writeString(config, """
        server: {host: 127.0.0.1, port: %d, tls: tls13}
        upstream: {baseUrl: "%s"}
        identity: {mode: oauth, issuer: "%s", jwksUri: "%s", audience: "%s"}
        # Any fixture patient: care relationships are covered by AuthorizationMatrixTest.
        policy: {requireCareRelationship: false}
        dataDir: "%s"
        """.formatted(port, store.baseUrl(), oauth.issuerUrl(ISSUER_ID), oauth.jwksUrl(ISSUER_ID), endpoint, work.resolve("data")));
    app = new ServerAssembly(CustosConfig.load(config));
    http = app.startHttp(false);
    assertThat(http.endpoint().toString()).isEqualTo(endpoint);
  }

  @AfterAll
  static void stop() {
    if (http != null) {
      http.close();
    }
    if (app != null) {
      app.close();
    }
    if (store != null) {
      store.close();
    }
    if (oauth != null) {
      oauth.shutdown();
    }
  }

  @Test
  void typescriptSdkClientDiscoversTheAuthorizationServerGetsAResourceBoundTokenAndCallsATool() throws Exception {
    ProcessBuilder pb = ClientScript.in("sh", "e2e/with-node.sh", "node", "e2e/oauth-check.mjs");
    pb.environment().put("CUSTOS_ENDPOINT", endpoint);
    pb.environment().put("CUSTOS_CA_CERT", app.dataDir().resolve("tls/certificate.pem").toString());
    pb.environment().put("OAUTH_ISSUER", oauth.issuerUrl(ISSUER_ID).toString());
    pb.environment().put("OAUTH_CLIENT_ID", CLIENT_ID);
    pb.environment().put("OAUTH_CLIENT_SECRET", "discovery-secret");
    pb.environment().put("CUSTOS_PATIENT", patient);
    pb.environment().remove("CUSTOS_TOKEN");
    assertThat(ClientScript.run(pb, "oauth-discovery", Duration.ofMinutes(5))).as("checks run").isGreaterThanOrEqualTo(8);
  }
}
