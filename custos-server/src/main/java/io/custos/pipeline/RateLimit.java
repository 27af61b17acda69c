package io.custos.pipeline;

import io.custos.policy.RateLimits;

/**
 * Rate limit: per user, per client and per user and declaration (Bucket4j token buckets, {@link RateLimits}), on
 * every route and transport. Bounds what a runaway or hijacked agent can read.
 */
final class RateLimit implements Stage {
  private final RateLimits limits;

  RateLimit(RateLimits limits) {
    this.limits = limits;
  }

  RateLimits limits() {
    return limits;
  }

  @Override
  public StageName name() {
    return StageName.RATE_LIMIT;
  }

  @Override
  public ToolOutcome intercept(ToolExchange ex, Chain next) {
    limits.acquire(ex.caller.subject(), String.valueOf(ex.caller.clientId()), ex.declaration.name()).ifPresent(wait -> {
      throw ToolCallException.rateLimited(wait);
    });
    return next.proceed(ex);
  }
}
