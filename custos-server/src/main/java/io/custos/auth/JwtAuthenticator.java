package io.custos.auth;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.net.MalformedURLException;
import java.net.URI;
import java.text.ParseException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * OAuth 2.1 resource-server validation of JWT access tokens (RFC 9068) with Nimbus JOSE+JWT, on every
 * request. A token is accepted only if all hold: it is a JWS (never {@code alg: none}) signed with an
 * allowed asymmetric algorithm by a key from the issuer's JWKS (cached; an unknown {@code kid} triggers at
 * most one rate-limited refresh); it carries no {@code jku}, {@code x5u}, {@code jwk} or {@code x5c} header
 * (key substitution); {@code typ} is an accepted access-token type (ID tokens are refused); {@code iss}
 * matches exactly; {@code aud} contains this server's canonical resource URI (RFC 8707); {@code exp} and
 * {@code nbf} hold within the configured skew; {@code sub} is present. Unknown {@code crit} headers are
 * refused by Nimbus. Failures give RFC 6750 {@code invalid_token} to the caller; the reason is logged by
 * category only.
 */
public final class JwtAuthenticator implements Authenticator {
  private static final Logger log = LoggerFactory.getLogger(JwtAuthenticator.class);
  private static final Set<String> KEY_SUBSTITUTION_HEADERS = Set.of("jku", "x5u", "jwk", "x5c");

  /**
   * Validation settings.
   *
   * @param issuer        exact {@code iss}
   * @param audience      canonical resource URI that {@code aud} must contain
   * @param tokenTypes    accepted {@code typ} values
   * @param algorithms    accepted JWS algorithm names (asymmetric only)
   * @param clockSkew     tolerance for {@code exp}/{@code nbf}, at most 60 s
   * @param rolesClaim    dot path of the roles claim
   * @param mfaAmr        {@code amr} values proving MFA
   * @param mfaAcr        {@code acr} values proving MFA
   */
  public record Settings(String issuer, String audience, List<String> tokenTypes, List<String> algorithms, Duration clockSkew,
      String rolesClaim, List<String> mfaAmr, List<String> mfaAcr) {}

  private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
  private final ClaimsMapping claims;

  /** With a caller-supplied key source (tests, or a custom JWKS cache). */
  public JwtAuthenticator(Settings settings, JWKSource<SecurityContext> keys) {
    this.claims = new ClaimsMapping(settings.rolesClaim(), settings.mfaAmr(), settings.mfaAcr());
    Set<JOSEObjectType> types = settings.tokenTypes().stream().map(JOSEObjectType::new).collect(Collectors.toSet());
    processor.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(types));
    Set<JWSAlgorithm> algs = settings.algorithms().stream().map(JWSAlgorithm::parse)
        .filter(a -> !JWSAlgorithm.Family.HMAC_SHA.contains(a)).collect(Collectors.toSet());
    processor.setJWSKeySelector(new JWSVerificationKeySelector<>(algs, keys));
    DefaultJWTClaimsVerifier<SecurityContext> verifier = new DefaultJWTClaimsVerifier<>(settings.audience(),
        new JWTClaimsSet.Builder().issuer(settings.issuer()).build(), Set.of("sub", "exp", "iss"));
    verifier.setMaxClockSkew((int) settings.clockSkew().toSeconds());
    processor.setJWTClaimsSetVerifier(verifier);
  }

  /**
   * With the issuer's remote JWKS: cached 5 minutes, refreshed ahead of expiry, at most one refresh per
   * 30 seconds when an unknown {@code kid} appears.
   *
   * @throws IllegalArgumentException if the JWKS URL is malformed
   */
  public static JwtAuthenticator remote(Settings settings, String jwksUri) {
    return remote(settings, jwksUri, JWKS_CACHE);
  }

  /** How long fetched JWKS keys are used without a refresh. */
  static final Duration JWKS_CACHE = Duration.ofMinutes(5);
  /** Connect and read timeout of one JWKS fetch (50 KiB at most). */
  static final Duration JWKS_TIMEOUT = Duration.ofSeconds(3);

  /**
   * As {@link #remote(Settings, String)} with a given cache lifetime (tests of an unreachable identity provider).
   * Refresh-ahead applies to lifetimes over a minute. When the JWKS cannot be fetched, keys already cached keep
   * validating tokens until the lifetime ends; then every token is refused (401 {@code invalid_token}) until the
   * identity provider is reachable again (no stale keys are used past their lifetime).
   */
  static JwtAuthenticator remote(Settings settings, String jwksUri, Duration cacheLifetime) {
    try {
      // The library's default 500 ms connect and read timeouts refuse valid tokens when the identity provider or this
      // host is briefly slow; a fetch gets JWKS_TIMEOUT and one retry instead.
      var retriever = new com.nimbusds.jose.util.DefaultResourceRetriever((int) JWKS_TIMEOUT.toMillis(),
          (int) JWKS_TIMEOUT.toMillis(), 50 * 1024);
      JWKSourceBuilder<SecurityContext> b = JWKSourceBuilder.<SecurityContext>create(URI.create(jwksUri).toURL(), retriever)
          .retrying(true)
          .cache(cacheLifetime.toMillis(), Math.min(Duration.ofSeconds(15).toMillis(), cacheLifetime.toMillis() / 2))
          .rateLimited(Math.min(Duration.ofSeconds(30).toMillis(), cacheLifetime.toMillis() / 2))
          .refreshAheadCache(cacheLifetime.compareTo(Duration.ofMinutes(1)) > 0);
      JWKSource<SecurityContext> keys = b.build();
      return new JwtAuthenticator(settings, keys);
    } catch (MalformedURLException e) {
      throw new IllegalArgumentException("identity.jwksUri is not a valid URL");
    }
  }

  @Override
  public Caller authenticate(Optional<String> bearerToken) {
    String token = bearerToken.filter(t -> !t.isBlank())
        .orElseThrow(() -> new AuthenticationException(null, "no bearer token"));
    JWT jwt;
    try {
      jwt = JWTParser.parse(token);
    } catch (ParseException e) {
      throw refused("malformed token");
    }
    if (!(jwt instanceof SignedJWT signed)) {
      throw refused("not a signed JWT");
    }
    JWSHeader header = signed.getHeader();
    if (header.getJWKURL() != null || header.getX509CertURL() != null || header.getJWK() != null
        || header.getX509CertChain() != null || header.getCustomParams().keySet().stream().anyMatch(KEY_SUBSTITUTION_HEADERS::contains)) {
      throw refused("key substitution header");
    }
    JWTClaimsSet claims;
    try {
      claims = processor.process(signed, null);
    } catch (Exception e) {
      // Nimbus messages can quote claim values; log only the exception type.
      throw refused("validation failed: " + e.getClass().getSimpleName());
    }
    return toCaller(claims, token);
  }

  private static AuthenticationException refused(String category) {
    log.info("bearer token refused: {}", category);
    return new AuthenticationException("invalid_token", category);
  }

  private Caller toCaller(JWTClaimsSet c, String token) {
    String jti = c.getJWTID();
    return claims.toCaller(c.getClaims(), c.getExpirationTime().toInstant(), jti != null ? jti : token, token);
  }


}
