package io.custos.audit.ledger;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.custos.verify.CheckpointLog;
import io.custos.verify.LedgerCorruptException;
import io.custos.verify.checkpoint.Checkpoint;
import io.custos.verify.checkpoint.KeyTransition;
import io.custos.verify.merkle.MerkleHash;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * {@link LedgerStore} in PostgreSQL for production and for several Custos replicas writing one ledger. The
 * leaf sequence is a single counter row locked with {@code SELECT ... FOR UPDATE} inside the batch's
 * transaction, so indices are gapless and never used twice, whatever the number of writers; a batch is
 * acknowledged only after its transaction commits (durable with PostgreSQL's default
 * {@code synchronous_commit = on}). Schema by Flyway ({@code db/ledger}), connections by HikariCP.
 */
public final class PostgresLedgerStore implements LedgerStore {
  /** Lock id of the checkpoint writers ({@code pg_advisory_xact_lock}): "custos-c" in ASCII. */
  private static final long CHECKPOINT_LOCK = 0x637573746f732d63L;
  /** Lock id of retention pruning: "custos-p" in ASCII. */
  private static final long PRUNE_LOCK = 0x637573746f732d70L;
  /** Lock id of the key-transition publishers: "custos-k" in ASCII. */
  private static final long KEY_TRANSITION_LOCK = 0x637573746f732d6bL;
  private final DataSource ds;
  private final HikariDataSource owned;
  private final SharedCheckpoints checkpoints = new Checkpoints();

  private PostgresLedgerStore(DataSource ds, HikariDataSource owned) {
    this.ds = ds;
    this.owned = owned;
  }

  /** Connects with a HikariCP pool, migrates the schema and returns the store. */
  public static PostgresLedgerStore connect(String jdbcUrl, String user, String password) {
    HikariConfig c = new HikariConfig();
    c.setJdbcUrl(jdbcUrl);
    c.setUsername(user);
    c.setPassword(password);
    c.setMaximumPoolSize(4);
    c.setPoolName("custos-ledger");
    // While the database is unreachable an append fails after this long (fail closed), well within the ledger's
    // append timeout, instead of waiting for Hikari's 30 s default.
    c.setConnectionTimeout(3000);
    HikariDataSource ds = new HikariDataSource(c);
    try {
      migrate(ds);
    } catch (RuntimeException e) {
      ds.close();
      throw e;
    }
    return new PostgresLedgerStore(ds, ds);
  }

  /** Uses an existing data source (not closed by {@link #close}); migrates the schema. */
  public static PostgresLedgerStore using(DataSource ds) {
    migrate(ds);
    return new PostgresLedgerStore(ds, null);
  }

  private static void migrate(DataSource ds) {
    // baseline 0, so V1 still runs when the database already holds other tables (the state store's)
    Flyway.configure().dataSource(ds).locations("classpath:db/ledger").table("custos_ledger_schema")
        .baselineOnMigrate(true).baselineVersion("0").load().migrate();
  }

  @Override
  public long append(int count, EntryEncoder encoder) throws IOException, GeneralSecurityException {
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      try {
        long first;
        try (PreparedStatement lock = c.prepareStatement("SELECT next_index FROM ledger_head WHERE id = 1 FOR UPDATE");
            ResultSet rs = lock.executeQuery()) {
          rs.next();
          first = rs.getLong(1);
        }
        try (PreparedStatement ins = c.prepareStatement(
            "INSERT INTO ledger_entry (leaf_index, entry, leaf_hash) VALUES (?, ?, ?)")) {
          for (int i = 0; i < count; i++) {
            byte[] entry = encoder.encode(i, first + i);
            ins.setLong(1, first + i);
            ins.setBytes(2, entry);
            ins.setBytes(3, MerkleHash.leaf(entry)); // kept when the entry is pruned after retention
            ins.addBatch();
          }
          ins.executeBatch();
        }
        try (PreparedStatement up = c.prepareStatement("UPDATE ledger_head SET next_index = ? WHERE id = 1")) {
          up.setLong(1, first + count);
          up.executeUpdate();
        }
        c.commit();
        return first;
      } catch (SQLException | GeneralSecurityException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw new IOException("ledger append failed: SQLState " + e.getSQLState(), e);
    }
  }

  /** A failed batch is a rolled-back transaction: nothing of it remains, and the next batch may succeed. */
  @Override
  public boolean retryableAfterFailure() {
    return true;
  }

