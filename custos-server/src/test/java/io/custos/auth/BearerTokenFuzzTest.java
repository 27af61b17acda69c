package io.custos.auth;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Optional;

/**
 * Fuzzing bearer token parsing and validation ({@link JwtAuthenticator#authenticate}, Jazzer). Inputs: arbitrary
 * strings, and a valid token with a fuzzed header, payload or signature segment. Property: the only outcomes are a
 * refusal ({@link AuthenticationException}) or, for a token whose header and payload are exactly the ones the issuer
 * signed, the caller they name; anything else (an accepted forgery, a runtime exception, a hang) is a finding.
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
    Caller caller;
    try {
      caller = AUTH.authenticate(Optional.of(token));
    } catch (AuthenticationException refused) {
      return; // the expected outcome for nearly every input
    }
    // Without the issuer's key only the signed header and payload verify: no alg "none", no key confusion, no
    // claims the issuer did not sign (a differently encoded copy of the same signature may pass).
    assertThat(signingInput(token)).as("accepted a token the issuer did not sign").isEqualTo(VALID[0] + "." + VALID[1]);
    assertThat(caller.subject()).isEqualTo("alice");
  }

  private static String signingInput(String token) {
    try {
      return new String(SignedJWT.parse(token).getSigningInput(), StandardCharsets.US_ASCII);
    } catch (ParseException e) {
      throw new AssertionError("accepted a token that does not parse as a signed JWT", e);
    }
  }

  private static String b64(String s) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }
}
