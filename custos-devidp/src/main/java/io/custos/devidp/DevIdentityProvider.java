package io.custos.devidp;

import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.oauth2.sdk.OAuth2Error;
import com.nimbusds.oauth2.sdk.TokenRequest;
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
 * <p>Tokens come from the token endpoint (RFC 6749 &sect;4.4, client credentials; any client secret) with the extra
 * form parameter {@code demo_role=<role>}; an unknown role is refused with {@code invalid_request}. Standard output
 * gets one line, {@code {"issuer": URL, "jwks_uri": URL, "token_endpoint": URL}}, then the provider runs until killed.
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

    MockOAuth2Server server = new MockOAuth2Server(new OAuth2Config(false, null, null, false, new OAuth2TokenProvider(),
        Set.of(new RoleTokens(audience, identities, hours * 3600))));
    server.start(InetAddress.getByName("127.0.0.1"), 0);
    Runtime.getRuntime().addShutdownHook(new Thread(server::shutdown));
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("issuer", server.issuerUrl(ISSUER_ID).toString());
    out.put("jwks_uri", server.jwksUrl(ISSUER_ID).toString());
    out.put("token_endpoint", server.tokenEndpointUrl(ISSUER_ID).toString());
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
      return "at+jwt";
    }

    @Override
    public List<String> audience(TokenRequest request) {
      return List.of(audience);
    }

    @Override
    @SuppressWarnings("unchecked")
    public Map<String, Object> addClaims(TokenRequest request) {
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

  private static String require(Map<String, String> opts, String name) {
    String v = opts.get(name);
    if (v == null || v.isBlank()) {
      System.err.println("devidp: missing " + name);
      System.exit(2);
    }
    return v;
  }
}
