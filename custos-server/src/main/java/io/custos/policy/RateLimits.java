package io.custos.policy;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tool-call rate limits per user, per client and per user and tool (Bucket4j token buckets, refilled
 * greedily each minute). Bounds the damage of a runaway or hijacked agent.
 */
public final class RateLimits {
  private final int perUser;
  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

  /** @param perUserPerMinute calls per user per minute; a client gets 10x, a user on one tool half */
  public RateLimits(int perUserPerMinute) {
    this.perUser = perUserPerMinute;
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

  private Optional<Long> take(String key, int perMinute) {
    Bucket bucket = buckets.computeIfAbsent(key, k -> Bucket.builder()
        .addLimit(Bandwidth.builder().capacity(perMinute).refillGreedy(perMinute, Duration.ofMinutes(1)).build())
        .build());
    ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(1);
    return probe.isConsumed() ? Optional.empty()
        : Optional.of(Math.max(1, Duration.ofNanos(probe.getNanosToWaitForRefill()).toSeconds()));
  }
}
