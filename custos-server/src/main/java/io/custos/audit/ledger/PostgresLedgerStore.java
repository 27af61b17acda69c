package io.custos.audit.ledger;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.custos.verify.LedgerCorruptException;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
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
  private final DataSource ds;
  private final HikariDataSource owned;

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
    Flyway.configure().dataSource(ds).locations("classpath:db/ledger").table("custos_ledger_schema").load().migrate();
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
        try (PreparedStatement ins = c.prepareStatement("INSERT INTO ledger_entry (leaf_index, entry) VALUES (?, ?)")) {
          for (int i = 0; i < count; i++) {
            ins.setLong(1, first + i);
            ins.setBytes(2, encoder.encode(i, first + i));
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
    List<byte[]> out = new ArrayList<>();
    try (Connection c = ds.getConnection();
        PreparedStatement s = c.prepareStatement(
            "SELECT leaf_index, entry FROM ledger_entry WHERE leaf_index >= ? AND leaf_index < ? ORDER BY leaf_index")) {
      s.setLong(1, from);
      s.setLong(2, from + max);
      try (ResultSet rs = s.executeQuery()) {
        long expect = from;
        while (rs.next()) {
          if (rs.getLong(1) != expect) {
            throw new LedgerCorruptException("ledger entry " + expect + " is missing from the database");
          }
          out.add(rs.getBytes(2));
          expect++;
        }
      }
    } catch (SQLException e) {
      throw new IOException("ledger read failed: SQLState " + e.getSQLState(), e);
    }
    return out;
  }

  @Override
  public void close() {
    if (owned != null) {
      owned.close();
    }
  }
}
