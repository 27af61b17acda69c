package io.custos.detect;

import com.google.crypto.tink.Aead;
import io.custos.audit.AuditEvent;
import io.custos.audit.ledger.PostgresLedgerStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The event source of misuse detection in a fleet: exactly one replica at a time reads the shared PostgreSQL ledger
 * ({@link PostgresLedgerTail}), so every replica's calls are judged together and each alert is raised once. The
 * replica holding a session-level advisory lock on a connection of its own is the detector; the others try again every
 * few seconds, so when the detector stops (or dies, and PostgreSQL ends its session) another takes over. Events
 * appended between the old detector's end and the new one's start are not judged.
 */
public final class FleetLedgerTail implements AuditEventSource {
  private static final Logger log = LoggerFactory.getLogger(FleetLedgerTail.class);
  /** Advisory lock id of the fleet's one detector: "custos-d" in ASCII. */
  private static final long DETECTOR_LOCK = 0x637573746f732d64L;

  private final PostgresLedgerStore store;
  private final Aead aead;
  private final Duration retry;
  private final ScheduledExecutorService elector = Executors.newSingleThreadScheduledExecutor(
      r -> Thread.ofPlatform().name("custos-detect-elector").daemon(true).unstarted(r));
  private Optional<Connection> lock = Optional.empty();
  private Optional<PostgresLedgerTail> tail = Optional.empty();

  /**
   * @param store the shared ledger (its pool lends the lock's connection, held while this replica is the detector)
   * @param aead  the ledger keyset's AEAD
   * @param retry how often a replica that is not the detector tries to become it
   */
  public FleetLedgerTail(PostgresLedgerStore store, Aead aead, Duration retry) {
    this.store = store;
    this.aead = aead;
    this.retry = retry;
  }

  @Override
  public void start(Consumer<AuditEvent> listener) {
    elector.scheduleWithFixedDelay(() -> elect(listener), 0, retry.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Whether this replica is the fleet's detector now. */
  public synchronized boolean detecting() {
    return tail.isPresent();
  }

  private synchronized void elect(Consumer<AuditEvent> listener) {
    if (tail.isPresent()) {
      if (lockAlive()) {
        return;
      }
      log.warn("misuse detection: lost the detector lock (database connection ended); electing again");
      stopTail();
    }
    try {
      Connection c = store.dataSource().getConnection();
      boolean won;
      try (PreparedStatement s = c.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
        s.setLong(1, DETECTOR_LOCK);
        try (ResultSet rs = s.executeQuery()) {
          won = rs.next() && rs.getBoolean(1);
        }
      }
      if (!won) {
        c.close();
        return;
      }
      lock = Optional.of(c);
      PostgresLedgerTail t = new PostgresLedgerTail(store, aead, Duration.ofSeconds(1));
      t.start(listener);
      tail = Optional.of(t);
      log.info("misuse detection: this replica is the fleet's detector");
    } catch (SQLException e) {
      log.warn("misuse detection: detector election failed (SQLState {}); retrying", e.getSQLState());
    }
  }

  private boolean lockAlive() {
    try {
      return lock.isPresent() && lock.get().isValid(2);
    } catch (SQLException e) {
      return false;
    }
  }

  private void stopTail() {
    tail.ifPresent(PostgresLedgerTail::close);
    tail = Optional.empty();
    lock.ifPresent(c -> {
      try {
        c.close(); // an invalid connection is evicted by the pool: its session, and the lock, are gone
      } catch (SQLException ignored) {
        // the connection is gone: so is the lock
      }
    });
    lock = Optional.empty();
  }

  @Override
  public synchronized void close() {
    elector.shutdownNow();
    if (lock.isPresent()) {
      try (PreparedStatement s = lock.get().prepareStatement("SELECT pg_advisory_unlock(?)")) {
        s.setLong(1, DETECTOR_LOCK);
        s.execute();
      } catch (SQLException ignored) {
        // closing the connection below ends it anyway
      }
    }
    stopTail();
  }
}
