package io.custos.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The forged-token catalogue: every case must be refused with
 * RFC 6750 {@code invalid_token}, and the internal message must not quote claim values.
 *
 * <p>Tokens come from a REAL OAuth server (mock-oauth2-server) and are validated by
 * {@link JwtAuthenticator#remote} against that server's JWKS over HTTP. Forgeries are derived from real
 * tokens (same claims, tampered header or signature) or signed with an attacker key. Three cases need a
 * signature that only the test can make, because the real server never signs attacker-shaped tokens: an
 * unknown {@code crit} header, an all-zero ECDSA signature checked against a real EC key, and a future
 * {@code nbf} (mock-oauth2-server always sets {@code nbf} to the issue time). Those use a
 * {@link JwtAuthenticator} over an {@link ImmutableJWKSet} of test keys, each with a control token from the
 * same keys that IS accepted, so the refusal is due to the defect alone.
 */
class ForgedTokenTest {
  static final String ISSUER_ID = "custos";
  static final String AUDIENCE = "https://custos.test/mcp";
  static final String CLIENT = "custos-test-client";
  static final String SUBJECT = "alice-7f3c91";
  static final String FHIR_USER = "Practitioner/prac-4711";
  static final String SCOPE = "openid fhirUser user/*.rs";
  static final String LOCAL_ISSUER = "https://idp.test/realms/custos";

  static MockOAuth2Server oauth;
  static String issuer;
  static JwtAuthenticator remote;
  static RSAKey issuerKey; // the real issuer's public key, as published in its JWKS

  // Test keys for the cases the real server will not sign (see class comment).
  static RSAKey localRsa;
  static ECKey localEc;
  static JwtAuthenticator local;

  @BeforeAll
  static void start() throws Exception {
    oauth = new MockOAuth2Server();
    oauth.start(InetAddress.getByName("127.0.0.1"), 0);
    issuer = oauth.issuerUrl(ISSUER_ID).toString();
    remote = JwtAuthenticator.remote(settings(issuer), oauth.jwksUrl(ISSUER_ID).toString());
    // Make the issuer create its signing key, then read it the way an attacker would: from the public JWKS.
    oauth.issueToken(ISSUER_ID, CLIENT, callback(SUBJECT, "at+jwt", List.of(AUDIENCE), claims(), 60));
    JWKSet published = JWKSet.load(URI.create(oauth.jwksUrl(ISSUER_ID).toString()).toURL());
    issuerKey = published.getKeys().stream().filter(k -> k instanceof RSAKey).map(RSAKey.class::cast).findFirst().orElseThrow();
    assertThat(issuerKey.isPrivate()).isFalse();

    localRsa = new RSAKeyGenerator(2048).keyID("test-rsa").generate();
    localEc = new ECKeyGenerator(Curve.P_256).keyID("test-ec").generate();
    List<JWK> keys = List.of(localRsa.toPublicJWK(), localEc.toPublicJWK());
    local = new JwtAuthenticator(settings(LOCAL_ISSUER), new ImmutableJWKSet<SecurityContext>(new JWKSet(keys)));
  }

  @AfterAll
  static void stop() {
    if (oauth != null) {
      oauth.shutdown();
    }
  }

  static JwtAuthenticator.Settings settings(String issuer) {
    return new JwtAuthenticator.Settings(issuer, AUDIENCE, List.of("at+jwt", "application/at+jwt"),
        List.of("RS256", "PS256", "ES256"), Duration.ofSeconds(60), "roles", List.of("mfa"), List.of());
  }

  static Map<String, Object> claims() {
    Map<String, Object> c = new HashMap<>();
    c.put("scope", SCOPE);
    c.put("amr", List.of("pwd", "mfa"));
    c.put("roles", List.of("clinician"));
    c.put("fhirUser", FHIR_USER);
    c.put("client_id", CLIENT);
    c.put("auth_time", Instant.now().minusSeconds(30).getEpochSecond());
    return c;
  }

  static DefaultOAuth2TokenCallback callback(String subject, String typ, List<String> aud, Map<String, Object> claims,
      long expirySeconds) {
    return new DefaultOAuth2TokenCallback(ISSUER_ID, subject, typ, aud, claims, expirySeconds);
  }

  /** A real access token from the mock issuer. */
  static SignedJWT realToken(String typ, List<String> aud, long expirySeconds) {
    return oauth.issueToken(ISSUER_ID, CLIENT, callback(SUBJECT, typ, aud, claims(), expirySeconds));
  }

  static SignedJWT realToken() {
    return realToken("at+jwt", List.of(AUDIENCE), 3600);
  }

  /** Values that must never appear in the internal refusal message. */
  static List<String> claimValues() {
    return List.of(SUBJECT, CLIENT, FHIR_USER, "prac-4711", AUDIENCE, "custos.test", "user/*.rs", "clinician", issuer,
        LOCAL_ISSUER, "127.0.0.1", "attacker");
  }

  static void assertRefused(Authenticator authenticator, String token) {
    assertThatThrownBy(() -> authenticator.authenticate(Optional.of(token)))
        .as("token must be refused: %s", token.length() > 80 ? token.substring(0, 80) + "..." : token)
        .isInstanceOfSatisfying(AuthenticationException.class, e -> {
          assertThat(e.error()).isEqualTo("invalid_token");
          assertThat(e.getMessage()).isNotBlank();
          for (String value : claimValues()) {
            assertThat(e.getMessage()).doesNotContainIgnoringCase(value);
          }
          assertThat(e.getCause()).isNull();
        });
  }

  static String b64(String json) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }

  static String sign(JWSHeader header, JWTClaimsSet claims, JWSSigner signer) throws Exception {
    SignedJWT jwt = new SignedJWT(header, claims);
    jwt.sign(signer);
    return jwt.serialize();
  }

  static JWTClaimsSet localClaims(Instant nbf, Instant exp) {
    JWTClaimsSet.Builder b = new JWTClaimsSet.Builder().issuer(LOCAL_ISSUER).subject(SUBJECT).audience(AUDIENCE)
        .issueTime(Date.from(Instant.now())).notBeforeTime(Date.from(nbf)).expirationTime(Date.from(exp))
        .jwtID(UUID.randomUUID().toString());
    claims().forEach(b::claim);
    return b.build();
  }

  static JWTClaimsSet localClaims() {
    return localClaims(Instant.now().minusSeconds(5), Instant.now().plusSeconds(600));
  }

  static JWSHeader.Builder localHeader(JWSAlgorithm alg, String kid) {
    return new JWSHeader.Builder(alg).keyID(kid).type(new JOSEObjectType("at+jwt"));
  }

  // --- positive case -------------------------------------------------------------------------

  @Test
  void validTokenFromRealIssuerYieldsTheCaller() throws Exception {
    long authTime = Instant.now().minusSeconds(42).getEpochSecond();
    Map<String, Object> c = claims();
    c.put("auth_time", authTime);
    SignedJWT token = oauth.issueToken(ISSUER_ID, CLIENT, callback(SUBJECT, "at+jwt", List.of(AUDIENCE), c, 3600));
    assertThat(token.getHeader().getAlgorithm()).isEqualTo(JWSAlgorithm.RS256);

    Caller caller = remote.authenticate(Optional.of(token.serialize()));

    assertThat(caller.subject()).isEqualTo(SUBJECT);
    assertThat(caller.clientId()).isEqualTo(CLIENT);
    assertThat(caller.scopes()).containsExactlyInAnyOrder("openid", "fhirUser", "user/*.rs");
    assertThat(caller.roles()).containsExactly("clinician");
    assertThat(caller.fhirUser()).contains(FHIR_USER);
    assertThat(caller.patientContext()).isEmpty();
    assertThat(caller.mfa()).isTrue();
    assertThat(caller.authTime()).contains(Instant.ofEpochSecond(authTime));
    assertThat(caller.expiresAt()).isAfter(Instant.now().plusSeconds(3000));
    assertThat(caller.tokenIdHash()).matches("[0-9a-f]{64}").doesNotContain(token.getJWTClaimsSet().getJWTID());
  }

  @Test
  void validTokenWithoutAmrIsAcceptedButCarriesNoMfa() {
    Map<String, Object> c = claims();
    c.remove("amr");
    SignedJWT token = oauth.issueToken(ISSUER_ID, CLIENT, callback(SUBJECT, "at+jwt", List.of(AUDIENCE), c, 3600));
    assertThat(remote.authenticate(Optional.of(token.serialize())).mfa()).isFalse();
  }

  @Test
  void localControlTokensAreAccepted() throws Exception {
    // The local key set accepts properly signed tokens: the local-key refusals below are due to their defect only.
    assertThat(local.authenticate(Optional.of(sign(localHeader(JWSAlgorithm.RS256, "test-rsa").build(), localClaims(),
        new RSASSASigner(localRsa)))).subject()).isEqualTo(SUBJECT);
    assertThat(local.authenticate(Optional.of(sign(localHeader(JWSAlgorithm.ES256, "test-ec").build(), localClaims(),
        new ECDSASigner(localEc)))).subject()).isEqualTo(SUBJECT);
  }

  // --- the catalogue -------------------------------------------------------------------------

  @Test
  void unsignedAlgNone() throws Exception {
    SignedJWT real = realToken();
    String[] parts = real.serialize().split("\\.");
    List<String> forgeries = new ArrayList<>();
    forgeries.add(new PlainJWT(real.getJWTClaimsSet()).serialize()); // {"alg":"none"}, empty signature
    for (String alg : List.of("none", "None", "NONE", "nOnE")) {
      String header = b64("{\"alg\":\"" + alg + "\",\"typ\":\"at+jwt\",\"kid\":\"" + issuerKey.getKeyID() + "\"}");
      forgeries.add(header + "." + parts[1] + ".");
      forgeries.add(header + "." + parts[1] + "." + parts[2]); // the real signature kept
    }
    forgeries.forEach(t -> assertRefused(remote, t));
  }

  @Test
  void hmacSignedWithTheIssuersRsaPublicKey() throws Exception {
    JWTClaimsSet claims = realToken().getJWTClaimsSet();
    byte[] der = issuerKey.toRSAPublicKey().getEncoded();
    String pem = "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
        .encodeToString(der) + "\n-----END PUBLIC KEY-----\n";
    List<byte[]> secrets = List.of(der, pem.getBytes(StandardCharsets.US_ASCII),
        issuerKey.toPublicJWK().toJSONString().getBytes(StandardCharsets.UTF_8), issuerKey.getModulus().decode());
    for (JWSAlgorithm alg : List.of(JWSAlgorithm.HS256, JWSAlgorithm.HS384, JWSAlgorithm.HS512)) {
      for (byte[] secret : secrets) {
        if (secret.length * 8 < MACSigner.getMinRequiredSecretLength(alg)) {
          continue;
        }
        assertRefused(remote, sign(new JWSHeader.Builder(alg).keyID(issuerKey.getKeyID()).type(new JOSEObjectType("at+jwt")).build(),
            claims, new MACSigner(secret)));
      }
    }
  }

  @Test
  void blankOrAllZeroEcdsaSignature() throws Exception {
    // CVE-2022-21449 ("psychic signatures"): r = s = 0 verified as valid on unpatched JDKs. Checked against a
    // real EC public key from the local key set: the mock issuer publishes RSA keys only.
    JWSHeader header = localHeader(JWSAlgorithm.ES256, "test-ec").build();
    String signingInput = header.toBase64URL() + "." + localClaims().toPayload().toBase64URL();
    assertRefused(local, signingInput + "." + Base64URL.encode(new byte[64]));          // R || S, all zero
    assertRefused(local, signingInput + "." + Base64URL.encode(new byte[] {0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00})); // DER r=0,s=0
    assertRefused(local, signingInput + ".");                                          // blank signature
    assertRefused(local, signingInput + "." + Base64URL.encode(new byte[0]) + "AA");    // one zero byte
    // Same shape against the real issuer (kid of its RSA key): refused too.
    JWSHeader remoteHeader = new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(issuerKey.getKeyID())
        .type(new JOSEObjectType("at+jwt")).build();
    assertRefused(remote, remoteHeader.toBase64URL() + "." + realToken().getJWTClaimsSet().toPayload().toBase64URL() + "."
        + Base64URL.encode(new byte[64]));
  }

  @Test
  void jkuKeySubstitution() throws Exception {
    RSAKey attacker = new RSAKeyGenerator(2048).keyID("attacker-" + UUID.randomUUID()).generate();
    JWTClaimsSet claims = realToken().getJWTClaimsSet();
    for (String kid : List.of(attacker.getKeyID(), issuerKey.getKeyID())) {
      assertRefused(remote, sign(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(kid).type(new JOSEObjectType("at+jwt"))
          .jwkURL(URI.create("https://attacker.example/jwks.json")).build(), claims, new RSASSASigner(attacker)));
    }
  }

  @Test
  void x5uKeySubstitution() throws Exception {
    RSAKey attacker = new RSAKeyGenerator(2048).keyID("attacker-" + UUID.randomUUID()).generate();
    JWTClaimsSet claims = realToken().getJWTClaimsSet();
    for (String kid : List.of(attacker.getKeyID(), issuerKey.getKeyID())) {
      assertRefused(remote, sign(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(kid).type(new JOSEObjectType("at+jwt"))
          .x509CertURL(URI.create("https://attacker.example/cert.pem")).build(), claims, new RSASSASigner(attacker)));
    }
  }

  @Test
  void embeddedJwkKeySubstitution() throws Exception {
    RSAKey attacker = new RSAKeyGenerator(2048).keyID("attacker-" + UUID.randomUUID()).generate();
    JWTClaimsSet claims = realToken().getJWTClaimsSet();
    for (String kid : List.of(attacker.getKeyID(), issuerKey.getKeyID())) {
      assertRefused(remote, sign(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(kid).type(new JOSEObjectType("at+jwt"))
          .jwk(attacker.toPublicJWK()).build(), claims, new RSASSASigner(attacker)));
    }
    // An embedded EC key too.
    ECKey ec = new ECKeyGenerator(Curve.P_256).keyID("attacker-ec").generate();
    assertRefused(remote, sign(new JWSHeader.Builder(JWSAlgorithm.ES256).type(new JOSEObjectType("at+jwt"))
        .jwk(ec.toPublicJWK()).build(), claims, new ECDSASigner(ec)));
  }

  @Test
  void unknownKidAfterRefresh() throws Exception {
    RSAKey attacker = new RSAKeyGenerator(2048).keyID("rotated-" + UUID.randomUUID()).generate();
    JWTClaimsSet claims = realToken().getJWTClaimsSet();
    String forged = sign(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(attacker.getKeyID()).type(new JOSEObjectType("at+jwt"))
        .build(), claims, new RSASSASigner(attacker));
    // A fresh authenticator has no cached keys: the lookup of the unknown kid loads the issuer's JWKS over HTTP.
    JwtAuthenticator fresh = JwtAuthenticator.remote(settings(issuer), oauth.jwksUrl(ISSUER_ID).toString());
    assertRefused(fresh, forged);
    assertThat(fresh.authenticate(Optional.of(realToken().serialize())).subject()).isEqualTo(SUBJECT); // JWKS now cached
    assertRefused(fresh, forged); // unknown kid with a warm cache: refresh (rate-limited), still unknown
    assertRefused(remote, forged);
    // Signed by the attacker but claiming the issuer's kid: signature check fails.
    assertRefused(remote, sign(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(issuerKey.getKeyID())
        .type(new JOSEObjectType("at+jwt")).build(), claims, new RSASSASigner(attacker)));
    // No kid at all, attacker key.
    assertRefused(remote, sign(new JWSHeader.Builder(JWSAlgorithm.RS256).type(new JOSEObjectType("at+jwt")).build(), claims,
        new RSASSASigner(attacker)));
    // The failed lookups did not poison the cache.
    assertThat(remote.authenticate(Optional.of(realToken().serialize())).subject()).isEqualTo(SUBJECT);
  }

  @Test
  void unknownCritHeader() throws Exception {
    // Needs the test key: the real issuer never signs a token with a crit header.
    JWSHeader header = localHeader(JWSAlgorithm.RS256, "test-rsa").criticalParams(Set.of("custos-unknown-ext"))
        .customParam("custos-unknown-ext", "must-understand").build();
    assertRefused(local, sign(header, localClaims(), new RSASSASigner(localRsa)));
    JWSHeader ecHeader = localHeader(JWSAlgorithm.ES256, "test-ec").criticalParams(Set.of("exp", "urn:custos:policy"))
        .customParam("exp", 4102444800L).customParam("urn:custos:policy", "ignore-audience").build();
    assertRefused(local, sign(ecHeader, localClaims(), new ECDSASigner(localEc)));
  }

  @Test
  void expiredBeyondSkew() {
    assertRefused(remote, realToken("at+jwt", List.of(AUDIENCE), -90).serialize());
    assertRefused(remote, realToken("at+jwt", List.of(AUDIENCE), -3600).serialize());
  }

  @Test
  void notYetValid() throws Exception {
    // Needs the test key: mock-oauth2-server always sets nbf to the issue time.
    Instant now = Instant.now();
    assertRefused(local, sign(localHeader(JWSAlgorithm.RS256, "test-rsa").build(),
        localClaims(now.plusSeconds(300), now.plusSeconds(900)), new RSASSASigner(localRsa)));
    assertRefused(local, sign(localHeader(JWSAlgorithm.ES256, "test-ec").build(),
        localClaims(now.plusSeconds(120), now.plusSeconds(900)), new ECDSASigner(localEc)));
  }

  @Test
  void wrongIssuer() throws Exception {
    String token = realToken().serialize();
    // Validly signed by a key in the trusted JWKS, but iss is not exactly the configured issuer.
    for (String expected : List.of(issuer + "/", "https://idp.other.test/custos", issuer.replace("/custos", "/other"))) {
      assertRefused(JwtAuthenticator.remote(settings(expected), oauth.jwksUrl(ISSUER_ID).toString()), token);
    }
    // Another tenant of the same identity provider.
    assertRefused(remote, oauth.issueToken("attacker-tenant", CLIENT,
        new DefaultOAuth2TokenCallback("attacker-tenant", SUBJECT, "at+jwt", List.of(AUDIENCE), claims(), 3600)).serialize());
  }

  @Test
  void wrongAudience() {
    for (String aud : List.of("https://custos.test/mcp/", "https://custos.test", "https://custos.test/mcp-other",
        "https://CUSTOS.test/mcp", "custos")) {
      assertRefused(remote, realToken("at+jwt", List.of(aud), 3600).serialize());
    }
  }

  @Test
  void idTokenUsedAsAccessToken() {
    // An OIDC ID token: typ JWT, aud = the client id.
    assertRefused(remote, realToken("JWT", List.of(CLIENT), 3600).serialize());
    // Even if it also names this resource, typ JWT is not an access token (RFC 9068 section 4).
    assertRefused(remote, realToken("JWT", List.of(AUDIENCE), 3600).serialize());
  }

  @Test
  void tokenForAnotherResourceServer() {
    assertRefused(remote, realToken("at+jwt", List.of("https://other-rs.test/api"), 3600).serialize());
    assertRefused(remote, realToken("at+jwt", List.of("https://other-rs.test/api", CLIENT), 3600).serialize());
  }

  @Test
  void malformedStrings() throws Exception {
    String real = realToken().serialize();
    String[] p = real.split("\\.");
    List<String> malformed = List.of("abc", "a.b", "a.b.c", "..", "...", "a.b.c.d", real + ".", real + "x!", "*.*.*",
        p[0] + "." + p[1], p[0] + ".%%%." + p[2], "e30.e30.", "e30.e30.e30", p[0].substring(1) + "." + p[1] + "." + p[2],
        real.replace('.', ' '), "Bearer " + real, "\u0000\u0001\u0002", "x".repeat(20_000),
        b64("{\"alg\":\"RSA-OAEP-256\",\"enc\":\"A256GCM\"}") + ".AAAA.AAAA.AAAA.AAAA", // JWE shape
        b64("{\"alg\":\"RS256\"}") + "." + b64("[1,2,3]") + "." + p[2],
        b64("{\"alg\":\"RS256\"}") + "." + b64("not json") + "." + p[2]);
    malformed.forEach(t -> assertRefused(remote, t));
  }

  @Test
  void missingOrBlankTokenIsNoCredentialAtAll() {
    // RFC 6750 section 3.1: no error code when the request carries no credential.
    for (Optional<String> none : List.of(Optional.<String>empty(), Optional.of(""), Optional.of("   "))) {
      assertThatThrownBy(() -> remote.authenticate(none)).isInstanceOfSatisfying(AuthenticationException.class,
          e -> assertThat(e.error()).isNull());
    }
  }
}
