package io.custos.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import io.custos.testing.ManualClock;
import org.junit.jupiter.api.Test;

/**
 * The token cache: one validation per distinct token, reused until min(exp, age limit), never for a refused
 * token, keyed by the token's hash so different tokens never share a caller.
 */
class CachingAuthenticatorTest {
  private final ManualClock clock = new ManualClock(Instant.parse("2026-11-29T12:00:00Z"));
  private final Counting delegate = new Counting();

  private Authenticator cache(Duration maxAge) {
    return CachingAuthenticator.wrap(delegate, maxAge, 1_000, clock);
  }

  @Test
  void aTokenIsValidatedOnceAndItsCallerReused() {
    Authenticator a = cache(Duration.ofMinutes(5));
    delegate.expiry.put("tok-a", clock.instant().plus(Duration.ofHours(1)));
    Caller first = a.authenticate(Optional.of("tok-a"));
    for (int i = 0; i < 50; i++) {
      clock.advance(Duration.ofSeconds(1));
      assertThat(a.authenticate(Optional.of("tok-a"))).isSameAs(first);
    }
    assertThat(delegate.calls).isEqualTo(1);
  }

  @Test
  void differentTokensNeverShareACaller() {
    Authenticator a = cache(Duration.ofMinutes(5));
    delegate.expiry.put("tok-a", clock.instant().plus(Duration.ofHours(1)));
    delegate.expiry.put("tok-b", clock.instant().plus(Duration.ofHours(1)));
    assertThat(a.authenticate(Optional.of("tok-a")).subject()).isEqualTo("sub-tok-a");
    assertThat(a.authenticate(Optional.of("tok-b")).subject()).isEqualTo("sub-tok-b");
    assertThat(a.authenticate(Optional.of("tok-a")).subject()).isEqualTo("sub-tok-a");
    assertThat(delegate.calls).isEqualTo(2);
  }

  @Test
  void afterTheAgeLimitTheTokenIsValidatedAgainSoARevocationTakesEffect() {
    Authenticator a = cache(Duration.ofSeconds(30));
    delegate.expiry.put("tok-a", clock.instant().plus(Duration.ofHours(1)));
    a.authenticate(Optional.of("tok-a"));
    clock.advance(Duration.ofSeconds(29));
    a.authenticate(Optional.of("tok-a"));
    assertThat(delegate.calls).isEqualTo(1);

    delegate.revoked.add("tok-a");
    clock.advance(Duration.ofSeconds(2));
    assertThatThrownBy(() -> a.authenticate(Optional.of("tok-a"))).isInstanceOf(AuthenticationException.class);
    assertThat(delegate.calls).isEqualTo(2);
  }

  @Test
  void aCachedCallerNeverOutlivesItsToken() {
    Authenticator a = cache(Duration.ofMinutes(5));
    delegate.expiry.put("tok-a", clock.instant().plus(Duration.ofSeconds(10)));
    a.authenticate(Optional.of("tok-a"));
    clock.advance(Duration.ofSeconds(11));
    assertThatThrownBy(() -> a.authenticate(Optional.of("tok-a"))).isInstanceOf(AuthenticationException.class);
    assertThat(delegate.calls).isEqualTo(2);
  }

  @Test
  void aRefusedTokenIsNotRememberedSoItIsCheckedEveryTime() {
    Authenticator a = cache(Duration.ofMinutes(5));
    delegate.revoked.add("tok-a");
    for (int i = 0; i < 3; i++) {
      assertThatThrownBy(() -> a.authenticate(Optional.of("tok-a"))).isInstanceOf(AuthenticationException.class);
    }
    assertThat(delegate.calls).isEqualTo(3);
    assertThat(((CachingAuthenticator) a).size()).isZero();
  }

  @Test
  void aMissingTokenGoesToTheDelegate() {
    Authenticator a = cache(Duration.ofMinutes(5));
    assertThatThrownBy(() -> a.authenticate(Optional.empty())).isInstanceOf(AuthenticationException.class);
    assertThatThrownBy(() -> a.authenticate(Optional.of(" "))).isInstanceOf(AuthenticationException.class);
    assertThat(delegate.calls).isEqualTo(2);
  }

  @Test
  void theCacheIsBounded() {
    Authenticator a = CachingAuthenticator.wrap(delegate, Duration.ofMinutes(5), 10, clock);
    for (int i = 0; i < 200; i++) {
      delegate.expiry.put("tok-" + i, clock.instant().plus(Duration.ofHours(1)));
      a.authenticate(Optional.of("tok-" + i));
    }
    assertThat(((CachingAuthenticator) a).size()).isLessThanOrEqualTo(10);
  }

  @Test
  void zeroAgeMeansNoCacheAndOutOfRangeAgesAreRefused() {
    assertThat(CachingAuthenticator.wrap(delegate, Duration.ZERO, 10, clock)).isSameAs(delegate);
    assertThatThrownBy(() -> CachingAuthenticator.wrap(delegate, Duration.ofMinutes(6), 10, clock))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> CachingAuthenticator.wrap(delegate, Duration.ofMinutes(1), 0, clock))
        .isInstanceOf(IllegalArgumentException.class);
  }

  /** Accepts tokens with a known expiry that has not passed and that are not revoked; counts every validation. */
  private final class Counting implements Authenticator {
    final Map<String, Instant> expiry = new HashMap<>();
    final Set<String> revoked = new HashSet<>();
    int calls;

    @Override
    public Caller authenticate(Optional<String> bearerToken) {
      calls++;
      String t = bearerToken.filter(s -> !s.isBlank()).orElseThrow(() -> new AuthenticationException(null, "no bearer token"));
      Instant exp = expiry.get(t);
      if (exp == null || revoked.contains(t) || !exp.isAfter(clock.instant())) {
        throw new AuthenticationException("invalid_token", "refused");
      }
      return new Caller("sub-" + t, "client", Optional.empty(), Set.of("clinician"), Set.of("user/*.rs"), Optional.empty(),
          true, ClaimsMapping.sha256(t), exp);
    }
  }
}
