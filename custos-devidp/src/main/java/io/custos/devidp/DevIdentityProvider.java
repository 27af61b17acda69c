package io.custos.devidp;

import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.oauth2.sdk.AuthorizationCodeGrant;
import com.nimbusds.oauth2.sdk.OAuth2Error;
import com.nimbusds.oauth2.sdk.TokenRequest;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.OAuth2Config;
import no.nav.security.mock.oauth2.OAuth2Exception;
import no.nav.security.mock.oauth2.http.OAuth2HttpRequest;
import no.nav.security.mock.oauth2.http.OAuth2HttpRequestHandler;
import no.nav.security.mock.oauth2.http.OAuth2HttpResponse;
import no.nav.security.mock.oauth2.http.Route;
import no.nav.security.mock.oauth2.token.OAuth2TokenCallback;
import no.nav.security.mock.oauth2.token.OAuth2TokenProvider;

/**
 * DEMO ONLY: a development OAuth 2 / OIDC identity provider (mock-oauth2-server) on 127.0.0.1 for
 * {@code custos demo}. It signs real RS256 JWT access tokens (RFC 9068, {@code typ: at+jwt}) that Custos validates
 * exactly as it would a production IdP's, one demo user per role.
 *
 * <p>Arguments: {@code --audience URI --identities FILE [--hours H]}. The identities file is a JSON object
 * {@code {"<role>": {"sub": S, "claims": {...}}}}: per demo role the subject and the claims of its tokens
 * ({@code scope}, {@code roles}, {@code fhirUser}, SMART {@code patient}). Every token also carries
 * {@code amr = [pwd, otp, mfa]} (the demo users sign in with two factors), {@code auth_time} = the moment it is
 * minted (so break-the-glass, which needs a recent MFA sign-in, works with a fresh token) and {@code client_id}.
 *
 * <p>People sign in to the compliance console by OpenID Connect authorization code with PKCE (RFC 7636) on the
 * provider's interactive login page: the username is the {@code sub} of a demo identity (for example
 * {@code demo-privacy-officer}); its claims, {@code amr = [pwd, otp, mfa]} and {@code auth_time} then go into the
 * ID token. Any other username signs in with only the claims typed on the page (no MFA evidence unless typed), which
 * is how the console's refusals are exercised.
 *
 * <p>Tokens come from the token endpoint (RFC 6749 &sect;4.4, client credentials; any client secret) with the extra
 * form parameter {@code demo_role=<role>}; an unknown role is refused with {@code invalid_request}. Standard output
 * gets one line, {@code {"issuer": URL, "jwks_uri": URL, "token_endpoint": URL, "authorization_endpoint": URL}}, then the provider runs until killed.
 * Tokens last {@code H} hours (default 12).
 */
public final class DevIdentityProvider {
  static final String ISSUER_ID = "custos-demo";
  static final String CLIENT_ID = "custos-demo-client";
  /**
   * The person's own application, as opposed to the agent's client: a token minted with {@code demo_client=approval-app}
   * carries this client id and can approve writes on Custos's approval page (the agent's client never can).
   */
  static final String APPROVAL_CLIENT_ID = "custos-demo-approval-app";
  static final String CLIENT_PARAMETER = "demo_client";
  /** Token request parameter naming the demo role. */
  static final String ROLE_PARAMETER = "demo_role";

