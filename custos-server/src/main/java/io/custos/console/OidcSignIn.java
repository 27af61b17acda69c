package io.custos.console;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.oauth2.sdk.AuthorizationCode;
import com.nimbusds.oauth2.sdk.AuthorizationCodeGrant;
import com.nimbusds.oauth2.sdk.ResponseType;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.TokenResponse;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.id.Issuer;
import com.nimbusds.oauth2.sdk.id.State;
import com.nimbusds.oauth2.sdk.pkce.CodeChallengeMethod;
import com.nimbusds.oauth2.sdk.pkce.CodeVerifier;
import com.nimbusds.openid.connect.sdk.AuthenticationRequest;
import com.nimbusds.openid.connect.sdk.Nonce;
import com.nimbusds.openid.connect.sdk.OIDCTokenResponse;
import com.nimbusds.openid.connect.sdk.OIDCTokenResponseParser;
import com.nimbusds.openid.connect.sdk.op.OIDCProviderMetadata;
import com.nimbusds.openid.connect.sdk.validators.IDTokenValidator;
import java.net.URI;
import java.time.Duration;
import java.util.Map;

/**
 * The console's OpenID Connect relying party: authorization code flow (OpenID Connect Core 1.0 section 3.1) with PKCE
 * ({@code S256}, RFC 7636), {@code state} against cross-site request forgery of the callback and {@code nonce}
 * against ID token replay. The provider is found by discovery ({@code /.well-known/openid-configuration} under the
 * issuer); the ID token is validated (signature by the provider's JWKS, {@code iss}, {@code aud} = the console's
 * client id, {@code exp}/{@code iat} with 60 s skew, {@code nonce}) before any claim is read.
 */
public final class OidcSignIn {
  /** What a sign-in in flight keeps on the server (never in the browser): state, nonce and the PKCE verifier. */
  record Pending(State state, Nonce nonce, CodeVerifier verifier) {}

  /** A validated ID token's claims. */
  record Identity(JWTClaimsSet claims, String accessToken) {}

  private final ClientID client;
  private final URI redirect;
  private final Duration timeout;
  private volatile OIDCProviderMetadata provider;
  private volatile IDTokenValidator validator;
  private final Issuer issuer;

  /**
   * @param issuer   the identity provider's issuer URL ({@code identity.issuer})
   * @param clientId the console's client id
   * @param redirect the console's callback URL, {@code https://host:port/console/callback}
   * @param timeout  bound of each request to the provider
   */
  OidcSignIn(String issuer, String clientId, URI redirect, Duration timeout) {
    this.issuer = new Issuer(issuer);
    this.client = new ClientID(clientId);
    this.redirect = redirect;
    this.timeout = timeout;
  }

  /** Starts a sign-in: a fresh state, nonce and verifier, and the provider's authorization URL to send the browser to. */
  URI start(Pending pending) throws Exception {
    return new AuthenticationRequest.Builder(new ResponseType(ResponseType.Value.CODE), new Scope("openid"), client, redirect)
        .endpointURI(provider().getAuthorizationEndpointURI())
        .state(pending.state())
        .nonce(pending.nonce())
        .codeChallenge(pending.verifier(), CodeChallengeMethod.S256)
        .build().toURI();
  }

  /** The console's public origin, {@code scheme://host[:port]} of its callback. */
  String origin() {
    return redirect.getScheme() + "://" + redirect.getRawAuthority();
  }

  /** The console's client id (the {@code aud} of every ID token it accepts). */
  String clientId() {
    return client.getValue();
  }

  static Pending newPending() {
    return new Pending(new State(), new Nonce(), new CodeVerifier());
  }

  /**
   * Redeems the authorization code with the PKCE verifier and validates the ID token.
   *
   * @throws Exception when the provider refuses, or the ID token does not validate (nothing of it is then used)
   */
  Identity finish(Pending pending, String code) throws Exception {
    TokenRequest request = new TokenRequest.Builder(provider().getTokenEndpointURI(), client,
        new AuthorizationCodeGrant(new AuthorizationCode(code), redirect, pending.verifier())).build();
    var http = request.toHTTPRequest();
    http.setConnectTimeout((int) timeout.toMillis());
    http.setReadTimeout((int) timeout.toMillis());
    TokenResponse response = OIDCTokenResponseParser.parse(http.send());
    if (!response.indicatesSuccess()) {
      throw new SecurityException("the identity provider refused the authorization code");
    }
    OIDCTokenResponse ok = (OIDCTokenResponse) response.toSuccessResponse();
    JWTClaimsSet claims = validator().validate(ok.getOIDCTokens().getIDToken(), pending.nonce()).toJWTClaimsSet();
    return new Identity(claims, ok.getOIDCTokens().getAccessToken().getValue());
  }

  /** The claims of a validated ID token as plain Java values (for {@code ClaimsMapping}). */
  static Map<String, Object> claims(JWTClaimsSet set) {
    return set.toJSONObject();
  }

  private OIDCProviderMetadata provider() throws Exception {
    OIDCProviderMetadata p = provider;
    if (p == null) {
      provider = p = OIDCProviderMetadata.resolve(issuer, (int) timeout.toMillis(), (int) timeout.toMillis());
    }
    return p;
  }

  private IDTokenValidator validator() throws Exception {
    IDTokenValidator v = validator;
    if (v == null) {
      OIDCProviderMetadata p = provider();
      v = new IDTokenValidator(issuer, client, JWSAlgorithm.RS256, p.getJWKSetURI().toURL());
      v.setMaxClockSkew(60);
      validator = v;
    }
    return v;
  }
}
