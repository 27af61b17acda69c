package io.custos.state;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Bindings of MCP Streamable HTTP sessions (protocol revision 2025-11-25, header {@code Mcp-Session-Id}) to the user
 * ({@code sub}) and OAuth client that created them, with their last activity, for automatic logoff after inactivity
 * (HIPAA 164.312(a)(2)(iii)). Time is the store's clock. A shared store makes the binding and the logoff hold on every
 * server of a fleet.
 */
public interface SessionBindings {
  /** How long after a session ended by inactivity it is still reported as {@link Verdict#LOGGED_OFF}, then forgotten. */
  Duration REMEMBER_LOGOFF = Duration.ofHours(24);

  /**
   * Who created, or presents, a session.
   *
   * @param subject  the token's {@code sub}
   * @param clientId the OAuth client ({@code client_id} or {@code azp}); empty when the token names none
   */
  record Owner(String subject, Optional<String> clientId) {
    public Owner {
      Objects.requireNonNull(subject, "subject");
      Objects.requireNonNull(clientId, "clientId");
    }
  }

  /** What a presented session id is, for the presenting identity. */
  enum Verdict {
    /** Bound to the presenter and active; its last activity is now. */
    ACTIVE,
    /** Bound to another user or client (refuse with 403; the session is unchanged). */
    FOREIGN,
    /** Ended by inactivity: idle longer than its limit (refuse with 404; the client initializes a new session). */
    LOGGED_OFF,
    /** Never bound here, deleted, or forgotten (refuse with 404). */
    UNKNOWN
  }

  /**
   * Binds a session the server has just created to its creator, active now.
   *
   * @param sessionId the {@code Mcp-Session-Id} the server assigned
   * @param idle      inactivity after which the session is logged off (for example 15 minutes)
   * @throws StateUnavailableException when a shared store cannot be reached
   */
  void bind(String sessionId, Owner owner, Duration idle);

  /**
   * Judges a request presenting {@code sessionId} and, when it is {@link Verdict#ACTIVE}, records the activity. Marks
   * a session idle beyond its limit as logged off for good (presented again it stays {@link Verdict#LOGGED_OFF}).
   *
   * @throws StateUnavailableException when a shared store cannot be reached
   */
  Verdict present(String sessionId, Owner presenter);

  /**
   * Forgets a session the client deleted (HTTP {@code DELETE}).
   *
   * @throws StateUnavailableException when a shared store cannot be reached
   */
  void end(String sessionId);
}
