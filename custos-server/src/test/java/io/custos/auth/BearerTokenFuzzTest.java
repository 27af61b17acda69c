package io.custos.auth;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Optional;

/**
 * Fuzzing bearer token parsing and validation ({@link JwtAuthenticator#authenticate}, Jazzer). Inputs: arbitrary
 * strings, and a valid token with a fuzzed header, payload or signature segment. Property: the only outcomes are a
 * caller or {@link AuthenticationException}; anything else (a runtime exception, a hang) is a finding.
 */
class BearerTokenFuzzTest {
  static final String ISSUER = "https://idp.fuzz.test";
  static final String AUDIENCE = "https://custos.fuzz.test/mcp";
  static final RSAKey KEY;
  static final JwtAuthenticator AUTH;
  static final String[] VALID;

  static {
    try {
      KEY = new RSAKeyGenerator(2048).keyID("k1").generate();
      AUTH = new JwtAuthenticator(new JwtAuthenticator.Settings(ISSUER, AUDIENCE, List.of("at+jwt"), List.of("RS256"),
          Duration.ofSeconds(60), "roles", List.of("mfa"), List.of()), new ImmutableJWKSet<>(new JWKSet(KEY.toPublicJWK())));
      SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("k1").type(new JOSEObjectType("at+jwt")).build(),
          new JWTClaimsSet.Builder().issuer(ISSUER).audience(AUDIENCE).subject("alice").expirationTime(Date.from(Instant.now().plusSeconds(86400)))
              .claim("scope", "user/*.rs").claim("roles", List.of("clinician")).claim("amr", List.of("mfa")).build());
      jwt.sign(new RSASSASigner(KEY));
      VALID = jwt.serialize().split("\\.");
    } catch (Exception e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  @FuzzTest(maxDuration = "5m")
  void authenticate(FuzzedDataProvider data) {
    String token;
    switch (data.consumeInt(0, 3)) {
      case 0 -> token = data.consumeRemainingAsString();
      case 1 -> token = b64(data.consumeRemainingAsString()) + "." + VALID[1] + "." + VALID[2];
      case 2 -> token = VALID[0] + "." + b64(data.consumeRemainingAsString()) + "." + VALID[2];
      default -> token = VALID[0] + "." + VALID[1] + "." + data.consumeRemainingAsString();
    }
    try {
      AUTH.authenticate(Optional.of(token));
    } catch (AuthenticationException refused) {
      // the expected outcome for nearly every input
    }
  }

  private static String b64(String s) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }
}
