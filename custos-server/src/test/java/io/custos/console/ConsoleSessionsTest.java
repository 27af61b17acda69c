package io.custos.console;

import static org.assertj.core.api.Assertions.assertThat;

import io.custos.auth.Caller;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import io.custos.testing.ManualClock;
import org.junit.jupiter.api.Test;

/** Console sessions: automatic logoff after the idle limit, the ID token's expiry, and a new id at sign-in. */
class ConsoleSessionsTest {
  private static final Instant T0 = Instant.parse("2026-03-01T09:00:00Z");

  private static Caller officer(Instant expires) {
    return new Caller("po-1", "custos-console", Optional.empty(), Set.of("privacy-officer"), Set.of(), Optional.empty(), true,
        "h", expires);
  }

  private final ManualClock clock = new ManualClock(T0);
  private final ConsoleSessions sessions = new ConsoleSessions(Duration.ofMinutes(15), clock);

  @Test
  void aSessionIdleForTheLimitIsLoggedOffAndARequestBeforeItKeepsItAlive() {
    var s = sessions.signedIn("none", officer(T0.plus(Duration.ofHours(8))), "/console/");
    clock.advance(Duration.ofMinutes(14));
    assertThat(sessions.find(s.id())).isPresent();
    clock.advance(Duration.ofMinutes(14));
    assertThat(sessions.find(s.id())).as("touched 14 min ago").isPresent();
    clock.advance(Duration.ofMinutes(15));
    assertThat(sessions.find(s.id())).as("idle 15 min").isEmpty();
  }

  @Test
  void aSessionEndsWhenTheIdTokenExpires() {
    var s = sessions.signedIn("none", officer(T0.plus(Duration.ofMinutes(5))), "/console/");
    clock.advance(Duration.ofMinutes(5));
    assertThat(sessions.find(s.id())).isEmpty();
  }

  @Test
  void signingInReplacesThePreSignInSession() {
    var pre = sessions.signingIn(OidcSignIn.newPending(), Optional.empty());
    var after = sessions.signedIn(pre.id(), officer(T0.plus(Duration.ofHours(1))), "/console/");
    assertThat(after.id()).isNotEqualTo(pre.id());
    assertThat(after.csrf()).isNotEqualTo(pre.csrf());
    assertThat(sessions.find(pre.id())).isEmpty();
    assertThat(sessions.find(after.id())).get().extracting(ConsoleSessions.Session::caller).isNotEqualTo(Optional.empty());
  }
}
