package io.custos.mcp.http;

import static io.custos.mcp.http.HttpTestSupport.post;
import static io.custos.mcp.http.HttpTestSupport.response;
import static io.custos.mcp.http.HttpTestSupport.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.custos.auth.BearerCredential;
import io.custos.auth.Caller;
import io.custos.cli.ServerAssembly;
import io.custos.config.ConfigException;
import io.custos.config.CustosConfig;
import io.custos.fhir.FhirUpstream;
import io.custos.fhir.HapiFhirUpstream;
import io.custos.fhir.UpstreamAuth;
import io.custos.fhir.UpstreamException;
import io.custos.fhir.UpstreamRequest;
import io.custos.fhir.auth.ClientCredentialsUpstreamAuth;
import io.custos.fhir.auth.TokenEndpoint;
import io.custos.fhir.auth.TokenExchangeUpstreamAuth;
import io.custos.fhir.store.EmbeddedFhirStore;
import jakarta.servlet.http.HttpServletRequest;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * "never pass the inbound token upstream": {@code upstream.auth} against a real OAuth server
 * (mock-oauth2-server, which implements the RFC 8693 token-exchange grant and client_credentials) and the
 * embedded FHIR store, which records the {@code Authorization} header of every request it receives.
 */
class UpstreamCredentialsTest {
  static final String AUDIENCE = "https://custos.test/mcp";
  static final String ISSUER_ID = "custos";
  static final String VERSION = "2025-11-25";
  static final FhirContext FHIR = FhirContext.forR4Cached();

  @TempDir
  static Path dir;
  static MockOAuth2Server oauth;
  static EmbeddedFhirStore store;
  static String patient;
  static Path secretFile;
  /** Authorization header of each request the store received ("<none>" when absent). */
  static final List<String> received = Collections.synchronizedList(new ArrayList<>());

  /** A HAPI server interceptor on the store: records what credentials reach the upstream. */
  @Interceptor
  public static final class HeaderCapture {
    @Hook(Pointcut.SERVER_INCOMING_REQUEST_PRE_PROCESSED)
    public boolean capture(HttpServletRequest request) {
      if (request.getRequestURI().endsWith("/metadata")) {
        return true; // the CapabilityStatement read at start, before any caller: public (FHIR R4, SMART App Launch)
      }
      String h = request.getHeader("Authorization");
      received.add(h == null ? "<none>" : h);
      return true;
    }
  }

  @BeforeAll
  static void start() throws Exception {
    oauth = new MockOAuth2Server();
    oauth.start(InetAddress.getByName("127.0.0.1"), 0);
    store = EmbeddedFhirStore.builder().dataDirectory(HttpTestSupport.fixtureDir()).port(0)
        .referenceInstant(HttpTestSupport.REFERENCE).interceptor(new HeaderCapture()).build().start();
    patient = HttpTestSupport.fixturePatientIds().get(0);
    secretFile = dir.resolve("upstream-secret");
    Files.writeString(secretFile, "s3cret-for-the-idp\n");
  }

  @AfterAll
  static void stop() {
    if (store != null) {
      store.close();
    }
    if (oauth != null) {
      oauth.shutdown();
    }
  }

  @BeforeEach
  void clear() {
    received.clear();
  }

  static String inboundToken(String subject) {
    Map<String, Object> claims = new HashMap<>();
    claims.put("scope", "openid fhirUser user/*.rs");
    claims.put("roles", List.of("clinician"));
    claims.put("amr", List.of("pwd", "mfa"));
    claims.put("client_id", "mcp-client");
    claims.put("fhirUser", "Practitioner/" + subject);
    return oauth.issueToken(ISSUER_ID, "mcp-client", new DefaultOAuth2TokenCallback(ISSUER_ID, subject, "at+jwt",
        List.of(AUDIENCE), claims, 3600)).serialize();
  }

  static Caller caller(String subject, Optional<String> token) {
    return new Caller(subject, "mcp-client", Optional.empty(), Set.of("clinician"), Set.of("user/*.rs"), Optional.empty(), true,
        "jti-" + subject, Instant.now().plusSeconds(3600), Optional.empty(), token.map(BearerCredential::new));
  }

  static URI tokenEndpoint() {
    return URI.create(oauth.tokenEndpointUrl(ISSUER_ID).toString());
  }

  static JWTClaimsSet bearerClaims(String header) throws Exception {
    assertThat(header).startsWith("Bearer ");
    return SignedJWT.parse(header.substring("Bearer ".length())).getJWTClaimsSet();
  }

  // --- through the whole server: HTTP -> pipeline -> upstream view -> token exchange --------------

