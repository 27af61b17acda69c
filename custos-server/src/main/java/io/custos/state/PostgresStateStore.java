package io.custos.state;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.custos.pipeline.CursorStore;
import io.custos.policy.GrantStore;
import io.custos.writes.ProposalRecords;
import io.custos.writes.ProposalStore;
import io.github.bucket4j.BucketExceptions;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.jdbc.PrimaryKeyMapper;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.postgresql.Bucket4jPostgreSQL;
import io.github.bucket4j.postgresql.PostgreSQLSelectForUpdateBasedProxyManager;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shared {@link StateStore} in PostgreSQL, for a fleet of servers on one database (each server opens its own store;
 * together they behave as one). Connections by HikariCP (a bounded pool), schema by Flyway from {@code db/state} with
 * its own history table ({@code custos_state_schema}), so the state and the PostgreSQL ledger may share one database.
 * Rate-limit buckets are Bucket4j's PostgreSQL backend with its {@code SELECT ... FOR UPDATE} strategy (a row lock per
 * bucket key, no hash collisions between keys as with advisory locks), in the table {@code custos_rate_bucket}.
 *
 * <p>Fails closed: while the database is unreachable every operation throws {@link StateUnavailableException} within
 * the connection timeout (default 3 s; a statement on a broken connection within the socket timeout, default 10 s),
 * and nothing is reported as done; once the database is back, operations resume without a restart. A sweeper thread
 * deletes expired rows once per {@link Builder#sweepEvery interval}. Every expiry is judged by the store's clock, except
 * the clean-up of buckets: Bucket4j writes and judges their {@code expires_at} by the system clock.
 */
public final class PostgresStateStore implements StateStore {
  private static final Logger log = LoggerFactory.getLogger(PostgresStateStore.class);
  /** Most rows one sweep statement deletes, so a sweep never holds long locks. */
  private static final int SWEEP_BATCH = 10_000;

  private final Clock clock;
  private final Jdbc db;
  private final DataSource dataSource;
  private final Optional<HikariDataSource> owned;
  private final CursorStore cursors;
  private final ProposalRecords proposals;
  private final GrantStore grants;
  private final PostgreSQLSelectForUpdateBasedProxyManager<String> buckets;
  private final SingleUseRecords singleUse;
  private final SessionBindings sessions;
  private final ScheduledExecutorService sweeper;

  private PostgresStateStore(Builder b, DataSource ds, Optional<HikariDataSource> owned) {
    this.clock = b.clock;
    this.db = new Jdbc(ds);
    this.dataSource = ds;
    this.owned = owned;
    cursors = new PostgresCursors(db, clock);
    proposals = new PostgresProposals(db, b.maxProposals);
    grants = new PostgresGrants(db, clock);
    singleUse = new PostgresSingleUse(db, clock);
    sessions = new PostgresSessions(db, clock);
    buckets = Bucket4jPostgreSQL.selectForUpdateBasedBuilder(ds).primaryKeyMapper(PrimaryKeyMapper.STRING)
        .table("custos_rate_bucket").idColumn("id").stateColumn("state").expiresAtColumn("expires_at")
        .clientClock(InProcessBuckets.meter(clock))
        // the row's expires_at is when the bucket has refilled to capacity: a swept bucket changes no decision
        .expirationAfterWrite(ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(Duration.ZERO))
        .requestTimeout(b.socketTimeout)
        .build();
    sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "custos-state-sweeper");
      t.setDaemon(true);
      return t;
    });
    long every = b.sweepEvery.toMillis();
    sweeper.scheduleWithFixedDelay(this::sweepQuietly, every, every, TimeUnit.MILLISECONDS);
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

  /**
   * Bucket4j's PostgreSQL proxy manager. A database failure surfaces as Bucket4j's
   * {@code BucketExceptions.BucketExecutionException} (its cause the {@link java.sql.SQLException}); callers treat it as
   * {@link StateUnavailableException}.
   */
  @Override
  public ProxyManager<String> rateLimitBuckets() {
    return buckets;
  }

  @Override
  public SingleUseRecords singleUse() {
    return singleUse;
  }

  @Override
  public SessionBindings sessions() {
    return sessions;
  }

  /**
   * Deletes every expired row now: cursors and grants past their expiry, single-use records past theirs, proposals
   * past {@link ProposalStore#RETENTION} after their expiry, buckets refilled to capacity (Bucket4j's
   * {@code removeExpired}), session bindings ended more
   * than {@link SessionBindings#REMEMBER_LOGOFF} ago. The sweeper thread calls it periodically; servers of a fleet may
   * sweep at the same time (each row is deleted once).
   *
   * @return rows deleted
   * @throws StateUnavailableException when the database cannot be reached
   */
  public int sweep() {
    Instant now = clock.instant();
    int deleted = 0;
    deleted += expire("custos_cursor", "ctid", "expires_at <= ?", now);
    deleted += expire("custos_grant", "ctid", "expires_at <= ?", now);
    deleted += expire("custos_single_use", "ctid", "expires_at <= ?", now);
    deleted += expire("custos_proposal", "ctid", "expires_at < ?", now.minus(ProposalStore.RETENTION));
    deleted += expiredBuckets();
    deleted += expire("custos_session", "ctid",
        "COALESCE(logged_off_at, last_seen + idle_ms * INTERVAL '1 millisecond') < ?", now.minus(SessionBindings.REMEMBER_LOGOFF));
    return deleted;
  }

  private int expire(String table, String key, String condition, Object bound) {
    int total = 0;
    int n;
    do {
      n = db.auto("sweep", c -> Jdbc.update(c, "DELETE FROM " + table + " WHERE " + key + " IN (SELECT " + key + " FROM " + table
          + " WHERE " + condition + " LIMIT " + SWEEP_BATCH + " FOR UPDATE SKIP LOCKED)", bound));
      total += n;
    } while (n == SWEEP_BATCH);
    return total;
  }

  /** Bucket4j's own clean-up, which judges its {@code expires_at} (written from the system clock) by the system clock. */
  private int expiredBuckets() {
    int total = 0;
    int n;
    do {
      try {
        n = buckets.removeExpired(SWEEP_BATCH);
      } catch (BucketExceptions.BucketExecutionException e) {
        throw new StateUnavailableException("sweep", e.getCause());
      }
      total += n;
    } while (n == SWEEP_BATCH);
    return total;
  }

  private void sweepQuietly() {
    try {
      int n = sweep();
      log.debug("state sweep deleted {} expired rows", n);
    } catch (RuntimeException e) {
      // the next sweep retries; operations meanwhile fail closed on their own
      log.warn("state sweep failed: {}", e.getClass().getSimpleName());
    }
  }

  /** Stops the sweeper and, when the store opened the pool itself, closes it. */
  /** The fleet's state database (migrated), for the other shared records kept beside the state (the console's). */
  public DataSource dataSource() {
    return dataSource;
  }

  @Override
  public void close() {
    sweeper.shutdownNow();
    owned.ifPresent(HikariDataSource::close);
  }

  /** Builder: either {@link #jdbc} (the store opens and owns a pool) or {@link #dataSource}. */
  public static final class Builder {
    private Clock clock = Clock.systemUTC();
    private String jdbcUrl;
    private String user;
    private Optional<String> password = Optional.empty();
    private DataSource dataSource;
    private int maxPoolSize = 8;
    private Duration connectionTimeout = Duration.ofSeconds(3);
    private Duration socketTimeout = Duration.ofSeconds(10);
    private Duration sweepEvery = Duration.ofMinutes(1);
    private int maxProposals = 100_000;

    /** The time every expiry is judged by (default: the UTC system clock). */
    public Builder clock(Clock v) {
      clock = Objects.requireNonNull(v);
      return this;
    }

    /**
     * The database, through a HikariCP pool the store opens and closes.
     *
     * @param url      a {@code jdbc:postgresql:} URL
     * @param password empty for a server that authenticates otherwise (peer, certificate)
     */
    public Builder jdbc(String url, String user, Optional<String> password) {
      jdbcUrl = Objects.requireNonNull(url);
      this.user = user;
      this.password = Objects.requireNonNull(password);
      return this;
    }

    /** An existing data source (not closed by the store; its own timeouts apply). */
    public Builder dataSource(DataSource v) {
      dataSource = Objects.requireNonNull(v);
      return this;
    }

    /** Most pooled connections per server (default 8, 1..100); a fleet uses up to servers x this many. */
    public Builder maxPoolSize(int v) {
      if (v < 1 || v > 100) {
        throw new IllegalArgumentException("state store pool size must be 1..100");
      }
      maxPoolSize = v;
      return this;
    }

    /** How long an operation waits for a connection before failing closed (default 3 s, at least 250 ms). */
    public Builder connectionTimeout(Duration v) {
      if (v.toMillis() < 250) {
        throw new IllegalArgumentException("state store connection timeout must be at least 250 ms");
      }
      connectionTimeout = v;
      return this;
    }

    /** How long a statement may wait on the network before its connection is dropped (default 10 s). */
    public Builder socketTimeout(Duration v) {
      if (v.toSeconds() < 1) {
        throw new IllegalArgumentException("state store socket timeout must be at least 1 s");
      }
      socketTimeout = v;
      return this;
    }

    /** How often expired rows are deleted (default 1 minute). */
    public Builder sweepEvery(Duration v) {
      if (v.isNegative() || v.isZero()) {
        throw new IllegalArgumentException("state store sweep interval must be positive");
      }
      sweepEvery = v;
      return this;
    }

    /** Most proposals held by the whole fleet, finished ones included until their retention ends (default 100,000). */
    public Builder maxProposals(int v) {
      if (v < 1) {
        throw new IllegalArgumentException("a state store bound must be at least 1");
      }
      maxProposals = v;
      return this;
    }

    /**
     * Connects, migrates the schema and starts the sweeper.
     *
     * @throws StateUnavailableException when the database cannot be reached or migrated
     */
    public PostgresStateStore build() {
      if ((jdbcUrl == null) == (dataSource == null)) {
        throw new IllegalStateException("set exactly one of jdbc(...) and dataSource(...)");
      }
      Optional<HikariDataSource> pool = jdbcUrl == null ? Optional.empty() : Optional.of(pool());
      DataSource ds = pool.<DataSource>map(p -> p).orElse(dataSource);
      try {
        Flyway.configure().dataSource(ds).locations("classpath:db/state").table("custos_state_schema")
            // baseline 0, so V1 still runs when the database already holds other tables (the ledger's)
            .baselineOnMigrate(true).baselineVersion("0").load().migrate();
        return new PostgresStateStore(this, ds, pool);
      } catch (RuntimeException e) {
        pool.ifPresent(HikariDataSource::close);
        throw e instanceof StateUnavailableException ? e : new StateUnavailableException("schema migration", e);
      }
    }

    private HikariDataSource pool() {
      HikariConfig c = new HikariConfig();
      c.setJdbcUrl(jdbcUrl);
      c.setUsername(user);
      password.ifPresent(c::setPassword);
      c.setPoolName("custos-state");
      c.setMaximumPoolSize(maxPoolSize);
      c.setMinimumIdle(1);
      c.setConnectionTimeout(connectionTimeout.toMillis());
      c.setValidationTimeout(Math.min(1000, connectionTimeout.toMillis() / 2));
      // pgjdbc: a refused or silent server fails the connect and any statement in bounded time
      c.addDataSourceProperty("connectTimeout", Long.toString(Math.max(1, connectionTimeout.toSeconds())));
      c.addDataSourceProperty("socketTimeout", Long.toString(socketTimeout.toSeconds()));
      c.addDataSourceProperty("ApplicationName", "custos-state");
      try {
        return new HikariDataSource(c);
      } catch (RuntimeException e) {
        throw new StateUnavailableException("connection pool", e);
      }
    }
  }
}
