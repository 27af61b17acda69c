package io.custos.state;

import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.ClientSideConfig;
import io.github.bucket4j.distributed.proxy.generic.compare_and_swap.AbstractCompareAndSwapBasedProxyManager;
import io.github.bucket4j.distributed.proxy.generic.compare_and_swap.AsyncCompareAndSwapOperation;
import io.github.bucket4j.distributed.proxy.generic.compare_and_swap.CompareAndSwapOperation;
import io.github.bucket4j.distributed.remote.RemoteBucketState;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Bucket4j's compare-and-swap backend over a concurrent map: Bucket4j serializes each bucket's state and does all
 * token arithmetic; this class only stores the bytes. Time is the store's clock. A bucket is forgotten once it has
 * refilled to its capacity (Bucket4j computes when), which is the state a new bucket starts in, so forgetting it
 * changes no decision and the map holds only callers active within the last refill period.
 */
final class InProcessBuckets extends AbstractCompareAndSwapBasedProxyManager<String> {
  private record Stored(byte[] state, long expiresAtMillis) {}

  private final ConcurrentMap<String, Stored> buckets = new ConcurrentHashMap<>();
  private final Clock clock;
  private final Sweep sweep;

  InProcessBuckets(Clock clock, Sweep sweep) {
    super(ClientSideConfig.getDefault().withClientClock(meter(clock))
        .withExpirationAfterWriteStrategy(ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(Duration.ZERO)));
    this.clock = clock;
    this.sweep = sweep;
  }

  /** Bucket4j's clock over a store's clock (nanoseconds since the epoch, wall-clock based). */
  static TimeMeter meter(Clock clock) {
    return new TimeMeter() {
      @Override
      public long currentTimeNanos() {
        Instant now = clock.instant();
        return Math.addExact(Math.multiplyExact(now.getEpochSecond(), 1_000_000_000L), now.getNano());
      }

      @Override
      public boolean isWallClockBased() {
        return true;
      }
    };
  }

  /** Buckets held (for tests of the clean-up). */
  int size() {
    return buckets.size();
  }

  @Override
  protected CompareAndSwapOperation beginCompareAndSwapOperation(String key) {
    return new CompareAndSwapOperation() {
      private Stored read;

      @Override
      public Optional<byte[]> getStateData(Optional<Long> timeoutNanos) {
        read = buckets.get(key);
        return Optional.ofNullable(read).map(Stored::state);
      }

      @Override
      public boolean compareAndSwap(byte[] originalData, byte[] newData, RemoteBucketState newState,
          Optional<Long> timeoutNanos) {
        long nowMillis = clock.millis();
        if (sweep.due()) {
          buckets.values().removeIf(s -> s.expiresAtMillis() <= nowMillis);
        }
        long ttl = getClientSideConfig().getExpirationAfterWriteStrategy().orElseThrow()
            .calculateTimeToLiveMillis(newState, Math.multiplyExact(nowMillis, 1_000_000L));
        Stored next = new Stored(newData, nowMillis + ttl);
        return read == null ? buckets.putIfAbsent(key, next) == null : buckets.replace(key, read, next);
      }
    };
  }

  @Override
  protected AsyncCompareAndSwapOperation beginAsyncCompareAndSwapOperation(String key) {
    throw new UnsupportedOperationException("in-process buckets are synchronous");
  }

  @Override
  public void removeProxy(String key) {
    buckets.remove(key);
  }

  @Override
  protected CompletableFuture<Void> removeAsync(String key) {
    throw new UnsupportedOperationException("in-process buckets are synchronous");
  }

  @Override
  public boolean isAsyncModeSupported() {
    return false;
  }

  @Override
  public boolean isExpireAfterWriteSupported() {
    return true;
  }
}
