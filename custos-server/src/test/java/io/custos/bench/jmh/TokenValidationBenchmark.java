package io.custos.bench.jmh;

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
import io.custos.auth.Caller;
import io.custos.auth.JwtAuthenticator;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Bearer token validation as done on every HTTP request: {@link JwtAuthenticator} with the issuer's keys already
 * cached (an {@link ImmutableJWKSet}; the production remote JWKS source serves from its cache the same way), an
 * RS256 RSA-2048 RFC 9068 access token with the claims Custos reads. Includes parsing, header checks, signature
 * verification, claims verification and mapping to a {@link Caller} (SHA-256 of the jti).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class TokenValidationBenchmark {
  static final String ISSUER = "https://idp.test/realms/custos";
  static final String AUDIENCE = "https://custos.test/mcp";
  private JwtAuthenticator authenticator;
  private Optional<String> token;

  @Setup
  public void setUp() throws Exception {
    RSAKey key = new RSAKeyGenerator(2048).keyID("k1").generate();
    authenticator = new JwtAuthenticator(new JwtAuthenticator.Settings(ISSUER, AUDIENCE, List.of("at+jwt", "application/at+jwt"),
        List.of("RS256", "PS256", "ES256"), Duration.ofSeconds(60), "roles", List.of("mfa"), List.of()),
        new ImmutableJWKSet<>(new JWKSet(key.toPublicJWK())));
    Instant now = Instant.now();
    JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(ISSUER).audience(AUDIENCE).subject("dr-alice")
        .issueTime(Date.from(now)).notBeforeTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(7200)))
        .jwtID(UUID.randomUUID().toString()).claim("client_id", "agent").claim("scope", "openid fhirUser user/*.rs")
        .claim("roles", List.of("clinician")).claim("fhirUser", "Practitioner/p1").claim("amr", List.of("pwd", "mfa"))
        .claim("auth_time", now.getEpochSecond()).build();
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("k1").type(new JOSEObjectType("at+jwt")).build(),
        claims);
    jwt.sign(new RSASSASigner(key));
    token = Optional.of(jwt.serialize());
    authenticator.authenticate(token); // fails fast if the set-up is wrong
  }

  @Benchmark
  public Caller validateCachedJwks() {
    return authenticator.authenticate(token);
  }
}