  @Test
  void tokenExchangeOverHttpSendsAnExchangedUserTokenNeverTheInboundOne() throws Exception {
    Path data = dir.resolve("exchange-data");
    var config = new CustosConfig(
        new CustosConfig.Server("127.0.0.1", 0, "tls13", List.of(), List.of(), null),
        new CustosConfig.Upstream(store.baseUrl(), 10, new CustosConfig.UpstreamAuth("token_exchange", tokenEndpoint().toString(),
            "custos-upstream", secretFile.toString(), null, null, null)),
        new CustosConfig.Identity("oauth", oauth.issuerUrl(ISSUER_ID).toString(), oauth.jwksUrl(ISSUER_ID).toString(), AUDIENCE,
            null, null, null, null, null, null, null, null),
        new CustosConfig.Policy(null, false, null, null, null), data.toString()).withDefaults().validated();
    assertThat(config.upstream().auth().audience()).as("audience defaults to the upstream base").isEqualTo(store.baseUrl());
    try (ServerAssembly app = new ServerAssembly(config)) {
      McpHttpServer http = app.startHttp(false);
      try {
        HttpClient client = HttpTestSupport.client(HttpTestSupport.trustOnly(data.resolve("tls").resolve("certificate.pem")));
        String inbound = inboundToken("dr-exchange");
        String sid = OAuthHttpTest.open(client, http.endpoint(), inbound);
        for (int id : new int[] {11, 12}) {
          HttpResponse<String> r = send(client, post(http.endpoint(), "{\"jsonrpc\":\"2.0\",\"id\":" + id
              + ",\"method\":\"tools/call\",\"params\":{\"name\":\"get_active_conditions\",\"arguments\":{\"patient_id\":\""
              + patient + "\"}}}").header("Mcp-Session-Id", sid).header("MCP-Protocol-Version", VERSION)
              .header("Authorization", "Bearer " + inbound).build());
          assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
          assertThat(response(r, id).path("result").path("isError").asBoolean(false)).as(r.body()).isFalse();
        }
        assertThat(received).as("the store was called").isNotEmpty();
        assertThat(received).allSatisfy(h -> assertThat(h).doesNotContain(inbound).startsWith("Bearer "));
        assertThat(Set.copyOf(received)).as("one exchanged token, cached across calls").hasSize(1);
        JWTClaimsSet exchanged = bearerClaims(received.get(0));
        assertThat(exchanged.getSubject()).as("the user's own identity reaches the upstream").isEqualTo("dr-exchange");
        assertThat(exchanged.getAudience()).as("a token meant for the upstream, not for Custos").containsExactly(store.baseUrl());
        assertThat(exchanged.getIssuer()).isEqualTo(oauth.issuerUrl(ISSUER_ID).toString());
        assertThat(exchanged.getJWTID()).isNotEqualTo(SignedJWT.parse(inbound).getJWTClaimsSet().getJWTID());
      } finally {
        http.close();
      }
    }
  }

  // --- the upstream seam directly ------------------------------------------------------------

  @Test
  void clientCredentialsWithPrivateKeyJwtSendsCustosOwnTokenWithoutTheUser() throws Exception {
    RSAKey key = new RSAKeyGenerator(2048).keyID("custos-backend-1").generate();
    Path jwk = dir.resolve("backend.jwk");
    Files.writeString(jwk, key.toJSONString());
    TokenEndpoint endpoint = TokenEndpoint.of(tokenEndpoint(), "custos-backend", null, jwk, Duration.ofSeconds(10), Clock.systemUTC());
    FhirUpstream upstream = new HapiFhirUpstream(FHIR, store.baseUrl(), Duration.ofSeconds(10), List.of(),
        new ClientCredentialsUpstreamAuth(endpoint, "system/*.rs", store.baseUrl(), Clock.systemUTC()));
    String inbound = inboundToken("dr-backend");
    upstream.as(caller("dr-backend", Optional.of(inbound))).execute(new UpstreamRequest.Read("Patient", patient));
    upstream.as(caller("dr-other", Optional.of(inboundToken("dr-other")))).execute(new UpstreamRequest.Read("Patient", patient));
    assertThat(received).hasSize(2).allSatisfy(h -> assertThat(h).doesNotContain(inbound));
    assertThat(Set.copyOf(received)).as("one service token, cached, the same for every user").hasSize(1);
    JWTClaimsSet service = bearerClaims(received.get(0));
    assertThat(service.getSubject()).as("Custos's own identity, not the user's").isEqualTo("custos-backend");
    assertThat(service.toString()).doesNotContain("dr-backend", "dr-other");
  }

  @Test
  void clientCredentialsWithClientSecret() throws Exception {
    TokenEndpoint endpoint = TokenEndpoint.of(tokenEndpoint(), "custos-secret-client", secretFile, null, Duration.ofSeconds(10),
        Clock.systemUTC());
    FhirUpstream upstream = new HapiFhirUpstream(FHIR, store.baseUrl(), Duration.ofSeconds(10), List.of(),
        new ClientCredentialsUpstreamAuth(endpoint, null, null, Clock.systemUTC()));
    upstream.as(caller("dr-secret", Optional.empty())).execute(new UpstreamRequest.Read("Patient", patient));
    assertThat(received).hasSize(1);
    assertThat(bearerClaims(received.get(0)).getSubject()).isEqualTo("custos-secret-client");
  }

