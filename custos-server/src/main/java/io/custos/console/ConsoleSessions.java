package io.custos.console;

import io.custos.auth.Caller;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Server-side console sessions: the browser holds only a random 256-bit session id (an HttpOnly, Secure, SameSite
 * cookie); who signed in, their CSRF token and the sign-in in flight stay here. A sign-in always ends in a NEW
 * session id (the pre-sign-in id is discarded), so an id planted before sign-in is worth nothing (session fixation,
 * OWASP ASVS V3.2.1). A session ends after {@code idle} without a request (HIPAA 164.312(a)(2)(iii) automatic
 * logoff, the same limit as MCP sessions) or when the ID token expires, whichever is first.
 */
final class ConsoleSessions {
  /** Most sessions (signed in or signing in) held at once; beyond it the oldest idle ones go first. */
  static final int MAX_SESSIONS = 10_000;
  /** How long a sign-in may take at the identity provider. */
  static final Duration SIGN_IN_WINDOW = Duration.ofMinutes(10);

  private static final SecureRandom RANDOM = new SecureRandom();

  /**
   * One session.
   *
   * @param id        the cookie value
   * @param caller    who signed in; empty while signing in
   * @param pending   the sign-in in flight (state, nonce, PKCE verifier); empty once signed in
   * @param csrf      the synchronizer token every POST must carry (OWASP CSRF prevention)
   * @param lastSeen  last request
   * @param expiresAt hard end (ID token expiry, or the sign-in window)
   * @param next      while signing in, the console page to return to after sign-in; once signed in, that page until
   *                  the first page request (the identity provider's redirect chain makes it a cross-site navigation)
   */
  record Session(String id, Optional<Caller> caller, Optional<OidcSignIn.Pending> pending, String csrf, Instant lastSeen,
      Instant expiresAt, Optional<String> next) {}

  private final ConcurrentHashMap<String, Session> sessions = new ConcurrentHashMap<>();
  private final Duration idle;
  private final Clock clock;

  ConsoleSessions(Duration idle, Clock clock) {
    this.idle = idle;
    this.clock = clock;
  }

  Duration idle() {
    return idle;
  }

  /** A new session for a sign-in in flight. */
  Session signingIn(OidcSignIn.Pending pending, Optional<String> next) {
    Instant now = clock.instant();
    return put(new Session(newId(), Optional.empty(), Optional.of(pending), newId(), now, now.plus(SIGN_IN_WINDOW), next));
  }

  /**
   * Ends {@code previous} and opens a signed-in session under a new id (no fixation), about to be sent to the console
   * page {@code landing}.
   */
  Session signedIn(String previous, Caller caller, String landing) {
    sessions.remove(previous);
    Instant now = clock.instant();
    return put(new Session(newId(), Optional.of(caller), Optional.empty(), newId(), now, caller.expiresAt(),
        Optional.of(landing)));
  }

  /**
   * Whether {@code page} is the page the signed-in session {@code id} was sent to at sign-in; only its first page
   * request can be that landing, so this ends it either way.
   */
  boolean landing(String id, String page) {
    boolean[] landed = {false};
    sessions.computeIfPresent(id, (k, s) -> {
      if (s.caller().isEmpty() || s.next().isEmpty()) {
        return s;
      }
      landed[0] = s.next().get().equals(page);
      return new Session(s.id(), s.caller(), s.pending(), s.csrf(), s.lastSeen(), s.expiresAt(), Optional.empty());
    });
    return landed[0];
  }

  /** The live session {@code id} (touching it), or empty when unknown, idle too long or expired. */
  Optional<Session> find(String id) {
    if (id == null) {
      return Optional.empty();
    }
    Instant now = clock.instant();
    Session s = sessions.get(id);
    if (s == null) {
      return Optional.empty();
    }
    if (!now.isBefore(s.lastSeen().plus(idle)) || !now.isBefore(s.expiresAt())) {
      sessions.remove(id);
      return Optional.empty();
    }
    Session touched = new Session(s.id(), s.caller(), s.pending(), s.csrf(), now, s.expiresAt(), s.next());
    sessions.put(id, touched);
    return Optional.of(touched);
  }

  void end(String id) {
    if (id != null) {
      sessions.remove(id);
    }
  }

  private Session put(Session s) {
    if (sessions.size() >= MAX_SESSIONS) {
      sessions.values().stream().min(java.util.Comparator.comparing(Session::lastSeen)).ifPresent(o -> sessions.remove(o.id()));
    }
    sessions.put(s.id(), s);
    return s;
  }

  private static String newId() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }
}