  @Override
  public long size() throws IOException {
    try (Connection c = ds.getConnection();
        PreparedStatement s = c.prepareStatement("SELECT next_index FROM ledger_head WHERE id = 1");
        ResultSet rs = s.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new IOException("ledger size failed: SQLState " + e.getSQLState(), e);
    }
  }

  @Override
  public List<byte[]> read(long from, int max) throws IOException {
    return rows(from, max, (index, entry, kept) -> {
      if (entry == null) {
        throw new IOException("ledger entry " + index + " was pruned after its retention period");
      }
      return entry;
    });
  }

  /** Pruned entries contribute their kept leaf hash; the others are hashed as read (so an edit shows). */
  @Override
  public List<byte[]> readLeafHashes(long from, int max) throws IOException {
    return rows(from, max, (index, entry, kept) -> entry != null ? MerkleHash.leaf(entry) : kept);
  }

  @FunctionalInterface
  private interface RowMapper {
    byte[] map(long index, byte[] entry, byte[] keptHash) throws IOException;
  }

  private List<byte[]> rows(long from, int max, RowMapper mapper) throws IOException {
    List<byte[]> out = new ArrayList<>();
    try (Connection c = ds.getConnection();
        PreparedStatement s = c.prepareStatement("SELECT leaf_index, entry, leaf_hash FROM ledger_entry"
            + " WHERE leaf_index >= ? AND leaf_index < ? ORDER BY leaf_index")) {
      s.setLong(1, from);
      s.setLong(2, from + max);
      try (ResultSet rs = s.executeQuery()) {
        long expect = from;
        while (rs.next()) {
          if (rs.getLong(1) != expect) {
            throw new LedgerCorruptException("ledger entry " + expect + " is missing from the database");
          }
          out.add(mapper.map(expect, rs.getBytes(2), rs.getBytes(3)));
          expect++;
        }
      }
    } catch (SQLException e) {
      throw new IOException("ledger read failed: SQLState " + e.getSQLState(), e);
    }
    return out;
  }

  @Override
  public Optional<SharedCheckpoints> sharedCheckpoints() {
    return Optional.of(checkpoints);
  }

  /** Checkpoints in {@code ledger_checkpoint}, serialised by a transaction-scoped advisory lock. */
  private final class Checkpoints implements SharedCheckpoints {
    @Override
    public String claimOrigin(String proposed) throws IOException {
      try (Connection c = ds.getConnection()) {
        try (PreparedStatement ins = c.prepareStatement(
            "INSERT INTO ledger_origin (id, origin) VALUES (1, ?) ON CONFLICT (id) DO NOTHING")) {
          ins.setString(1, proposed);
          ins.executeUpdate();
        }
        try (PreparedStatement s = c.prepareStatement("SELECT origin FROM ledger_origin WHERE id = 1");
            ResultSet rs = s.executeQuery()) {
          rs.next();
          return rs.getString(1);
        }
      } catch (SQLException e) {
        throw new IOException("ledger origin unavailable: SQLState " + e.getSQLState(), e);
      }
    }

    @Override
    public Optional<Checkpoint> publish(long treeSize, java.util.function.Predicate<Checkpoint> genuine, Signer signer)
        throws IOException, GeneralSecurityException {
      try (Connection c = ds.getConnection()) {
        c.setAutoCommit(false);
        try {
          try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
            lock.setLong(1, CHECKPOINT_LOCK);
            lock.execute();
          }
          Optional<Checkpoint> last = latest(c, genuine);
          if (last.isPresent() && last.get().treeSize() >= treeSize) {
            c.rollback();
            return Optional.empty();
          }
          Instant notBefore = last.map(Checkpoint::timestamp).orElse(Instant.EPOCH);
          Checkpoint cp = signer.sign(notBefore);
          try (PreparedStatement ins = c.prepareStatement(
              "INSERT INTO ledger_checkpoint (tree_size, signed_at, note) VALUES (?, ?, ?)")) {
            ins.setLong(1, cp.treeSize());
            ins.setTimestamp(2, Timestamp.from(cp.timestamp()));
            ins.setString(3, CheckpointLog.entry(cp));
            ins.executeUpdate();
          }
          c.commit();
          return Optional.of(cp);
        } catch (SQLException | GeneralSecurityException | RuntimeException e) {
          c.rollback();
          throw e;
        }
      } catch (SQLException e) {
        throw new IOException("checkpoint not stored: SQLState " + e.getSQLState(), e);
      }
    }