  private DevIdentityProvider() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new LinkedHashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      opts.put(args[i], args[i + 1]);
    }
    String audience = require(opts, "--audience");
    Map<String, Object> identities = JSONObjectUtils.parse(Files.readString(Path.of(require(opts, "--identities"))));
    long hours = Long.parseLong(opts.getOrDefault("--hours", "12"));

    OAuth2Config config = new OAuth2Config(true, null, null, false, new OAuth2TokenProvider(),
        Set.of(new RoleTokens(audience, identities, hours * 3600)));
    MockOAuth2Server server = new MockOAuth2Server(config, new DemoLogins(new OAuth2HttpRequestHandler(config).getAuthorizationServer(),
        identities));
    server.start(InetAddress.getByName("127.0.0.1"), 0);
    Runtime.getRuntime().addShutdownHook(new Thread(server::shutdown));
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("issuer", server.issuerUrl(ISSUER_ID).toString());
    out.put("jwks_uri", server.jwksUrl(ISSUER_ID).toString());
    out.put("token_endpoint", server.tokenEndpointUrl(ISSUER_ID).toString());
    out.put("authorization_endpoint", server.authorizationEndpointUrl(ISSUER_ID).toString());
    System.out.println(JSONObjectUtils.toJSONString(out));
    System.out.flush();
    Thread.currentThread().join();
  }

  /** Mints the token of the demo role named by the request's {@value #ROLE_PARAMETER} parameter. */
  record RoleTokens(String audience, Map<String, Object> identities, long expirySeconds) implements OAuth2TokenCallback {
    @Override
    public String issuerId() {
      return ISSUER_ID;
    }

    @Override
    public String subject(TokenRequest request) {
      return (String) identity(request).get("sub");
    }

    @Override
    public String typeHeader(TokenRequest request) {
      // An ID token (authorization code grant) is a plain JWT (OpenID Connect Core 1.0 section 2).
      return signIn(request) ? "JWT" : "at+jwt";
    }

    @Override
    public List<String> audience(TokenRequest request) {
      return List.of(audience);
    }

    @Override
    @SuppressWarnings("unchecked")
    public Map<String, Object> addClaims(TokenRequest request) {
      if (signIn(request)) {
        // The signed-in person's claims come from the login (see DemoLogins); the client is the one that signed in.
        return new LinkedHashMap<>(Map.of("client_id", request.getClientID().getValue()));
      }
      Map<String, Object> claims = new LinkedHashMap<>((Map<String, Object>) identity(request).get("claims"));
      claims.put("amr", List.of("pwd", "otp", "mfa"));
      claims.put("auth_time", Instant.now().getEpochSecond());
      List<String> client = request.getCustomParameters().get(CLIENT_PARAMETER);
      claims.put("client_id", client != null && client.equals(List.of("approval-app")) ? APPROVAL_CLIENT_ID : CLIENT_ID);
      return claims;
    }

    @Override
    public long tokenExpiry() {
      return expirySeconds;
    }

    private static boolean signIn(TokenRequest request) {
      return request.getAuthorizationGrant() instanceof AuthorizationCodeGrant;
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> identity(TokenRequest request) {
      List<String> role = request.getCustomParameters().get(ROLE_PARAMETER);
      Object identity = role == null || role.size() != 1 ? null : identities.get(role.get(0));
      if (!(identity instanceof Map<?, ?> map)) {
        throw new OAuth2Exception(OAuth2Error.INVALID_REQUEST, "unknown or missing " + ROLE_PARAMETER);
      }
      return (Map<String, Object>) map;
    }
  }

  /**
   * Every request passes here first: a login form posted with a demo identity's {@code sub} as username gets that
   * identity's claims plus two-factor evidence ({@code amr}) and {@code auth_time} in its {@code claims} field;
   * everything else reaches the provider unchanged.
   */
  record DemoLogins(Route provider, Map<String, Object> identities) implements Route {
    @Override
    public boolean match(OAuth2HttpRequest request) {
      return true;
    }

    @Override
    @SuppressWarnings("unchecked")
    public OAuth2HttpResponse invoke(OAuth2HttpRequest request) {
      if (!"POST".equals(request.getMethod()) || !request.getUrl().encodedPath().endsWith("/authorize")) {
        return provider.invoke(request);
      }
      Map<String, String> form = new LinkedHashMap<>();
      for (String pair : request.getBody().split("&")) {
        int eq = pair.indexOf('=');
        if (eq > 0) {
          form.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
              URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
      }
      String username = form.getOrDefault("username", "");
      for (Object identity : identities.values()) {
        if (identity instanceof Map<?, ?> id && username.equals(id.get("sub"))) {
          Map<String, Object> claims = new LinkedHashMap<>((Map<String, Object>) id.get("claims"));
          claims.put("amr", List.of("pwd", "otp", "mfa"));
          claims.put("auth_time", Instant.now().getEpochSecond());
          String body = "username=" + URLEncoder.encode(username, StandardCharsets.UTF_8) + "&claims="
              + URLEncoder.encode(JSONObjectUtils.toJSONString(claims), StandardCharsets.UTF_8);
          return provider.invoke(request.copy(request.getHeaders(), request.getMethod(), request.getOriginalUrl(), body));
        }
      }
      return provider.invoke(request);
    }
  }

  private static String require(Map<String, String> opts, String name) {
    String v = opts.get(name);
    if (v == null || v.isBlank()) {
      System.err.println("devidp: missing " + name);
      System.exit(2);
    }
    return v;
  }
}
