package io.custos.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The identity provider's JWKS becomes unreachable: mock-oauth2-server is shut down after Custos fetched
 * its keys. Cached keys keep validating tokens until the cache lifetime ends; then every token is refused with
 * {@code invalid_token} (the HTTP filter turns that into 401 with a {@code WWW-Authenticate} challenge), quickly,
 * not after a hang; when the provider is back, tokens validate again. Production lifetime: 5 minutes
 * ({@link JwtAuthenticator#JWKS_CACHE}); this test uses 3 seconds.
 */
class JwksOutageTest {
  static final String AUDIENCE = "https://custos.test/mcp";
  static final String ISSUER_ID = "custos";
  static final Duration LIFETIME = Duration.ofSeconds(3);

  MockOAuth2Server oauth;

  @AfterEach
  void stop() {
    if (oauth != null) {
      oauth.shutdown();
    }
  }

  static String token(MockOAuth2Server server, String subject) {
    Map<String, Object> claims = Map.of("scope", "user/*.rs", "roles", List.of("clinician"), "amr", List.of("mfa"),
        "client_id", "c1", "fhirUser", "Practitioner/" + subject);
    return server.issueToken(ISSUER_ID, "c1", new DefaultOAuth2TokenCallback(ISSUER_ID, subject, "at+jwt", List.of(AUDIENCE),
        claims, 3600)).serialize();
  }

  @Test
  void cachedKeysWorkUntilTheyExpireThenAClearRefusalThenRecovery() throws Exception {
    oauth = new MockOAuth2Server();
    oauth.start(InetAddress.getByName("127.0.0.1"), 0);
    int port = oauth.baseUrl().port();
    String issuer = oauth.issuerUrl(ISSUER_ID).toString();
    JwtAuthenticator auth = JwtAuthenticator.remote(ForgedTokenTest.settings(issuer), oauth.jwksUrl(ISSUER_ID).toString(), LIFETIME);
    String alice = token(oauth, "alice");
    assertThat(auth.authenticate(Optional.of(alice)).subject()).isEqualTo("alice");
    long fetchedAt = System.nanoTime();

    oauth.shutdown(); // JWKS endpoint now refuses connections
    oauth = null;

    // within the cache lifetime the cached keys keep working
    assertThat(auth.authenticate(Optional.of(alice)).subject()).isEqualTo("alice");
    // a token signed by a key the cache does not know cannot be checked: refused at once
    MockOAuth2Server other = new MockOAuth2Server();
    other.start(InetAddress.getByName("127.0.0.1"), 0);
    String foreignKid;
    try {
      foreignKid = token(other, "mallory");
    } finally {
      other.shutdown();
    }
    assertThatThrownBy(() -> auth.authenticate(Optional.of(foreignKid))).isInstanceOf(AuthenticationException.class)
        .satisfies(e -> assertThat(((AuthenticationException) e).error()).isEqualTo("invalid_token"));

    // after the lifetime: a clear refusal, quickly (no hang on the unreachable provider)
    long wait = LIFETIME.toMillis() + 500 - Duration.ofNanos(System.nanoTime() - fetchedAt).toMillis();
    if (wait > 0) {
      Thread.sleep(wait);
    }
    long t0 = System.nanoTime();
    assertThatThrownBy(() -> auth.authenticate(Optional.of(alice))).isInstanceOf(AuthenticationException.class)
        .satisfies(e -> assertThat(((AuthenticationException) e).error()).isEqualTo("invalid_token"));
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
    // and it stays refused while the provider is down
    assertThatThrownBy(() -> auth.authenticate(Optional.of(alice))).isInstanceOf(AuthenticationException.class);

    // the provider comes back (same issuer URL, new signing keys): new tokens validate again after the rate limit
    oauth = new MockOAuth2Server();
    oauth.start(InetAddress.getByName("127.0.0.1"), port);
    String fresh = token(oauth, "alice");
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    Caller back = null;
    while (back == null && System.nanoTime() < deadline) {
      try {
        back = auth.authenticate(Optional.of(fresh));
      } catch (AuthenticationException e) {
        Thread.sleep(250);
      }
    }
    assertThat(back).as("tokens validate again once the JWKS is reachable").isNotNull();
    assertThat(back.subject()).isEqualTo("alice");
  }

  @Test
  void theProductionAuthenticatorRidesOutAnOutageOnCachedKeys() throws Exception {
    oauth = new MockOAuth2Server();
    oauth.start(InetAddress.getByName("127.0.0.1"), 0);
    JwtAuthenticator auth = JwtAuthenticator.remote(ForgedTokenTest.settings(oauth.issuerUrl(ISSUER_ID).toString()),
        oauth.jwksUrl(ISSUER_ID).toString());
    String alice = token(oauth, "alice");
    assertThat(auth.authenticate(Optional.of(alice)).subject()).isEqualTo("alice");
    oauth.shutdown();
    oauth = null;
    assertThat(auth.authenticate(Optional.of(alice)).subject()).as("keys cached by the production JWKS source").isEqualTo("alice");
  }
}