    @Override
    public Optional<Checkpoint> latest(java.util.function.Predicate<Checkpoint> genuine) throws IOException {
      try (Connection c = ds.getConnection()) {
        return latest(c, genuine);
      } catch (SQLException e) {
        throw new IOException("checkpoints unavailable: SQLState " + e.getSQLState(), e);
      }
    }

    /** The newest of the last 256 stored notes that parses and that {@code genuine} accepts. */
    private Optional<Checkpoint> latest(Connection c, java.util.function.Predicate<Checkpoint> genuine) throws SQLException {
      try (PreparedStatement s = c.prepareStatement("SELECT note FROM ledger_checkpoint ORDER BY seq DESC LIMIT 256");
          ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          List<Checkpoint> parsed = CheckpointLog.parse(rs.getString(1), "ledger_checkpoint").checkpoints();
          if (parsed.size() == 1 && genuine.test(parsed.get(0))) {
            return Optional.of(parsed.get(0));
          }
        }
      }
      return Optional.empty();
    }

    /** Under its own advisory lock (a signer publishes while it may hold the checkpoint lock on another connection). */
    @Override
    public void publishKeyTransitions(List<KeyTransition> transitions) throws IOException {
      try (Connection c = ds.getConnection()) {
        c.setAutoCommit(false);
        try {
          try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
            lock.setLong(1, KEY_TRANSITION_LOCK);
            lock.execute();
          }
          List<String> stored = new ArrayList<>();
          try (PreparedStatement s = c.prepareStatement("SELECT note FROM ledger_key_transition ORDER BY seq");
              ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
              stored.add(rs.getString(1));
            }
          }
          List<String> want = transitions.stream().map(KeyTransition::entry).toList();
          if (stored.size() > want.size() || !want.subList(0, stored.size()).equals(stored)) {
            throw new LedgerCorruptException("the database holds checkpoint key transitions the key directory lacks:"
                + " restore the current key directory");
          }
          try (PreparedStatement ins = c.prepareStatement("INSERT INTO ledger_key_transition (note) VALUES (?)")) {
            for (String note : want.subList(stored.size(), want.size())) {
              ins.setString(1, note);
              ins.executeUpdate();
            }
          }
          c.commit();
        } catch (SQLException | RuntimeException e) {
          c.rollback();
          throw e;
        }
      } catch (SQLException e) {
        throw new IOException("key transitions not stored: SQLState " + e.getSQLState(), e);
      }
    }
  }

  /**
   * Drops the ciphertext of entries {@code [first, end)} after their retention period, keeping their leaf hashes,
   * and records the range ({@code line}, a pruned-range record) in the same transaction; the database refuses any
   * other change to an entry.
   *
   * @throws IOException if the database refuses (nothing is pruned)
   */
  public void prune(long first, long end, String line) throws IOException {
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      try {
        // One pruner at a time, and only where the recorded pruned prefix ends (ranges never overlap).
        try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
          lock.setLong(1, PRUNE_LOCK);
          lock.execute();
        }
        try (PreparedStatement s = c.prepareStatement("SELECT coalesce(max(end_index), 0) FROM ledger_pruned");
            ResultSet rs = s.executeQuery()) {
          rs.next();
          if (rs.getLong(1) != first) {
            throw new SQLException("pruned prefix moved", "40001");
          }
        }
        try (PreparedStatement ins = c.prepareStatement(
            "INSERT INTO ledger_pruned (first_index, end_index, line) VALUES (?, ?, ?)")) {
          ins.setLong(1, first);
          ins.setLong(2, end);
          ins.setString(3, line);
          ins.executeUpdate();
        }
        try (PreparedStatement up = c.prepareStatement("UPDATE ledger_entry SET entry = NULL"
            + " WHERE leaf_index >= ? AND leaf_index < ? AND entry IS NOT NULL")) {
          up.setLong(1, first);
          up.setLong(2, end);
          up.executeUpdate();
        }
        c.commit();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw new IOException("ledger prune failed: SQLState " + e.getSQLState(), e);
    }
  }

  /** The pooled data source (the encrypted token map and the fleet's detector lock share it). */
  public DataSource dataSource() {
    return ds;
  }

  @Override
  public void close() {
    if (owned != null) {
      owned.close();
    }
  }
}
