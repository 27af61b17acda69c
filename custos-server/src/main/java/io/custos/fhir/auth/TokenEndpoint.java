package io.custos.fhir.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.oauth2.sdk.AuthorizationGrant;
import com.nimbusds.oauth2.sdk.ParseException;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.TokenResponse;
import com.nimbusds.oauth2.sdk.auth.ClientAuthentication;
import com.nimbusds.oauth2.sdk.auth.ClientSecretBasic;
import com.nimbusds.oauth2.sdk.auth.PrivateKeyJWT;
import com.nimbusds.oauth2.sdk.auth.Secret;
import com.nimbusds.oauth2.sdk.http.HTTPRequest;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.token.AccessToken;
import io.custos.fhir.UpstreamException;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A confidential client of the upstream's identity provider (Nimbus OAuth 2.0 SDK): posts one token request
 * and returns the access token with its expiry. Client authentication is either {@code client_secret_basic}
 * with the secret read from a file, or {@code private_key_jwt} (SMART Backend Services: a fresh, short-lived
 * assertion signed with the key in a JWK file, per request). Failures become {@link UpstreamException}s without
 * the identity provider's error text.
 */
public final class TokenEndpoint {
  private static final Logger log = LoggerFactory.getLogger(TokenEndpoint.class);

  /** An access token and when it stops being usable. */
  public record Issued(String accessToken, Instant expires) {
    @Override
    public String toString() {
      return "Issued[expires=" + expires + "]";
    }
  }

  private final URI endpoint;
  private final ClientID clientId;
  private final Secret secret;
  private final JWK privateKey;
  private final Duration timeout;
  private final Clock clock;

  private TokenEndpoint(URI endpoint, String clientId, Secret secret, JWK privateKey, Duration timeout, Clock clock) {
    this.endpoint = endpoint;
    this.clientId = new ClientID(clientId);
    this.secret = secret;
    this.privateKey = privateKey;
    this.timeout = timeout;
    this.clock = clock;
  }

  /**
   * @param secretFile     file holding the client secret (first line), or null
   * @param privateKeyFile file holding a private JWK (RSA or EC, with {@code kid}) for {@code private_key_jwt}, or null
   * @throws IOException if the file cannot be read or parsed
   */
  public static TokenEndpoint of(URI endpoint, String clientId, Path secretFile, Path privateKeyFile, Duration timeout, Clock clock)
      throws IOException {
    if ((secretFile == null) == (privateKeyFile == null)) {
      throw new IllegalArgumentException("exactly one of a client secret file and a private key file is required");
    }
    if (secretFile != null) {
      String s = Files.readString(secretFile, StandardCharsets.UTF_8).strip();
      return new TokenEndpoint(endpoint, clientId, new Secret(s), null, timeout, clock);
    }
    try {
      JWK key = JWK.parse(Files.readString(privateKeyFile, StandardCharsets.UTF_8));
      if (!key.isPrivate() || !(key instanceof RSAKey || key instanceof ECKey)) {
        throw new IOException("private key file must hold a private RSA or EC JWK");
      }
      return new TokenEndpoint(endpoint, clientId, null, key, timeout, clock);
    } catch (java.text.ParseException e) {
      throw new IOException("private key file is not a JWK");
    }
  }

  /**
   * Requests a token.
   *
   * @param grant     the grant (client credentials, token exchange)
   * @param scope     requested scope, or null
   * @param resources RFC 8707 resource indicators, may be empty
   * @throws UpstreamException DENIED when the identity provider refuses, UNAVAILABLE when it cannot be reached
   */
  public Issued request(AuthorizationGrant grant, Scope scope, List<URI> resources) {
    try {
      TokenRequest.Builder b = new TokenRequest.Builder(endpoint, authentication(), grant);
      if (scope != null) {
        b.scope(scope);
      }
      if (!resources.isEmpty()) {
        b.resources(resources.toArray(URI[]::new));
      }
      HTTPRequest http = b.build().toHTTPRequest();
      http.setConnectTimeout((int) timeout.toMillis());
      http.setReadTimeout((int) timeout.toMillis());
      TokenResponse response = TokenResponse.parse(http.send());
      if (!response.indicatesSuccess()) {
        // The error object may echo request values; log only the standard error code.
        log.warn("upstream token request refused: {}", response.toErrorResponse().getErrorObject().getCode());
        throw new UpstreamException(UpstreamException.Kind.DENIED, 0);
      }
      AccessToken token = response.toSuccessResponse().getTokens().getAccessToken();
      long lifetime = token.getLifetime() > 0 ? token.getLifetime() : 300;
      return new Issued(token.getValue(), clock.instant().plusSeconds(lifetime));
    } catch (IOException e) {
      log.warn("upstream token endpoint unreachable: {}", e.getClass().getSimpleName());
      throw new UpstreamException(UpstreamException.Kind.UNAVAILABLE, 0);
    } catch (ParseException | JOSEException e) {
      log.warn("upstream token request failed: {}", e.getClass().getSimpleName());
      throw new UpstreamException(UpstreamException.Kind.INVALID_RESPONSE, 0);
    }
  }

  private ClientAuthentication authentication() throws JOSEException {
    if (secret != null) {
      return new ClientSecretBasic(clientId, secret);
    }
    // SMART Backend Services: iss = sub = client id, aud = token endpoint, exp <= 5 minutes, unique jti.
    if (privateKey instanceof RSAKey rsa) {
      return new PrivateKeyJWT(clientId, endpoint, JWSAlgorithm.RS384, rsa.toRSAPrivateKey(), rsa.getKeyID(), null);
    }
    ECKey ec = (ECKey) privateKey;
    return new PrivateKeyJWT(clientId, endpoint, com.nimbusds.jose.crypto.impl.ECDSA.resolveAlgorithm(ec.getCurve()),
        ec.toECPrivateKey(), ec.getKeyID(), null);
  }
}
