package io.custos.pipeline;

import java.time.Clock;

/**
 * Authenticate: a call proceeds only with an identity the transport established for this very request, and only
 * while its token is unexpired (HIPAA 164.312(d)). HTTP checks the bearer token on every request; stdio re-reads
 * and re-checks its local credential on every call.
 */
final class Authenticate implements Stage {
  private final Clock clock;

  Authenticate(Clock clock) {
    this.clock = clock;
  }

  @Override
  public StageName name() {
    return StageName.AUTHENTICATE;
  }

  @Override
  public ToolOutcome intercept(ToolExchange ex, Chain next) {
    ex.caller = ex.call.caller().orElseThrow(() ->
        new ToolCallException(ToolCallException.Reason.UNAUTHENTICATED, "Authentication is required."));
    if (!ex.caller.expiresAt().isAfter(clock.instant())) {
      throw new ToolCallException(ToolCallException.Reason.UNAUTHENTICATED, "The access token has expired; sign in again.");
    }
    return next.proceed(ex);
  }
}