  @Test
  void noneSendsNoCredentialAtAll() {
    FhirUpstream upstream = new HapiFhirUpstream(FHIR, store.baseUrl(), Duration.ofSeconds(10), List.of(), UpstreamAuth.none());
    upstream.as(caller("dr-none", Optional.of(inboundToken("dr-none")))).execute(new UpstreamRequest.Read("Patient", patient));
    assertThat(received).containsExactly("<none>");
  }

  @Test
  void tokenExchangeWithoutAnInboundTokenIsRefusedAndNothingReachesTheUpstream() throws Exception {
    TokenEndpoint endpoint = TokenEndpoint.of(tokenEndpoint(), "custos-upstream", secretFile, null, Duration.ofSeconds(10),
        Clock.systemUTC());
    FhirUpstream upstream = new HapiFhirUpstream(FHIR, store.baseUrl(), Duration.ofSeconds(10), List.of(),
        new TokenExchangeUpstreamAuth(endpoint, store.baseUrl(), null, Clock.systemUTC()));
    assertThatThrownBy(() -> upstream.as(caller("local-developer", Optional.empty()))
        .execute(new UpstreamRequest.Read("Patient", patient)))
        .isInstanceOfSatisfying(UpstreamException.class, e -> assertThat(e.kind()).isEqualTo(UpstreamException.Kind.DENIED));
    assertThat(received).isEmpty();
  }

  @Test
  void unreachableTokenEndpointIsUpstreamUnavailableAndNothingReachesTheUpstream() throws Exception {
    TokenEndpoint endpoint = TokenEndpoint.of(URI.create("http://127.0.0.1:9/token"), "custos-upstream", secretFile, null,
        Duration.ofSeconds(2), Clock.systemUTC());
    FhirUpstream upstream = new HapiFhirUpstream(FHIR, store.baseUrl(), Duration.ofSeconds(10), List.of(),
        new TokenExchangeUpstreamAuth(endpoint, store.baseUrl(), null, Clock.systemUTC()));
    assertThatThrownBy(() -> upstream.as(caller("dr-x", Optional.of(inboundToken("dr-x"))))
        .execute(new UpstreamRequest.Read("Patient", patient)))
        .isInstanceOfSatisfying(UpstreamException.class, e -> assertThat(e.kind()).isEqualTo(UpstreamException.Kind.UNAVAILABLE));
    assertThat(received).isEmpty();
  }

  @Test
  void callerToStringNeverShowsTheInboundToken() {
    String inbound = inboundToken("dr-print");
    assertThat(caller("dr-print", Optional.of(inbound)).toString()).doesNotContain(inbound).contains("redacted");
  }

  @Test
  void configurationIsValidatedPerKey() {
    var identityDev = new CustosConfig.Identity("development");
    assertThatThrownBy(() -> new CustosConfig(new CustosConfig.Server("127.0.0.1", 0, "plain", null, null, null),
        new CustosConfig.Upstream(store.baseUrl(), 10, new CustosConfig.UpstreamAuth("token_exchange", tokenEndpoint().toString(),
            "c", secretFile.toString(), null, null, null)), identityDev, null, dir.toString()).withDefaults().validated())
        .isInstanceOf(ConfigException.class).hasMessageContaining("upstream.auth.mode: token_exchange needs identity.mode oauth");
    assertThatThrownBy(() -> new CustosConfig(new CustosConfig.Server("127.0.0.1", 0, "plain", null, null, null),
        new CustosConfig.Upstream(store.baseUrl(), 10, new CustosConfig.UpstreamAuth("client_credentials", null,
            null, null, null, null, null)), identityDev, null, dir.toString()).withDefaults().validated())
        .isInstanceOf(ConfigException.class).hasMessageContaining("upstream.auth.tokenEndpoint")
        .hasMessageContaining("upstream.auth.clientId").hasMessageContaining("exactly one of clientSecretFile and privateKeyFile");
    assertThatThrownBy(() -> new CustosConfig(new CustosConfig.Server("127.0.0.1", 0, "plain", null, null, null),
        new CustosConfig.Upstream(store.baseUrl(), 10, new CustosConfig.UpstreamAuth("forward_inbound_token", null,
            null, null, null, null, null)), identityDev, null, dir.toString()).withDefaults().validated())
        .isInstanceOf(ConfigException.class).hasMessageContaining("upstream.auth.mode: must be none, client_credentials or token_exchange");
    assertThat(new CustosConfig(new CustosConfig.Server("127.0.0.1", 0, "plain", null, null, null),
        new CustosConfig.Upstream(store.baseUrl(), 10), identityDev, null, dir.toString()).withDefaults().validated()
        .upstream().auth().mode()).isEqualTo("none");
  }
}
