package io.custos.pipeline;

import java.time.Clock;

/**
 * Stage 1, authenticate: a call proceeds only with an identity the transport established for this very
 * request, and only while its token is unexpired (HIPAA 164.312(d)).
 */
final class Authenticate implements Stage {
  private final Clock clock;

  Authenticate(Clock clock) {
    this.clock = clock;
  }

  @Override
  public void apply(ToolExchange ex) {
    ex.caller = ex.call.caller().orElseThrow(() ->
        new ToolCallException(ToolCallException.Reason.UNAUTHENTICATED, "Authentication is required."));
    if (!ex.caller.expiresAt().isAfter(clock.instant())) {
      throw new ToolCallException(ToolCallException.Reason.UNAUTHENTICATED, "The access token has expired.");
    }
  }
}
