package io.custos.auth;

import com.nimbusds.oauth2.sdk.TokenIntrospectionRequest;
import com.nimbusds.oauth2.sdk.TokenIntrospectionResponse;
import com.nimbusds.oauth2.sdk.TokenIntrospectionSuccessResponse;
import com.nimbusds.oauth2.sdk.auth.ClientSecretBasic;
import com.nimbusds.oauth2.sdk.auth.Secret;
import com.nimbusds.oauth2.sdk.http.HTTPRequest;
import com.nimbusds.oauth2.sdk.id.Audience;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.token.BearerAccessToken;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opaque access tokens validated by OAuth 2.0 Token Introspection (RFC 7662), on every request, with the
 * Nimbus OAuth 2.0 SDK. A token is accepted only if the authorization server says it is {@code active},
 * its {@code iss} (when given) is the configured issuer, its {@code aud} contains this server's canonical
 * resource URI (RFC 8707), it has a {@code sub}, and it is unexpired. Custos authenticates to the
 * introspection endpoint with HTTP Basic client credentials. Failures give {@code invalid_token} only.
 */
public final class IntrospectionAuthenticator implements Authenticator {
  private static final Logger log = LoggerFactory.getLogger(IntrospectionAuthenticator.class);

  private final URI endpoint;
  private final ClientSecretBasic client;
  private final String issuer;
  private final String audience;
  private final ClaimsMapping claims;
  private final Clock clock;
  private final Duration timeout;

  /**
   * @param endpoint     the authorization server's introspection endpoint
   * @param clientId     Custos's client id at the authorization server
   * @param clientSecret its secret (read from a file by the caller; never logged)
   * @param issuer       expected {@code iss}
   * @param audience     canonical resource URI that {@code aud} must contain
   * @param claims       claim mapping to a {@link Caller}
   * @param timeout      connect and read timeout of the introspection call
   */
  public IntrospectionAuthenticator(URI endpoint, String clientId, String clientSecret, String issuer, String audience,
      ClaimsMapping claims, Clock clock, Duration timeout) {
    this.endpoint = endpoint;
    this.client = new ClientSecretBasic(new ClientID(clientId), new Secret(clientSecret));
    this.issuer = issuer;
    this.audience = audience;
    this.claims = claims;
    this.clock = clock;
    this.timeout = timeout;
  }

  @Override
  public Caller authenticate(Optional<String> bearerToken) {
    String token = bearerToken.filter(t -> !t.isBlank())
        .orElseThrow(() -> new AuthenticationException(null, "no bearer token"));
    TokenIntrospectionResponse response;
    try {
      HTTPRequest request = new TokenIntrospectionRequest(endpoint, client, new BearerAccessToken(token)).toHTTPRequest();
      request.setConnectTimeout((int) timeout.toMillis());
      request.setReadTimeout((int) timeout.toMillis());
      response = TokenIntrospectionResponse.parse(request.send());
    } catch (Exception e) {
      log.warn("token introspection failed: {}", e.getClass().getSimpleName());
      throw new AuthenticationException("invalid_token", "introspection unavailable");
    }
    if (!(response instanceof TokenIntrospectionSuccessResponse ok) || !ok.isActive()) {
      throw refused("inactive token");
    }
    if (ok.getIssuer() != null && !ok.getIssuer().getValue().equals(issuer)) {
      throw refused("wrong issuer");
    }
    if (ok.getAudience() == null || ok.getAudience().stream().map(Audience::getValue).noneMatch(audience::equals)) {
      throw refused("wrong audience");
    }
    Instant exp = ok.getExpirationTime() == null ? null : ok.getExpirationTime().toInstant();
    if (ok.getSubject() == null || exp == null || !exp.isAfter(clock.instant())) {
      throw refused("no subject or expired");
    }
    Map<String, Object> all = ok.toJSONObject();
    return claims.toCaller(all, exp, ok.getJWTID() != null ? ok.getJWTID().getValue() : token, token);
  }

  private static AuthenticationException refused(String category) {
    log.info("bearer token refused: {}", category);
    return new AuthenticationException("invalid_token", category);
  }
}
