package io.custos.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Validates each distinct access token once and reuses the resulting {@link Caller} for later requests that
 * present the same token, until {@code min(exp, validated-at + maxAge)}. Signature verification (RS256 is about
 * 50 µs of CPU) or an RFC 7662 introspection round trip then happens once per token instead of once per request.
 *
 * <p>The cache is keyed by the SHA-256 of the token (the token itself is not a key), bounded to
 * {@code maximumSize} entries (Caffeine, size-based eviction), and holds only successful validations: a refused
 * token is validated again on every request, so an error never sticks. The trade-off is revocation latency: a
 * token revoked at the authorization server (introspection) or signed by a key removed from the JWKS keeps
 * working for at most {@code maxAge} after its first validation; {@code exp} is never extended.
 */
public final class CachingAuthenticator implements Authenticator {
  /** Upper bound of {@code maxAge}: the JWKS keys themselves are cached this long. */
  public static final Duration MAX_AGE_LIMIT = Duration.ofMinutes(5);

  /**
   * @param maxAge      how long a validation is reused, 1 s..{@link #MAX_AGE_LIMIT}
   * @param maximumSize most tokens held at once, >= 1 (older entries are evicted first, approximately)
   */
  public record Settings(Duration maxAge, long maximumSize) {
    public Settings {
      if (maxAge.compareTo(Duration.ofSeconds(1)) < 0 || maxAge.compareTo(MAX_AGE_LIMIT) > 0) {
        throw new IllegalArgumentException("token cache age must be 1..300 seconds");
      }
      if (maximumSize < 1) {
        throw new IllegalArgumentException("token cache size must be at least 1");
      }
    }
  }

  private final Authenticator delegate;
  private final Cache<String, Caller> validated;

  private CachingAuthenticator(Authenticator delegate, Settings settings, Clock clock) {
    this.delegate = delegate;
    long maxAgeNanos = settings.maxAge().toNanos();
    // The clock is the cache's ticker, so an entry lives until min(exp, validated-at + maxAge) by that clock.
    this.validated = Caffeine.newBuilder().maximumSize(settings.maximumSize())
        .ticker(() -> nanos(clock.instant()))
        .expireAfter(new Expiry<String, Caller>() {
          @Override
          public long expireAfterCreate(String key, Caller caller, long now) {
            return Math.max(0, Math.min(maxAgeNanos, nanos(caller.expiresAt()) - now));
          }

          @Override
          public long expireAfterUpdate(String key, Caller caller, long now, long current) {
            return expireAfterCreate(key, caller, now);
          }

          @Override
          public long expireAfterRead(String key, Caller caller, long now, long current) {
            return current;
          }
        }).build();
  }

  /**
   * The delegate with a token cache, or the delegate itself when {@code maxAge} is zero (validate every request).
   *
   * @param maxAge      0 or 1 s..5 min
   * @param maximumSize most tokens held at once
   * @throws IllegalArgumentException if a bound is violated
   */
  public static Authenticator wrap(Authenticator delegate, Duration maxAge, long maximumSize, Clock clock) {
    return maxAge.isZero() ? delegate : new CachingAuthenticator(delegate, new Settings(maxAge, maximumSize), clock);
  }

  @Override
  public Caller authenticate(Optional<String> bearerToken) {
    Optional<String> token = bearerToken.filter(t -> !t.isBlank());
    if (token.isEmpty()) {
      return delegate.authenticate(bearerToken);
    }
    String key = ClaimsMapping.sha256(token.get());
    Caller hit = validated.getIfPresent(key);
    if (hit != null) {
      return hit;
    }
    Caller caller = delegate.authenticate(bearerToken);
    validated.put(key, caller);
    return caller;
  }

  /** Number of tokens currently held (approximate; for tests and metrics). */
  long size() {
    validated.cleanUp();
    return validated.estimatedSize();
  }

  private static long nanos(Instant t) {
    return t.getEpochSecond() * 1_000_000_000L + t.getNano();
  }
}
