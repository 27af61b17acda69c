package io.custos.devidp;

import java.net.InetAddress;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;

/**
 * DEMO ONLY: a development OAuth 2 / OIDC identity provider (mock-oauth2-server) on 127.0.0.1 for
 * {@code custos demo}. It signs real RS256 JWT access tokens (RFC 9068, {@code typ: at+jwt}) that Custos
 * validates exactly as it would a production IdP's. It mints one token for the demo clinician and prints,
 * as the single line on standard output:
 * {@code {"issuer": URL, "jwks_uri": URL, "token": JWT, "expires_at": ISO-8601}}. It runs until killed.
 *
 * <p>Arguments: {@code --audience URI --fhir-user Practitioner/ID [--subject S] [--hours H]}.
 */
public final class DevIdentityProvider {
  static final String ISSUER_ID = "custos-demo";

  private DevIdentityProvider() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new LinkedHashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      opts.put(args[i], args[i + 1]);
    }
    String audience = require(opts, "--audience");
    String fhirUser = require(opts, "--fhir-user");
    String subject = opts.getOrDefault("--subject", "demo-clinician");
    long hours = Long.parseLong(opts.getOrDefault("--hours", "12"));

    MockOAuth2Server server = new MockOAuth2Server();
    server.start(InetAddress.getByName("127.0.0.1"), 0);
    Runtime.getRuntime().addShutdownHook(new Thread(server::shutdown));

    Map<String, Object> claims = new LinkedHashMap<>();
    claims.put("scope", "openid fhirUser user/*.rs");
    claims.put("roles", List.of("clinician"));
    claims.put("fhirUser", fhirUser);
    claims.put("amr", List.of("pwd", "otp", "mfa")); // the demo clinician signed in with two factors
    claims.put("auth_time", Instant.now().getEpochSecond());
    claims.put("client_id", "custos-demo-client");
    String token = server.issueToken(ISSUER_ID, "custos-demo-client",
        new DefaultOAuth2TokenCallback(ISSUER_ID, subject, "at+jwt", List.of(audience), claims, hours * 3600)).serialize();
    Instant expires = Instant.now().plusSeconds(hours * 3600);
    System.out.println("{\"issuer\":\"" + server.issuerUrl(ISSUER_ID) + "\",\"jwks_uri\":\"" + server.jwksUrl(ISSUER_ID)
        + "\",\"token\":\"" + token + "\",\"expires_at\":\"" + expires + "\"}");
    System.out.flush();
    Thread.currentThread().join();
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
