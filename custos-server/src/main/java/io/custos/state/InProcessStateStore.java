package io.custos.state;

import io.custos.pipeline.CursorStore;

import io.custos.policy.GrantStore;

import io.custos.writes.ProposalRecords;

import io.github.bucket4j.distributed.proxy.ProxyManager;
import java.time.Clock;
import java.time.Duration;

/**
 * The default {@link StateStore}: in this JVM, thread-safe, bounded in size, lost on restart (so a fleet of servers
 * needs a shared implementation instead). Expired records are dropped when looked up and, at most once a minute, in
 * a sweep on a write. Bounds: cursors are evicted least recently used first (an evicted cursor only stops resolving);
 * proposals and single-use records are never evicted early, so when full, new ones are refused.
 */
public final class InProcessStateStore implements StateStore {
  private final CursorStore cursors;
  private final ProposalRecords proposals;
  private final GrantStore grants;
  private final InProcessBuckets buckets;
  private final SingleUseRecords singleUse;
  private final InProcessSessions sessions;

  private InProcessStateStore(Builder b) {
    Duration every = Duration.ofMinutes(1);
    cursors = new InProcessCursors(b.clock, new Sweep(b.clock, every), b.maxCursors);
    proposals = new InProcessProposals(b.maxProposals);
    grants = new InProcessGrants(b.clock, new Sweep(b.clock, every));
    buckets = new InProcessBuckets(b.clock, new Sweep(b.clock, every));
    singleUse = new InProcessSingleUse(b.clock, new Sweep(b.clock, every), b.maxSingleUse);
    sessions = new InProcessSessions(b.clock, new Sweep(b.clock, every));
  }

  /** A store on the system clock with the default bounds. */
  public static InProcessStateStore create() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public CursorStore cursors() {
    return cursors;
  }

  @Override
  public ProposalRecords proposals() {
    return proposals;
  }

  @Override
  public GrantStore grants() {
    return grants;
  }

  @Override
  public ProxyManager<String> rateLimitBuckets() {
    return buckets;
  }

  /** Rate-limit buckets held now (they are forgotten once refilled). */
  int bucketCount() {
    return buckets.size();
  }

  @Override
  public SingleUseRecords singleUse() {
    return singleUse;
  }

  @Override
  public SessionBindings sessions() {
    return sessions;
  }

  /** Session bindings held now (ended ones are forgotten a day after they end). */
  int sessionCount() {
    return sessions.size();
  }

  /** Builder; every setting has a default. */
  public static final class Builder {
    private Clock clock = Clock.systemUTC();
    private int maxCursors = 10_000;
    private int maxProposals = 10_000;
    private int maxSingleUse = 100_000;

    /** The time every expiry is judged by (default: the UTC system clock). */
    public Builder clock(Clock v) {
      clock = v;
      return this;
    }

    /** Most page cursors held (default 10,000; the least recently used is evicted beyond). */
    public Builder maxCursors(int v) {
      maxCursors = positive(v);
      return this;
    }

    /** Most proposals held, finished ones included until their retention ends (default 10,000). */
    public Builder maxProposals(int v) {
      maxProposals = positive(v);
      return this;
    }

    /** Most unexpired single-use records held (default 100,000). */
    public Builder maxSingleUse(int v) {
      maxSingleUse = positive(v);
      return this;
    }

    private static int positive(int v) {
      if (v < 1) {
        throw new IllegalArgumentException("a state store bound must be at least 1");
      }
      return v;
    }

    public InProcessStateStore build() {
      return new InProcessStateStore(this);
    }
  }
}
