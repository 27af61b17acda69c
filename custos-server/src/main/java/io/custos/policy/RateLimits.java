package io.custos.policy;

import io.custos.state.StateUnavailableException;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.BucketExceptions;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.distributed.proxy.RemoteBucketBuilder;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Tool-call rate limits per user, per client and per user and tool (Bucket4j token buckets, refilled
 * greedily each minute). Bounds the damage of a runaway or hijacked agent. The buckets live in the server's state
 * store, keyed by user, client and source address, so servers sharing a store share the limits.
 */
public final class RateLimits {
  private final int perUser;
  private final RemoteBucketBuilder<String> buckets;

  /**
   * @param perUserPerMinute calls per user per minute; a client gets 10x, a user on one tool half
   * @param buckets          where the buckets' state is kept (the server's state store)
   */
  public RateLimits(int perUserPerMinute, ProxyManager<String> buckets) {
    this.perUser = perUserPerMinute;
    this.buckets = buckets.builder();
  }

  /**
   * Takes one refused authentication from the bucket of {@code sourceAddress} (as many per minute as a user's calls):
   * bounds how fast requests without a valid credential can make the audit trail grow.
   *
   * @return empty when allowed, else the seconds to wait (for {@code Retry-After})
   */
  public Optional<Long> acquireUnauthenticated(String sourceAddress) {
    return take("a:" + sourceAddress, perUser);
  }

  /**
   * Takes one call from each applicable bucket.
   *
   * @return empty when allowed, else the seconds to wait (for {@code Retry-After})
   */
  public Optional<Long> acquire(String subject, String clientId, String tool) {
    // Fixed order: user, client, then user+tool.
    for (var entry : java.util.List.of(Map.entry("u:" + subject, perUser), Map.entry("c:" + clientId, perUser * 10),
        Map.entry("t:" + subject + ":" + tool, Math.max(1, perUser / 2)))) {
      Optional<Long> wait = take(entry.getKey(), entry.getValue());
      if (wait.isPresent()) {
        return wait;
      }
    }
    return Optional.empty();
  }

  /** @throws StateUnavailableException when a shared bucket backend cannot be reached (fail closed) */
  private Optional<Long> take(String key, int perMinute) {
    ConsumptionProbe probe;
    try {
      probe = buckets.build(key, () -> BucketConfiguration.builder()
          .addLimit(Bandwidth.builder().capacity(perMinute).refillGreedy(perMinute, Duration.ofMinutes(1)).build())
          .build()).tryConsumeAndReturnRemaining(1);
    } catch (BucketExceptions.BucketExecutionException e) {
      throw new StateUnavailableException("rate-limit buckets", e.getCause());
    }
    return probe.isConsumed() ? Optional.empty()
        : Optional.of(Math.max(1, Duration.ofNanos(probe.getNanosToWaitForRefill()).toSeconds()));
  }
}
