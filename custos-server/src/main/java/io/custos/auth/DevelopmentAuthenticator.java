package io.custos.auth;

import java.time.Instant;
import java.util.Optional;
import java.util.Set;

/**
 * Identity for local development without an identity provider: every request is the same named
 * developer with read scopes. Refused by configuration validation unless the server listens on a
 * loopback address only, and announced loudly at start. Never for production or real PHI.
 */
public final class DevelopmentAuthenticator implements Authenticator {
  private final Caller developer = new Caller("local-developer", "custos-dev", Optional.empty(), Set.of("clinician"),
      Set.of("user/*.rs"), Optional.empty(), true, "development", Instant.MAX);

  @Override
  public Caller authenticate(Optional<String> bearerToken) {
    return developer;
  }
}
