package io.custos.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * RFC 7662 introspection against a real authorization server (mock-oauth2-server's introspection
 * endpoint): active tokens for this resource become callers; inactive, foreign and garbage tokens are
 * refused with {@code invalid_token} only.
 */
class IntrospectionAuthenticatorTest {
  private static final String ISSUER_ID = "custos";
  private static final String AUDIENCE = "https://custos.test/mcp";
  private static MockOAuth2Server idp;
  private static IntrospectionAuthenticator authenticator;

  @BeforeAll
  static void start() throws Exception {
    idp = new MockOAuth2Server();
    idp.start(InetAddress.getByName("127.0.0.1"), 0);
    authenticator = new IntrospectionAuthenticator(URI.create(idp.url(ISSUER_ID + "/introspect").toString()), "custos",
        "secret", idp.issuerUrl(ISSUER_ID).toString(), AUDIENCE,
        new ClaimsMapping("roles", List.of("mfa"), List.of()), Clock.systemUTC(), Duration.ofSeconds(5));
  }

  @AfterAll
  static void stop() {
    idp.shutdown();
  }

  private static String token(String issuerId, String audience, long expirySeconds) {
    // To Custos the token is opaque; "JWT" because mock-oauth2-server's own introspection only accepts that typ.
    return idp.issueToken(issuerId, "agent-client", new DefaultOAuth2TokenCallback(issuerId, "dr-alice", "JWT",
        List.of(audience), Map.of("scope", "user/*.rs", "roles", List.of("clinician"), "amr", List.of("pwd", "mfa"),
            "fhirUser", "Practitioner/p1", "auth_time", Instant.now().getEpochSecond()), expirySeconds)).serialize();
  }

  @Test
  void anActiveTokenForThisResourceBecomesACaller() {
    Caller c = authenticator.authenticate(Optional.of(token(ISSUER_ID, AUDIENCE, 600)));
    assertThat(c.subject()).isEqualTo("dr-alice");
    assertThat(c.scopes()).contains("user/*.rs");
    assertThat(c.expiresAt()).isAfter(Instant.now());
    // mock-oauth2-server's introspection response carries only the standard RFC 7662 members, not the custom
    // roles/amr claims: nothing is invented, so this caller has no role and no MFA evidence and Authorize
    // would refuse it clinical data. (IdPs such as Keycloak return all claims on introspection.)
    assertThat(c.roles()).isEmpty();
    assertThat(c.mfa()).isFalse();
  }

  @Test
  void aTokenForAnotherResourceIsRefused() {
    assertThatThrownBy(() -> authenticator.authenticate(Optional.of(token(ISSUER_ID, "https://other.example/mcp", 600))))
        .isInstanceOf(AuthenticationException.class).extracting("error").isEqualTo("invalid_token");
  }

  @Test
  void anExpiredTokenIsRefused() {
    assertThatThrownBy(() -> authenticator.authenticate(Optional.of(token(ISSUER_ID, AUDIENCE, -300))))
        .isInstanceOf(AuthenticationException.class).extracting("error").isEqualTo("invalid_token");
  }

  @Test
  void garbageAndMissingTokensAreRefused() {
    assertThatThrownBy(() -> authenticator.authenticate(Optional.of("not-a-token")))
        .isInstanceOf(AuthenticationException.class).extracting("error").isEqualTo("invalid_token");
    assertThatThrownBy(() -> authenticator.authenticate(Optional.empty()))
        .isInstanceOf(AuthenticationException.class).extracting("error").isNull();
  }
}
